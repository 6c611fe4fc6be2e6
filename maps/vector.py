"""Vector layers served by bounding box and zoom: simplified in metres, rounded to the zoom.

A ``VectorLayer`` holds features (properties and WGS84 geometries, each with its territory).
``features_geojson(layer, bbox, zoom)`` answers a map view: the features whose geometry
intersects the bounding box, each simplified with a tolerance of a fraction of a pixel at
that zoom, computed in metres in its territory's projected CRS (Lambert-93 in metropolitan
France, local UTM overseas) and projected back to WGS84, with coordinates rounded to what
the zoom can show. Simplification keeps every feature (topology-preserving: a polygon never
vanishes). Each feature's GeoJSON is computed once per zoom bucket and kept with the layer.

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
    """Features of one layer: properties, WGS84 geometries, territory codes, a spatial index."""

    properties: list[dict]
    geometries: np.ndarray
    territories: np.ndarray
    tree: shapely.STRtree
    _features: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.properties)


def vector_layer(properties: Sequence[Mapping], geometries: Sequence,
                 territories: Sequence[str]) -> VectorLayer:
    """A layer from parallel sequences (geometries in WGS84, territory codes of TERRITORIES)."""
    if not len(properties) == len(geometries) == len(territories):
        raise ValueError("propriétés, géométries et territoires de longueurs différentes")
    unknown = set(territories) - set(TERRITORIES)
    if unknown:
        raise ValueError(f"territoires inconnus : {sorted(unknown)}")
    geometries = np.asarray(list(geometries) or [], dtype=object)
    return VectorLayer(properties=[dict(p) for p in properties], geometries=geometries,
                       territories=np.asarray(list(territories), dtype=object),
                       tree=shapely.STRtree(geometries))


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


def _simplified(layer: VectorLayer, rows: np.ndarray, zoom: int) -> list[str]:
    """GeoJSON features of ``rows`` (all of one call), simplified for ``zoom``."""
    out = np.empty(len(rows), dtype=object)
    decimals = coordinate_decimals(zoom)
    for territory in np.unique(layer.territories[rows]):
        where = np.flatnonzero(layer.territories[rows] == territory)
        forward, back = _transformers(TERRITORIES[territory].epsg)
        projected = _reproject(layer.geometries[rows[where]], forward)
        simple = shapely.simplify(projected, tolerance_m(territory, zoom), preserve_topology=True)
        wgs84 = shapely.transform(_reproject(simple, back), lambda xy: np.round(xy, decimals))
        for position, row, geojson in zip(where, rows[where], shapely.to_geojson(wgs84),
                                          strict=True):
            properties = json.dumps(layer.properties[row], ensure_ascii=False)
            out[position] = (f'{{"type":"Feature","properties":{properties},'
                             f'"geometry":{geojson}}}')
    return list(out)


def features_geojson(layer: VectorLayer, bbox: Sequence[float], zoom: int) -> str:
    """A GeoJSON FeatureCollection (text) of the features intersecting ``bbox`` at ``zoom``.

    ``bbox`` is (min lon, min lat, max lon, max lat) in WGS84; features keep their layer
    order. Raises ``VectorError`` for a view wider than ``MAX_VIEW_PIXELS`` at that zoom.
    """
    check_view(bbox, zoom)
    rows = np.sort(layer.tree.query(shapely.box(*bbox), predicate="intersects"))
    bucket = zoom_bucket(zoom)
    with layer._lock:
        done = layer._features.setdefault(bucket, np.full(len(layer), None, dtype=object))
        missing = rows[[done[row] is None for row in rows]] if len(rows) else rows
    if len(missing):
        computed = _simplified(layer, missing, bucket)
        with layer._lock:
            done[missing] = computed
    return '{"type":"FeatureCollection","features":[' + ",".join(done[rows]) + "]}"
