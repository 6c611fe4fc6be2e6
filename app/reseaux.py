"""Networks of places around the Fabriques (``/reseaux``) and the coverage of the territory
(``/reseaux/couverture``), their JSON equivalents under ``/api/v1/reseaux`` and the
``fabriques reseaux charger`` command. Views parse, call ``geodata``, and render.
"""

from __future__ import annotations

import csv
import io

import click
from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask.cli import with_appcontext

from app.db import get_engine
from app.errors import ApiError, error_response, register
from geodata.coverage import (
    DEFAULT_THRESHOLD_KM,
    MEASURES,
    CoverageError,
    UnknownDepartementError,
    by_departement,
    check_threshold_km,
    totals,
    uncovered,
)
from geodata.networks import (
    KIND_LABELS,
    MAX_DISTANCE_M,
    RULES,
    NetworkError,
    NetworkView,
    UnknownFabriqueError,
    kind_label,
    search,
)
from geodata.storage.models import Departement
from geodata.storage.networks import (
    commune_distances,
    commune_outlines,
    declared_networks,
    departement_shapes,
    network_for,
    place_layer,
)
from loaders.errors import LoadError
from loaders.networks import load_networks
from maps.base import map_parts
from maps.coverage import coverage_map
from maps.networks import network_map

__all__ = ["api", "bp"]

bp = Blueprint("reseaux", __name__, cli_group="reseaux")
api = Blueprint("api", __name__, url_prefix="/api/v1/reseaux")
register(api)
DEFAULT_DISTANCE_KM = 10.0


def _asset_url(path: str) -> str:
    return url_for("static", filename=path)


# --- parameters ----------------------------------------------------------------------------

def _number(name: str, default: float) -> float:
    """A decimal number from the query string (comma allowed), or the default when absent."""
    text = request.args.get(name, "").strip().replace(",", ".")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise NetworkError(f"nombre attendu pour {name} : {text!r}", name) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise NetworkError(f"nombre fini attendu pour {name}", name)
    return value


def _known_kinds(layer) -> list[str]:
    """The kinds of the loaded places, in display order."""
    present = set(layer.kinds)
    return [k for k in KIND_LABELS if k in present] + sorted(present - set(KIND_LABELS))


def _kinds(known: list[str]) -> list[str] | None:
    """The place kinds asked for (all when none is given); an unknown kind is an error."""
    asked = request.args.getlist("kind")
    unknown = [kind for kind in asked if kind not in known]
    if unknown:
        raise NetworkError(f"type de lieu inconnu : {unknown[0]!r} (types : "
                           f"{', '.join(known)})", "kind")
    return asked or None


def _network_request(fabrique: str | None) -> tuple[NetworkView, dict]:
    """The network the query string asks for, and the form's values."""
    rule = request.args.get("rule", "epci")
    layer = place_layer(get_engine())
    known = _known_kinds(layer)
    form = {"fabrique": fabrique or "", "rule": rule,
            "distance_km": request.args.get("distance_km", f"{DEFAULT_DISTANCE_KM:g}"),
            "kind": request.args.getlist("kind") or known, "q": request.args.get("q", "")}
    network_id = request.args.get("network", "").strip()
    if network_id and not network_id.isdigit():
        raise NetworkError(f"numéro de réseau invalide : {network_id!r}", "network")
    if network_id:
        form["rule"] = rule = "declared"
    distance_km = _number("distance_km", DEFAULT_DISTANCE_KM) if rule == "distance" else None
    view = network_for(get_engine(), fabrique or None, rule,
                       distance_m=distance_km * 1000 if distance_km is not None else None,
                       kinds=_kinds(known), network_id=int(network_id) if network_id else None)
    return view, form


def _coverage_request():
    """Coverage per département for the query string's threshold, measure, département."""
    threshold_km = _number("distance_km", DEFAULT_THRESHOLD_KM)
    threshold_m = check_threshold_km(threshold_km)
    measure = request.args.get("measure", "contour")
    if measure not in MEASURES:
        raise CoverageError(f"mesure inconnue : {measure!r} (contour ou point)", "measure")
    distances = commune_distances(get_engine(), measure)
    with get_engine().connect() as connection:
        names = dict(connection.execute(Departement.__table__.select().with_only_columns(
            Departement.code, Departement.name)).all())
    rows = by_departement(distances, threshold_m, names)
    departement = request.args.get("departement", "").strip() or None
    if departement is not None and departement not in {row.code for row in rows}:
        raise UnknownDepartementError(f"département inconnu : {departement!r}",
                                      "departement")
    far = uncovered(distances, threshold_m, departement) if departement else None
    form = {"distance_km": f"{threshold_km:g}", "measure": measure,
            "departement": departement or ""}
    return distances, rows, far, form, threshold_m


# --- serialisation -------------------------------------------------------------------------

def _member(member) -> dict:
    return {"kind": member.kind, "kind_label": member.kind_label,
            "id": member.external_id, "name": member.name,
            "commune_code": member.commune_code, "commune_name": member.commune_name,
            "lon": member.lon, "lat": member.lat, "precision": member.precision,
            "distance_m": None if member.distance_m is None else round(member.distance_m, 1),
            "role": member.role}


def _network(view: NetworkView) -> dict:
    return {"name": view.name, "rule": view.rule,
            "fabrique": _member(view.centre) if view.centre else None,
            "epci": {"code": view.epci[0], "name": view.epci[1]} if view.epci else None,
            "distance_m": view.distance_m, "counts": view.counts(),
            "members": [_member(m) for m in view.members],
            "missing": [{"kind": kind, "id": key} for kind, key in view.missing]}


def _coverage_row(row) -> dict:
    return {"code": row.code, "name": row.name, "communes": row.communes,
            "population": row.population, "uncovered_communes": row.uncovered_communes,
            "uncovered_population": row.uncovered_population,
            "unknown_communes": row.unknown_communes,
            "share": None if row.share is None else round(row.share, 4)}


def _commune(distances, position: int) -> dict:
    return {"code": distances.codes[position], "name": distances.names[position],
            "departement": distances.departements[position],
            "population": int(distances.populations[position]),
            "distance_m": None if distances.distances[position] == float("inf")
            else round(float(distances.distances[position]), 1),
            "nearest_fabrique": distances.nearest[position]}


# --- pages ---------------------------------------------------------------------------------

NOT_FOUND = (UnknownFabriqueError, UnknownDepartementError)
FAILURES = ((NOT_FOUND, 404), (NetworkError, 400), (CoverageError, 400))


def _status(failure: Exception) -> int:
    return next(code for kind, code in FAILURES if isinstance(failure, kind))


@bp.get("/reseaux")
def reseaux():
    """Choose a Fabrique and a rule: its network as a map and a table, with counts."""
    layer = place_layer(get_engine())
    query = request.args.get("q", "").strip()
    fabriques = search(layer, query)
    fabrique = request.args.get("fabrique", "").strip()
    if request.args.get("action") == "chercher":  # a search replaces the previous choice
        fabrique = fabriques[0].external_id if len(fabriques) == 1 else ""
    view, error, status, parts, api_url = None, None, 200, None, None
    form = {"fabrique": fabrique, "rule": request.args.get("rule", "epci"), "q": query,
            "distance_km": request.args.get("distance_km", f"{DEFAULT_DISTANCE_KM:g}"),
            "kind": request.args.getlist("kind")}
    if fabrique or request.args.get("network"):
        try:
            view, form = _network_request(fabrique)
        except (NetworkError, CoverageError) as failure:
            error, status = str(failure), _status(failure)
    if view is not None:
        parts = map_parts(network_map(view, _asset_url))
        if view.centre is not None:
            api_url = url_for("reseaux.api.api_network", fabrique=view.centre.external_id,
                              rule=form["rule"], distance_km=form["distance_km"],
                              kind=request.args.getlist("kind"))
    kinds = _known_kinds(layer)
    return render_template(
        "reseaux.html", form={**form, "q": query}, fabriques=fabriques, view=view,
        error=error, rules=RULES, kinds=kinds, kind_label=kind_label, map=parts,
        declared=declared_networks(get_engine()), max_km=MAX_DISTANCE_M / 1000,
        api_url=api_url), status


@bp.get("/reseaux/couverture")
def couverture():
    """Communes and population farther than X km from every Fabrique, by département."""
    try:
        distances, rows, far, form, threshold_m = _coverage_request()
    except (NetworkError, CoverageError) as failure:
        form = {key: request.args.get(key, "") for key in ("distance_km", "measure",
                                                           "departement")}
        return render_template("reseaux_couverture.html", error=str(failure), form=form,
                               measures=MEASURES, rows=None), _status(failure)
    communes = [_commune(distances, int(p)) for p in far] if far is not None else None
    engine = get_engine()
    shapes = departement_shapes(engine)
    fabriques = search(place_layer(engine), "")
    if communes is None:
        built = coverage_map(rows, threshold_m, _asset_url, fabriques=fabriques,
                             centres={code: shape.centre for code, shape in shapes.items()},
                             detail_url=lambda code: url_for(
                                 "reseaux.couverture", departement=code, **_without(form)))
    else:
        own = distances.codes[distances.departements == form["departement"]]
        built = coverage_map(rows, threshold_m, _asset_url, fabriques=fabriques, centres={},
                             communes=communes, outlines=commune_outlines(engine, own),
                             bounds=shapes[form["departement"]].bounds
                             if form["departement"] in shapes else None)
    return render_template("reseaux_couverture.html", error=None, form=form,
                           measures=MEASURES, rows=rows, total=totals(rows),
                           communes=communes, map=map_parts(built), threshold_m=threshold_m,
                           selected=next((r for r in rows if r.code == form["departement"]),
                                         None),
                           fabrique_names={f.external_id: f.name for f in fabriques})


def _without(form: dict, key: str = "departement") -> dict:
    return {k: v for k, v in form.items() if k != key and v}


@bp.get("/reseaux/couverture.csv")
def couverture_csv():
    """The coverage table as CSV; with ``departement``, its uncovered communes."""
    try:
        distances, rows, far, form, _ = _coverage_request()
    except (NetworkError, CoverageError) as failure:
        return Response(f"erreur : {failure}\n", status=_status(failure),
                        mimetype="text/plain")
    out = io.StringIO()
    if far is None:
        keys = list(_coverage_row(rows[0]).keys()) if rows else ["code"]
        writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_coverage_row(row) for row in [*rows, totals(rows)])
        name = f"couverture-{form['distance_km']}km.csv"
    else:
        keys = ["code", "name", "departement", "population", "distance_m", "nearest_fabrique"]
        writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_commune(distances, int(p)) for p in far)
        name = f"couverture-{form['distance_km']}km-{form['departement']}.csv"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


# --- JSON API ------------------------------------------------------------------------------

def _api_error(failure: Exception) -> ApiError:
    if isinstance(failure, NOT_FOUND):
        return ApiError(404, "introuvable", str(failure), failure.parameter)
    return ApiError(400, "parametre-invalide", str(failure), failure.parameter)


@api.errorhandler(NetworkError)
@api.errorhandler(CoverageError)
def _domain_error(failure):
    return error_response(_api_error(failure))


@api.get("/fabriques")
def api_fabriques():
    found = search(place_layer(get_engine()), request.args.get("q", ""))
    return jsonify(fabriques=[_member(m) for m in found])


@api.get("/fabriques/<fabrique>")
def api_network(fabrique: str):
    view, _ = _network_request(fabrique)
    return jsonify(_network(view))


@api.get("/declares")
def api_declared():
    return jsonify(networks=[{"id": n.id, "name": n.name, "kind": n.kind,
                              "fabrique": n.laureate_id, "source": n.source,
                              "members": len(n.members)}
                             for n in declared_networks(get_engine())])


@api.get("/declares/<int:network_id>")
def api_declared_network(network_id: int):
    view = network_for(get_engine(), None, "declared", network_id=network_id,
                       kinds=_kinds(_known_kinds(place_layer(get_engine()))))
    return jsonify(_network(view))


@api.get("/couverture")
def api_coverage():
    distances, rows, far, form, threshold_m = _coverage_request()
    return jsonify(threshold_m=threshold_m, measure=form["measure"],
                   departements=[_coverage_row(row) for row in rows],
                   total=_coverage_row(totals(rows)),
                   communes=None if far is None else [_commune(distances, int(p))
                                                      for p in far])


bp.register_blueprint(api)


# --- command -------------------------------------------------------------------------------

@bp.cli.command("charger", help="Charge un fichier de réseaux (CSV ou GeoJSON, voir "
                                "docs/format-reseaux.md).")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--source", default="reseaux", show_default=True,
              help="Nom de la source : un nouveau chargement la remplace.")
@click.option("--millesime", "vintage", help="Millésime (par défaut : la date du jour).")
@click.option("--licence", default="non précisée", show_default=True)
@click.option("--url", help="Adresse d'origine du fichier.")
@with_appcontext
def load_command(path: str, source: str, vintage: str | None, licence: str,
                 url: str | None) -> None:
    try:
        report = load_networks(get_engine(), path, source=source, vintage=vintage,
                               licence=licence, url=url)
    except LoadError as error:
        raise click.ClickException(f"{error}. Données précédentes conservées.") from None
    click.echo(report.summary())
