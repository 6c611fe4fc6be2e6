"""The map's JSON, under ``/api/v1`` (errors in the one JSON shape of ``app.errors``):

- ``GET /api/v1/couches/<layer>?bbox=W,S,E,N&zoom=Z[&vintage=]``: a layer's features in the
  view, simplified for the zoom (GeoJSON), with ``ETag`` and ``Cache-Control``;
- ``GET /api/v1/fabriques?policy=&wave=&category=&region=&departement=&fnt=&format=``: the
  laureates of the selection, as GeoJSON or CSV (UTF-8 with BOM, ``;``);
- ``GET /api/v1/fabriques/proches?lon=&lat=`` or ``?q=`` (a commune, a postal code or an
  address), ``&n=5&policy=``: the Fabriques nearest the place, in metres
  (``app.carte.search``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from app.carte.layers import SELECTION_PARAMETERS, cached_layer, layer_folder, layer_version
from app.carte.search import Found, SearchError, nearest_to, search_place
from app.db import get_engine
from app.errors import API_PREFIX, ApiError, register
from geodata.eligibility.batch import format_value
from geodata.fabriques import Selection, SelectionError, parse_selection
from geodata.french import lonlat, typed_number
from geodata.policy import DEFAULT_POLICY, load_policy, qpv_vintages
from geodata.publication import COLUMNS as OPEN_COLUMNS
from geodata.publication import open_row
from geodata.spreadsheet import spreadsheet_csv
from geodata.storage.laureates import laureate_table
from geodata.storage.map_layers import LAYERS
from geodata.storage.reference import place_names
from maps.vector import MAX_ZOOM, VectorError, check_view, features_geojson

__all__ = ["CSV_COLUMNS", "MAP_COLUMNS", "api_row", "bp", "found_json"]

bp = Blueprint("carte_api", __name__, url_prefix=API_PREFIX)
register(bp)

LAYER_MAX_AGE = 300
MAP_COLUMNS = ("id", "name", "commune_code", "commune_name", "departement_code",
               "departement_name", "region_code", "region_name", "wave", "kind", "fnt",
               "precision", "lon", "lat", "category", "category_label", "policy")
"""The columns the map's downloads have always had (kept for the programs that read them)."""
CSV_COLUMNS = MAP_COLUMNS + tuple(column.name for column in OPEN_COLUMNS
                                  if column.name not in MAP_COLUMNS)
"""Those, then the open data columns they lack (``geodata.publication.COLUMNS``): the API
serves every field of ``fabriques laureats publier``."""
_ZOOM = re.compile(r"[0-9]{1,2}")  # ASCII: « １２ » is not a zoom


def _bad(message: str, parameter: str, code: str = "parametre-invalide") -> ApiError:
    return ApiError(400, code, message, parameter)


def parse_bbox(text: str | None) -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` in WGS84 degrees."""
    if not text:
        raise _bad("bbox manquante : minlon,minlat,maxlon,maxlat (WGS84)", "bbox",
                   "parametre-manquant")
    try:
        values = tuple(typed_number(part.strip()) for part in text.split(","))
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
    if not _ZOOM.fullmatch(text) or int(text) > MAX_ZOOM:
        raise _bad(f"zoom invalide : {text!r} ; un entier de 0 à {MAX_ZOOM}", "zoom")
    return int(text)


def parse_vintage(text: str | None) -> str:
    """A QPV vintage of the shipped policies (default: the default policy's)."""
    if not text:
        return load_policy(DEFAULT_POLICY).qpv_vintage
    if text not in qpv_vintages():
        raise _bad(f"millésime QPV inconnu : {text!r} (disponibles : "
                   f"{', '.join(qpv_vintages())})",
                   "vintage")
    return text


@bp.get("/couches/<layer>")
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


def api_row(row: dict) -> dict:
    """A Fabrique as the API serves it: the map's keys, then the open data columns."""
    served = {column: row[column] for column in MAP_COLUMNS}
    served.update((key, value) for key, value in open_row(row).items() if key not in served)
    return served


def fabriques_csv(rows: list[dict]) -> str:
    """The rows as CSV for a spreadsheet (``geodata.spreadsheet``), booleans true/false."""
    return spreadsheet_csv(CSV_COLUMNS, ([format_value(row[column]) for column in CSV_COLUMNS]
                                         for row in map(api_row, rows)))


def fabriques_geojson(rows: list[dict]) -> dict:
    """The rows as a GeoJSON FeatureCollection (null geometry when the place is unknown)."""
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": row["id"],
        "geometry": None if row["lon"] is None else {"type": "Point",
                                                     "coordinates": [row["lon"], row["lat"]]},
        "properties": {k: v for k, v in api_row(row).items() if k not in ("lon", "lat")},
    } for row in rows]}


@bp.get("/fabriques")
def fabriques():
    """The laureates of the selection, with their category under the policy."""
    policy = load_policy(request.args.get("policy") or DEFAULT_POLICY)
    kind = request.args.get("format") or "geojson"
    if kind not in ("geojson", "csv"):
        raise _bad(f"format inconnu : {kind!r} (geojson ou csv)", "format")
    engine = get_engine()
    selection = _api_selection(place_names(engine))
    rows = [row for row in laureate_table(engine, policy) if selection.matches(row)]
    if kind == "csv":
        response = Response(fabriques_csv(rows), mimetype="text/csv")
    else:
        response = Response(json.dumps(fabriques_geojson(rows), ensure_ascii=False),
                            mimetype="application/geo+json")
    response.headers["Content-Disposition"] = f"attachment; filename=fabriques.{kind}"
    return response




def _number(name: str, low: float, high: float) -> float:
    text = (request.args.get(name) or "").strip()
    try:
        value = typed_number(text)
    except ValueError:
        raise _bad(f"{name} invalide : {text!r} ; un nombre de {low:g} à {high:g}",
                   name) from None
    if not (math.isfinite(value) and low <= value <= high):
        raise _bad(f"{name} hors limites : de {low:g} à {high:g}", name)
    return value


def found_json(found: Found) -> dict:
    """A search's answer as the API serves it: the place, a warning, the Fabriques."""
    return {
        "lieu": {"label": found.label, "lon": found.lon, "lat": found.lat,
                 "source": found.source, "precision": found.precision},
        "avertissement": found.warning,
        "fabriques": [{"id": f.id, "name": f.name, "full_name": f.full_name,
                       "commune_code": f.commune_code, "commune_name": f.commune_name,
                       "lon": f.lon, "lat": f.lat, "distance_m": f.distance_m,
                       "url": url_for("fabriques.fabrique", fabrique_id=f.id)}
                      for f in found.fabriques],
    }


@bp.get("/fabriques/proches")
def fabriques_proches():
    """The Fabriques nearest a place (``lon``/``lat``, or ``q``), distances in metres."""
    policy = load_policy(request.args.get("policy") or DEFAULT_POLICY)
    text = request.args.get("n") or "5"
    if not text.isdigit():
        raise _bad(f"n invalide : {text!r} ; un entier de 1 à 20", "n")
    asked = request.args
    if asked.get("q") is not None and (asked.get("lon") is not None
                                       or asked.get("lat") is not None):
        raise _bad("donnez soit q, soit lon et lat, pas les deux", "q")  # it answered lon/lat
    try:
        if asked.get("q") is not None:
            place = search_place(asked["q"])
        else:
            lon, lat = _number("lon", -180, 180), _number("lat", -90, 90)
            place = Found(lonlat(lon, lat), lon, lat, "coordinates", "point")  # as given
        return jsonify(found_json(nearest_to(place, policy, int(text))))
    except SearchError as error:
        raise ApiError(error.status, error.code, str(error), error.parameter) from None
