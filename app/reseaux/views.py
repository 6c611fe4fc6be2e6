"""Networks of places around the Fabriques (``/reseaux``) and the coverage of the territory
(``/reseaux/couverture``, its CSV). Views parse (``app.reseaux.forms``), call ``geodata``,
and render."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, current_app, render_template, url_for

from app.db import get_engine
from app.reseaux.forms import CoverageForm, NetworkForm
from app.reseaux.requests import (
    NOT_FOUND,
    coverage_facts,
    coverage_request,
    known_kinds,
    network_request,
    serialise_commune,
)
from app.reseaux.spreadsheet import communes_csv, departements_csv
from app.security import basemap
from geodata.coverage import MEASURES, CoverageError, totals
from geodata.french import number
from geodata.networks import MAX_DISTANCE_M, RULES, NetworkError, kind_label, search
from geodata.storage.networks import (
    commune_outlines,
    declared_networks,
    departement_shapes,
    place_layer,
)
from maps.base import map_parts
from maps.coverage import coverage_map
from maps.networks import network_map

__all__ = ["bp"]

bp = Blueprint("reseaux", __name__, template_folder="templates")


def _asset_url(path: str) -> str:
    return url_for("static", filename=path)


FAILURES = ((NOT_FOUND, 404), (NetworkError, 400), (CoverageError, 400))


def _status(failure: Exception) -> int:
    return next(code for kind, code in FAILURES if isinstance(failure, kind))


@bp.get("/reseaux")
def reseaux():
    """Choose a Fabrique and a rule: its network as a map and a table, with counts."""
    layer = place_layer(get_engine())
    form = NetworkForm(known_kinds(layer))
    fabriques = search(layer, form.q.data)
    fabrique = form.fabrique.data
    if form.action.data == "chercher":  # a search replaces the previous choice
        fabrique = fabriques[0].external_id if len(fabriques) == 1 else ""
    view, error, status, parts, api_url = None, None, 200, None, None
    values = {**form.data, "fabrique": fabrique}
    choice = _choice(form, fabriques, fabrique)
    if fabrique or form.network.data:
        try:
            view, values = network_request(fabrique, form)
        except (NetworkError, CoverageError) as failure:
            error, status = str(failure), _status(failure)
    if view is not None:
        parts = map_parts(network_map(
            view, _asset_url, basemap=basemap(current_app),
            outlines_url=url_for("carte_api.couche", layer="departements")))
        if view.centre is not None:
            api_url = url_for("reseaux_api.api_network", fabrique=view.centre.external_id,
                              rule=values["rule"], distance_km=values["distance_km"],
                              kind=form.kind.data)
    return render_template(
        "reseaux.html", form=values, fabriques=fabriques, view=view,
        error=error, rules=RULES, kinds=form.known, kind_label=kind_label, map=parts,
        declared=declared_networks(get_engine()), max_km=MAX_DISTANCE_M / 1000,
        api_url=api_url, choice=choice), status if choice is None or not choice.error else 400


@dataclass(frozen=True)
class Choice:
    """What the form says about choosing the Fabrique when no network is shown: the field
    to focus (``q``, ``fabrique``), the sentence, and whether it is an error."""

    field: str
    message: str
    error: bool = False


def _choice(form: NetworkForm, fabriques: list, fabrique: str) -> Choice | None:
    """After a search that did not choose (none, or several found), or « Afficher le
    réseau » with no Fabrique chosen: say so where the person is, focused (the page reloaded
    with the focus at its top, the matches only in the list below, nothing said)."""
    if fabrique or form.network.data:
        return None
    query = form.q.data or ""
    if form.action.data == "chercher":
        if not fabriques:
            return Choice("q", f"Aucune Fabrique de position connue ne répond à « {query} » : "
                          "essayez un nom, une commune ou un identifiant (fabt-NN)", True)
        asked = f" pour « {query} »" if query else ""
        return Choice("fabrique", f"{number(len(fabriques))} Fabriques{asked} : choisissez "
                      "la vôtre dans la liste « Fabrique », puis « Afficher le réseau »")
    if form.action.data == "afficher":
        return Choice("fabrique", "Choisissez une Fabrique dans la liste (ou cherchez-la), "
                      "puis « Afficher le réseau »", True)
    return None


@bp.get("/reseaux/couverture")
def couverture():
    """Communes and population farther than X km from every Fabrique, by département."""
    asked = CoverageForm()
    try:
        distances, rows, far, form, threshold_m = coverage_request(asked)
    except (NetworkError, CoverageError) as failure:
        return render_template("reseaux_couverture.html", error=str(failure),
                               form=asked.typed(), measures=MEASURES,
                               rows=None), _status(failure)
    communes = [serialise_commune(distances, int(p)) for p in far] if far is not None else None
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
                           coverage=coverage_facts(distances),
                           communes=communes, map=map_parts(built), threshold_m=threshold_m,
                           selected=next((r for r in rows if r.code == form["departement"]),
                                         None),
                           fabrique_names={f.external_id: f.name for f in fabriques},
                           departement_choices=[("", "France entière, par département")]
                           + [(row.code, f"{row.code} — {row.name}") for row in rows])


def _without(form: dict, key: str = "departement") -> dict:
    return {k: v for k, v in form.items() if k != key and v}


@bp.get("/reseaux/couverture.csv")
def couverture_csv():
    """The coverage table as a French spreadsheet's CSV; with ``departement``, its uncovered
    communes."""
    try:
        distances, rows, far, form, threshold_m = coverage_request()
    except (NetworkError, CoverageError) as failure:
        return Response(f"erreur : {failure}\n", status=_status(failure),
                        mimetype="text/plain")
    if far is None:
        text = departements_csv(rows, totals(rows), threshold_m)
        name = f"couverture-{form['distance_km']}km.csv"
    else:
        names = {f.external_id: f.name for f in search(place_layer(get_engine()), "")}
        text = communes_csv(distances, far, names)
        name = f"couverture-{form['distance_km']}km-{form['departement']}.csv"
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response
