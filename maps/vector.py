"""Vector layers served by bounding box and zoom: simplified in metres, rounded to the zoom.

A ``VectorLayer`` holds polygon features (properties and WGS84 geometries, each with its
territory), made a clean coverage when the layer is built (``geodata.geometry.clean_coverage``:
nothing overlaps, neighbours share their edges vertex for vertex).
``features_geojson(layer, bbox, zoom)`` answers a map view: the features whose geometry
intersects the bounding box, simplified with a tolerance of a fraction of a pixel at that
zoom, computed in metres in their territory's projected CRS (Lambert-93 in metropolitan
France, local UTM overseas) and projected back to WGS84, with coordinates rounded to what the
zoom can show.

Simplification is coverage simplification (GEOS, Visvalingam-Whyatt: a vertex goes when its
triangle is under the tolerance squared): the features of a territory are simplified
together, so that a shared edge is simplified once and stays shared, no polygon vanishes
(the smallest become triangles) and every result is valid. A layer too large to simplify at
once (35,000 communes) is simplified by unit (its département), each unit's outline kept as
it is so that neighbouring units still meet; a unit is simplified when a view first needs
it. Rounding is repaired where it broke a polygon or made neighbours cross; where it would
erase a feature, the unit is rounded one decimal finer. Between two units, the rounding may
leave an overlap smaller than a pixel. Every feature served is RFC 7946: a valid
MultiPolygon, exterior rings counter-clockwise, holes clockwise. Each feature's geometry is
computed once per zoom bucket, its GeoJSON text the first time it is served, and both are
kept with the layer.

No database and no web framework here: callers read the data and cache the layers.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import shapely
from pyproj import Transformer

from geodata.geometry import (
    clean_coverage,
    geojson_texts,
    rfc7946_polygons,
    simplified_coverage,
)
from geodata.territories import STORAGE_EPSG, TERRITORIES

__all__ = [
    "MAX_VIEW_PIXELS",
    "MAX_ZOOM",
    "VectorError",
    "VectorLayer",
    "check_view",
    "coordinate_decimals",
    "features_geojson",
    "tolerance_m",
    "vector_layer",
    "zoom_bucket",
]

MAX_ZOOM = 20
BUCKETS = (4, 14)
"""Zooms below 4 are simplified as 4, above 14 as 14 (the stored contours are generalised)."""
PIXEL_FRACTION = 0.75
"""Simplification tolerance, in pixels of the zoom asked for."""
EQUATOR_M_PER_PIXEL = 156_543.033_928
"""Web Mercator ground resolution at zoom 0 on the equator (256-pixel tiles)."""
MAX_VIEW_PIXELS = 4096
"""Widest view answered, in pixels at the zoom asked for: a bbox wider is refused."""


class VectorError(ValueError):
    """A view (bounding box, zoom) that cannot be answered, with the parameter at fault."""

    def __init__(self, message: str, parameter: str):
        super().__init__(message)
        self.parameter = parameter


@dataclass
class VectorLayer:
    """Features of one layer: properties, WGS84 geometries (a clean coverage), territory
    codes, simplification units and a spatial index.

    ``units`` are the territory codes unless the layer was given units of its own; then
    ``unit_outlines`` is True: each unit is simplified alone, its outline kept as it is.
    """

    properties: list[dict]
    geometries: np.ndarray
    territories: np.ndarray
    tree: shapely.STRtree
    units: np.ndarray
    unit_outlines: bool = False
    _features: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _projected: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.properties)


def vector_layer(properties: Sequence[Mapping], geometries: Sequence,
                 territories: Sequence[str], units: Sequence[str] | None = None, *,
                 clean: bool = True) -> VectorLayer:
    """A layer from parallel sequences (polygonal geometries in WGS84, territory codes of
    TERRITORIES, optional simplification units, each within one territory).

    The geometries are made valid MultiPolygons (``rfc7946_polygons``: what a collection
    holds besides polygons is dropped) and a clean coverage (``clean_coverage``) unless
    ``clean`` is False: geometries that a ``vector_layer`` already cleaned (a layer file).
    """
    if not len(properties) == len(geometries) == len(territories):
        raise ValueError("propriétés, géométries et territoires de longueurs différentes")
    unknown = set(territories) - set(TERRITORIES)
    if unknown:
        raise ValueError(f"territoires inconnus : {sorted(unknown)}")
    geometries = np.asarray(list(geometries) or [], dtype=object)
    kinds = set(shapely.get_type_id(geometries).tolist()) - {3, 6, 7}
    if kinds:
        raise ValueError(f"couche de polygones seulement, pas de {sorted(kinds)} "
                         "(types shapely)")
    territories = np.asarray(list(territories), dtype=object)
    if units is None:
        unit_codes = territories
    else:
        unit_codes = np.asarray(list(units), dtype=object)
        if len(unit_codes) != len(territories):
            raise ValueError("unités et territoires de longueurs différentes")
        if len(set(zip(unit_codes.tolist(), territories.tolist(), strict=True))) != len(
                set(unit_codes.tolist())):
            raise ValueError("une unité de simplification couvre plusieurs territoires")
    if clean:
        geometries = rfc7946_polygons(geometries)  # valid, polygonal parts only
        geometries[shapely.is_missing(geometries)] = shapely.MultiPolygon()
        cleaned = clean_coverage(geometries)
        erased = shapely.is_empty(cleaned) & ~shapely.is_empty(geometries)
        geometries = np.where(erased, geometries, cleaned)  # wholly covered: kept, overlapping
    return VectorLayer(properties=[dict(p) for p in properties], geometries=geometries,
                       territories=territories, tree=shapely.STRtree(geometries),
                       units=unit_codes, unit_outlines=units is not None)


def zoom_bucket(zoom: int) -> int:
    """The zoom whose simplification serves ``zoom``."""
    return min(max(zoom, BUCKETS[0]), BUCKETS[1])


def tolerance_m(territory: str, zoom: int) -> float:
    """Simplification tolerance in metres for a territory at a zoom (a fraction of a pixel)."""
    min_lon, min_lat, max_lon, max_lat = TERRITORIES[territory].bbox
    latitude = math.radians((min_lat + max_lat) / 2)
    return PIXEL_FRACTION * EQUATOR_M_PER_PIXEL * math.cos(latitude) / 2 ** zoom


def coordinate_decimals(zoom: int) -> int:
    """Decimals of a degree that keep the rounding under half a pixel at ``zoom``."""
    degrees_per_pixel = 360 / (256 * 2 ** zoom)
    return min(7, max(0, math.ceil(-math.log10(degrees_per_pixel / 2))))


def check_view(bbox: Sequence[float], zoom: int) -> None:
    """Refuse a bounding box wider than a screen can show at ``zoom`` (``MAX_VIEW_PIXELS``)."""
    degrees_per_pixel = 360 / (256 * 2 ** zoom)
    widest = MAX_VIEW_PIXELS * degrees_per_pixel
    if bbox[2] - bbox[0] > widest or bbox[3] - bbox[1] > widest:
        raise VectorError(f"bbox trop grande pour le zoom {zoom} : au plus {widest:.4g}° de "
                          "côté ; zoomez ou réduisez la zone", "bbox")


@cache
def _transformers(epsg: int) -> tuple[Transformer, Transformer]:
    return (Transformer.from_crs(STORAGE_EPSG, epsg, always_xy=True),
            Transformer.from_crs(epsg, STORAGE_EPSG, always_xy=True))


def _reproject(geometries: np.ndarray, transformer: Transformer) -> np.ndarray:
    return shapely.transform(geometries, lambda xy: np.column_stack(
        transformer.transform(xy[:, 0], xy[:, 1])))


def _projected(layer: VectorLayer, unit: str, rows: np.ndarray) -> np.ndarray:
    """The unit's geometries (``rows``) in its territory's projected CRS, valid: a polygon
    that projection made invalid (a sliver hole whose sides met) is repaired, an empty one
    is None. Computed once per layer and unit."""
    projected = layer._projected.get(unit)
    if projected is None:
        forward, _ = _transformers(TERRITORIES[layer.territories[rows[0]]].epsg)
        projected = _reproject(layer.geometries[rows], forward)
        projected[shapely.is_empty(projected)] = None
        if not shapely.is_valid(projected[~shapely.is_missing(projected)]).all():
            projected = rfc7946_polygons(projected)
        layer._projected[unit] = projected
    return projected


def _rounded(coverage: np.ndarray, decimals: int) -> np.ndarray:
    """A unit's simplified coverage (WGS84) with coordinates rounded to ``decimals``, still a
    coverage of RFC 7946 polygons (``rfc7946_polygons``); None for an empty feature.

    Rounding moves each vertex alone: a narrow part may collapse or a ring cross itself
    (repaired, ``make_valid``), a vertex may cross a neighbour's edge (the coverage cleaned
    where it did). When that would erase a feature, the unit is rounded one decimal finer,
    up to 7, else not at all: one precision for the whole unit keeps shared edges shared.
    """
    out = np.full(len(coverage), None, dtype=object)
    drawn = np.flatnonzero(~shapely.is_missing(coverage) & ~shapely.is_empty(coverage))
    for places in range(decimals, 8):
        rounded = rfc7946_polygons(shapely.transform(
            coverage[drawn], lambda xy, places=places: np.round(xy, places)))
        if shapely.is_missing(rounded).any():
            continue
        cleaned = clean_coverage(rounded)
        if shapely.is_empty(cleaned).any():
            continue
        changed = np.flatnonzero([a is not b for a, b in zip(cleaned, rounded, strict=True)])
        rounded[changed] = rfc7946_polygons(cleaned[changed])
        out[drawn] = rounded
        return out
    out[drawn] = rfc7946_polygons(coverage[drawn])
    return out


def _simplified(layer: VectorLayer, rows: np.ndarray, zoom: int) -> np.ndarray:
    """The geometries of ``rows`` (whole units) simplified for ``zoom``, rounded, still a
    coverage and RFC 7946 (``rfc7946_polygons``); None for a feature with nothing to draw."""
    out = np.full(len(rows), None, dtype=object)
    decimals = coordinate_decimals(zoom)
    for unit in np.unique(layer.units[rows]):
        where = np.flatnonzero(layer.units[rows] == unit)
        territory = layer.territories[rows[where[0]]]
        _, back = _transformers(TERRITORIES[territory].epsg)
        simple = simplified_coverage(_projected(layer, unit, rows[where]),
                                     tolerance_m(territory, zoom),
                                     keep_outline=layer.unit_outlines)
        out[where] = _rounded(_reproject(simple, back), decimals)
    return out


def _feature(properties: dict, geometry: str) -> str:
    return (f'{{"type":"Feature","properties":{json.dumps(properties, ensure_ascii=False)},'
            f'"geometry":{geometry}}}')


def features_geojson(layer: VectorLayer, bbox: Sequence[float], zoom: int) -> str:
    """A GeoJSON FeatureCollection (text) of the features intersecting ``bbox`` at ``zoom``.

    ``bbox`` is (min lon, min lat, max lon, max lat) in WGS84; features keep their layer
    order, those with nothing left to draw left out. Raises ``VectorError`` for a view wider
    than ``MAX_VIEW_PIXELS`` at that zoom.
    """
    check_view(bbox, zoom)
    rows = np.sort(layer.tree.query(shapely.box(*bbox), predicate="intersects"))
    bucket = zoom_bucket(zoom)
    with layer._lock:
        done = layer._features.setdefault(bucket, np.full(len(layer), None, dtype=object))
        missing = rows[[done[row] is None for row in rows]] if len(rows) else rows
    if len(missing):
        units = np.flatnonzero(np.isin(layer.units, np.unique(layer.units[missing])))
        simplified = _simplified(layer, units, bucket)
        simplified[shapely.is_missing(simplified)] = ""
        with layer._lock:
            done[units] = simplified
    with layer._lock:
        unwritten = rows[[isinstance(done[row], shapely.Geometry) for row in rows]] \
            if len(rows) else rows
    if len(unwritten):  # text only for the features served: a unit is often much wider
        written = [_feature(layer.properties[row], geometry) for row, geometry
                   in zip(unwritten, geojson_texts(done[unwritten]), strict=True)]
        with layer._lock:
            done[unwritten] = written
    return ('{"type":"FeatureCollection","features":['
            + ",".join(feature for feature in done[rows] if feature) + "]}")
