"""The public map of the Fabriques (``/carte``) and the API it reads.

- ``/carte``: the map (``maps.fabriques``), filters, the accessible list of what the map
  shows (server-rendered from the query string, so it works without JavaScript), downloads
  of the current selection; ``app/static/carte.js`` keeps filters, list and URL in sync.
- ``GET /api/v1/couches/<layer>?bbox=W,S,E,N&zoom=Z[&vintage=]``: a layer's features in the
  view, simplified for the zoom (GeoJSON), with ``ETag`` and ``Cache-Control``.
- ``GET /api/v1/fabriques?policy=&wave=&category=&region=&departement=&fnt=&format=``: the
  laureates of the selection, as GeoJSON or CSV (UTF-8 with BOM, ``;``).

Errors of the API routes take the one JSON shape of ``app.errors``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from app.carte_data import (
    CACHE_FOLDER,
    FNT_VALUES,
    LAYERS,
    UNKNOWN,
    Selection,
    SelectionError,
    cached_layer,
    density_levels,
    fabrique_rows,
    layer_version,
    parse_selection,
    places,
)
from app.db import get_engine
from app.errors import ApiError, register
from geodata.eligibility.batch import format_value
from geodata.policy import (
    CATEGORIES,
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    DEFAULT_POLICY,
    PolicyError,
    available_policies,
    load_policy,
)
from geodata.spreadsheet import spreadsheet_csv
from geodata.territories import TERRITORIES
from maps.base import map_parts
from maps.fabriques import CATEGORY_MARKS, DENSITY_COLORS, Overlay, View, fabriques_map
from maps.vector import MAX_ZOOM, VectorError, check_view, features_geojson

__all__ = ["api_bp", "bp", "layer_folder", "warm_caches"]

bp = Blueprint("carte", __name__)
api_bp = Blueprint("carte_api", __name__, url_prefix="/api/v1")
register(api_bp)

TOGGLEABLE = ("qpv", "densite", "metropoles")
"""Overlays a visitor switches on and off (the départements are the basemap)."""
DEFAULT_OVERLAYS = ("qpv",)
LAYER_MAX_AGE = 300
CSV_COLUMNS = ("id", "name", "commune_code", "commune_name", "departement_code",
               "departement_name", "region_code", "region_name", "wave", "kind", "fnt",
               "precision", "lon", "lat", "category", "category_label", "policy")
SHORT_LABELS = {CATEGORY_QPV: "QPV ou proximité", CATEGORY_OUTSIDE: "hors grands centres urbains",
                CATEGORY_NOT_ELIGIBLE: "non éligible", CATEGORY_UNDETERMINED: "à vérifier"}
"""Category labels short enough for a table cell."""
SELECTION_PARAMETERS = {"wave": "vague", "category": "categorie", "region": "region",
                        "departement": "departement", "fnt": "fnt"}
"""API parameter -> the page's (French) query parameter."""
_ZOOM = re.compile(r"^\d{1,2}$")


def vintages() -> list[str]:
    """The QPV vintages the shipped policies use."""
    return sorted({load_policy(name).qpv_vintage for name in available_policies()})


def _bad(message: str, parameter: str, code: str = "parametre-invalide") -> ApiError:
    return ApiError(400, code, message, parameter)


def layer_folder(app: Flask) -> Path:
    """Where the layers read are kept across restarts: the instance's ``CACHE_FOLDER``."""
    return Path(app.instance_path) / CACHE_FOLDER


def warm_caches(app: Flask) -> None:
    """Read what the map's first view needs (the default policy's Fabriques, the
    départements and the default overlays), so that the first visitor after a start does
    not wait for it; ``app.gunicorn_conf`` calls it in each worker before it takes requests.
    The caches stay keyed by the dataset versions: a later load is seen as before."""
    with app.app_context():
        engine = get_engine()
        policy = load_policy(DEFAULT_POLICY)
        fabrique_rows(engine, policy)
        for key in ("departements", *DEFAULT_OVERLAYS):
            cached_layer(engine, key, policy.qpv_vintage,
                         layer_version(engine, key, policy.qpv_vintage), layer_folder(app))


def parse_bbox(text: str | None) -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` in WGS84 degrees."""
    if not text:
        raise _bad("bbox manquante : minlon,minlat,maxlon,maxlat (WGS84)", "bbox",
                   "parametre-manquant")
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise _bad(f"bbox invalide : {text!r} ; attendu minlon,minlat,maxlon,maxlat", "bbox")
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise _bad("bbox hors limites : -180 ≤ minlon < maxlon ≤ 180 et "
                   "-90 ≤ minlat < maxlat ≤ 90", "bbox")
    return values


def parse_zoom(text: str | None) -> int:
    """A zoom level, an integer from 0 to ``MAX_ZOOM``."""
    if not text:
        raise _bad("zoom manquant : un entier de 0 à 20", "zoom", "parametre-manquant")
    if not _ZOOM.match(text) or int(text) > MAX_ZOOM:
        raise _bad(f"zoom invalide : {text!r} ; un entier de 0 à {MAX_ZOOM}", "zoom")
    return int(text)


def parse_vintage(text: str | None) -> str:
    """A QPV vintage of the shipped policies (default: the default policy's)."""
    if not text:
        return load_policy(DEFAULT_POLICY).qpv_vintage
    if text not in vintages():
        raise _bad(f"millésime QPV inconnu : {text!r} (disponibles : {', '.join(vintages())})",
                   "vintage")
    return text


@api_bp.get("/couches/<layer>")
def couche(layer: str):
    """One layer's features in the view, simplified for the zoom."""
    if layer not in LAYERS:
        raise _bad(f"couche inconnue : {layer!r} (disponibles : {', '.join(LAYERS)})", "layer",
                   "couche-inconnue")
    spec = LAYERS[layer]
    bbox = parse_bbox(request.args.get("bbox"))
    zoom = parse_zoom(request.args.get("zoom"))
    vintage = parse_vintage(request.args.get("vintage"))
    if zoom < spec.min_zoom:
        raise _bad(f"{spec.zoom_message} : zoom {spec.min_zoom} au moins (demandé : {zoom})",
                   "zoom", "zoom-insuffisant")
    try:
        check_view(bbox, zoom)
    except VectorError as error:
        raise _bad(str(error), error.parameter) from None
    engine = get_engine()
    version = layer_version(engine, layer, vintage)
    key = [layer, vintage if spec.by_vintage else None, version, bbox, zoom]
    etag = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        body = features_geojson(cached_layer(engine, layer, vintage, version,
                                             layer_folder(current_app)), bbox, zoom)
        response = Response(body, mimetype="application/geo+json")
    response.set_etag(etag, weak=True)  # weak: compression must not change it
    response.headers["Cache-Control"] = f"public, max-age={LAYER_MAX_AGE}"
    return response


def _api_selection(known) -> Selection:
    try:
        return parse_selection({name: request.args.get(name) for name in SELECTION_PARAMETERS},
                               known)
    except SelectionError as error:
        raise _bad(str(error), error.parameter) from None


def fabriques_csv(rows: list[dict]) -> str:
    """The rows as CSV for a spreadsheet (``geodata.spreadsheet``), booleans true/false."""
    return spreadsheet_csv(CSV_COLUMNS, ([format_value(row[column]) for column in CSV_COLUMNS]
                                         for row in rows))


def fabriques_geojson(rows: list[dict]) -> dict:
    """The rows as a GeoJSON FeatureCollection (null geometry when the place is unknown)."""
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": row["id"],
        "geometry": None if row["lon"] is None else {"type": "Point",
                                                     "coordinates": [row["lon"], row["lat"]]},
        "properties": {k: v for k, v in row.items() if k not in ("lon", "lat")},
    } for row in rows]}


@api_bp.get("/fabriques")
def fabriques():
    """The laureates of the selection, with their category under the policy."""
    policy = load_policy(request.args.get("policy") or DEFAULT_POLICY)
    kind = request.args.get("format") or "geojson"
    if kind not in ("geojson", "csv"):
        raise _bad(f"format inconnu : {kind!r} (geojson ou csv)", "format")
    engine = get_engine()
    selection = _api_selection(places(engine))
    rows = [row for row in fabrique_rows(engine, policy) if selection.matches(row)]
    if kind == "csv":
        response = Response(fabriques_csv(rows), mimetype="text/csv")
    else:
        response = Response(json.dumps(fabriques_geojson(rows), ensure_ascii=False),
                            mimetype="application/geo+json")
    response.headers["Content-Disposition"] = f"attachment; filename=fabriques.{kind}"
    return response


def _page_state(known):
    """The page's query string, checked: (state, selection, errors)."""
    args, errors = request.args, []
    try:
        policy = load_policy(args.get("politique") or DEFAULT_POLICY)
    except PolicyError as error:
        errors.append(str(error))
        policy = load_policy(DEFAULT_POLICY)
    vintage = args.get("qpv") or policy.qpv_vintage
    if vintage not in vintages():
        errors.append(f"millésime QPV inconnu : {vintage!r}")
        vintage = policy.qpv_vintage
    chosen = {}
    for name, page_name in SELECTION_PARAMETERS.items():
        try:
            chosen[name] = getattr(parse_selection({name: args.get(page_name)}, known), name)
        except SelectionError as error:
            errors.append(str(error))
    requested = args.get("couches")
    layers = list(DEFAULT_OVERLAYS) if requested is None else [
        key for key in requested.split(",") if key]
    for key in [key for key in layers if key not in TOGGLEABLE]:
        errors.append(f"couche inconnue : {key!r}")
        layers.remove(key)
    view = None
    if any(args.get(name) for name in ("z", "lat", "lon")):
        try:
            view = View(lat=float(args["lat"]), lon=float(args["lon"]), zoom=int(args["z"]))
            if not (-90 <= view.lat <= 90 and -180 <= view.lon <= 180
                    and 2 <= view.zoom <= 18):
                raise ValueError
        except (KeyError, ValueError):
            errors.append("vue invalide : z (2 à 18), lat et lon vont ensemble")
            view = None
    state = {"policy": policy, "vintage": vintage, "layers": layers, "view": view}
    return state, Selection(**chosen), errors


@bp.get("/carte")
def carte():
    """The public map of the Fabriques, its filters, its list and its downloads."""
    engine = get_engine()
    known = places(engine)
    state, selection, errors = _page_state(known)
    policy = state["policy"]
    rows = fabrique_rows(engine, policy)
    overlays = [Overlay("departements", url_for("carte_api.couche", layer="departements"))]
    overlays += [Overlay(key, url_for("carte_api.couche", layer=key),
                         min_zoom=LAYERS[key].min_zoom,
                         params={"vintage": state["vintage"]} if key == "qpv" else {},
                         show=key in state["layers"]) for key in TOGGLEABLE]
    figure = fabriques_map(lambda path: url_for("static", filename=path), rows, overlays,
                           state["view"])
    shown = [selection.matches(row) for row in rows]
    downloads = {kind: url_for("carte_api.fabriques", policy=policy.name, format=kind,
                               **selection.as_params()) for kind in ("csv", "geojson")}
    regions = sorted({(row["region_code"], row["region_name"] or row["region_code"])
                      for row in rows if row["region_code"]}, key=lambda item: item[1])
    departements = sorted({(row["departement_code"], row["departement_name"] or "",
                            row["region_code"] or "") for row in rows
                           if row["departement_code"]})
    return render_template(
        "carte.html", parts=map_parts(figure), rows=rows, shown=shown, count=sum(shown),
        selection=selection, state=state, errors=errors, downloads=downloads,
        policies=[load_policy(name) for name in available_policies()], vintages=vintages(),
        waves=sorted({row["wave"] for row in rows if row["wave"]}), regions=regions,
        departements=departements, categories=CATEGORIES, short_labels=SHORT_LABELS,
        marks=CATEGORY_MARKS,
        density_colors=DENSITY_COLORS, density_levels=density_levels(engine),
        toggleable=TOGGLEABLE, layer_specs=LAYERS,
        territories=TERRITORIES, unknown=UNKNOWN, fnt_values=FNT_VALUES,
        located=sum(1 for row in rows if row["lon"] is not None),
    ), 400 if errors else 200
