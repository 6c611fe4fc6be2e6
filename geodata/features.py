"""Features as the OGC API reads and writes them: the query's bounding box and paging, and
features written as RFC 7946 GeoJSON.

- ``parse_bbox``: ``minlon,minlat,maxlon,maxlat`` (or 6 numbers, heights ignored) in WGS84
  (CRS84); a box whose west edge is east of its east edge crosses the antimeridian and
  becomes two boxes;
- ``parse_datetime``: an RFC 3339 instant or interval (``..`` or nothing for an open end),
  read and checked; no feature served has a time, so every one matches it (OGC API
  Features, /req/core/fc-time-response);
- ``parse_limit``, ``parse_offset``: the page's size (``DEFAULT_LIMIT``, a value over
  ``MAX_LIMIT`` is served as ``MAX_LIMIT``, as the standard asks) and start;
- ``feature_texts``: each feature as GeoJSON text, coordinates rounded to
  ``COORDINATE_DECIMALS`` (about a centimetre), polygon exterior rings counter-clockwise and
  holes clockwise; or projected to another CRS (``geodata.features_crs``).

A value that cannot be read raises ``FeatureQueryError`` (a ``ValueError``) with a French
message and the parameter at fault. No database and no web framework here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np
import shapely

from geodata.geometry import geojson_texts

__all__ = [
    "BBOX_MARGIN_DEG",
    "COORDINATE_DECIMALS",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Box",
    "FeatureQueryError",
    "bbox_numbers",
    "box_shape",
    "feature_texts",
    "lonlat_boxes",
    "parse_bbox",
    "parse_datetime",
    "parse_limit",
    "parse_offset",
    "rfc7946_geometries",
]

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
COORDINATE_DECIMALS = 7
"""Decimals of a degree kept: about a centimetre, finer than any source."""
BBOX_MARGIN_DEG = 0.5 * 10 ** -COORDINATE_DECIMALS
"""Each side of a bbox in degrees is pushed out by half the step coordinates are served in:
a box drawn on served (rounded) coordinates meets the features showing them there
(``bbox=x,y,x,y`` on a place's served point finds it; its stored point may lie 4 mm off)."""
MAX_OFFSET = 10_000_000

Box = tuple[float, float, float, float]
"""(west, south, east, north) in WGS84 degrees, west <= east."""


class FeatureQueryError(ValueError):
    """A query parameter that cannot be read, with the parameter at fault."""

    def __init__(self, message: str, parameter: str):
        super().__init__(message)
        self.parameter = parameter


def bbox_numbers(text: str, expected: str) -> list[float]:
    """The 4 numbers of a ``bbox`` parameter (of 6, the heights are dropped), finite, in the
    order given; ``expected`` says what was expected in the error."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (4, 6) or not all(math.isfinite(value) for value in values):
        raise FeatureQueryError(
            f"bbox invalide : {text[:80]!r} ; attendu {expected} (4 nombres, ou 6 avec les "
            "hauteurs)", "bbox")
    return [values[0], values[1], values[3], values[4]] if len(values) == 6 else values


def box_shape(west: float, south: float, east: float, north: float) -> shapely.Geometry:
    """A box, or the point or the segment it is when it has no width or height (a polygon
    of no area intersects nothing)."""
    if west == east or south == north:
        return shapely.LineString([(west, south), (east, north)]) \
            if (west, south) != (east, north) else shapely.Point(west, south)
    return shapely.box(west, south, east, north)


def lonlat_boxes(west: float, south: float, east: float, north: float) -> tuple[Box, ...]:
    """The boxes of a WGS84 box: one, or two when it crosses the antimeridian (west > east)."""
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise FeatureQueryError(
            "bbox hors limites : longitudes de -180 à 180, latitudes de -90 à 90, minlat au "
            "plus maxlat", "bbox")
    west, east = max(west - BBOX_MARGIN_DEG, -180.0), min(east + BBOX_MARGIN_DEG, 180.0)
    south, north = max(south - BBOX_MARGIN_DEG, -90.0), min(north + BBOX_MARGIN_DEG, 90.0)
    if west > east:  # crosses the antimeridian
        return ((west, south, 180.0, north), (-180.0, south, east, north))
    return ((west, south, east, north),)


def parse_bbox(text: str | None) -> tuple[Box, ...] | None:
    """The boxes of a ``bbox`` parameter in CRS84 (None when absent): one, or two for a box
    crossing the antimeridian (west > east)."""
    if text is None:
        return None
    return lonlat_boxes(*bbox_numbers(text, "minlon,minlat,maxlon,maxlat en degrés WGS84"))


RFC3339_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
"""An RFC 3339 ``date-time``: date, time and offset, all three required."""


def _instant(text: str, whole: str) -> datetime:
    """One RFC 3339 date-time of a ``datetime`` parameter (``whole``, for the message)."""
    try:
        if not RFC3339_DATE_TIME.fullmatch(text):
            raise ValueError
        return datetime.fromisoformat(text.upper())  # a 'z' or 't' is read as 'Z', 'T'
    except ValueError:
        raise FeatureQueryError(
            f"datetime invalide : {whole[:80]!r} ; attendu un instant RFC 3339 "
            "(2024-01-31T12:00:00Z) ou un intervalle début/fin, avec .. pour un bout "
            "ouvert (2024-01-01T00:00:00Z/..)", "datetime") from None


def parse_datetime(text: str | None) -> tuple[datetime | None, datetime | None] | None:
    """The instant or interval of a ``datetime`` parameter (None when absent): (start, end),
    None for an open end; an instant is its own start and end. Read and checked only: no
    feature served has a time, and such features match every ``datetime``."""
    if text is None:
        return None
    if "/" not in text:
        instant = _instant(text, text)
        return instant, instant
    start_text, _, end_text = text.partition("/")
    start = None if start_text in ("", "..") else _instant(start_text, text)
    end = None if end_text in ("", "..") else _instant(end_text, text)
    if start is None and end is None:
        raise FeatureQueryError(f"datetime invalide : {text[:80]!r} ; un intervalle a au moins "
                                "un bout daté", "datetime")
    if start is not None and end is not None and start > end:
        raise FeatureQueryError(f"datetime invalide : {text[:80]!r} ; le début est après la "
                                "fin", "datetime")
    return start, end


def _integer(text: str, parameter: str, minimum: int, maximum: int | None) -> int:
    """A decimal integer of at least ``minimum`` (and at most ``maximum``)."""
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()) or int(stripped) < minimum or (
            maximum is not None and int(stripped) > maximum):
        upper = f" à {maximum}" if maximum is not None else " ou plus"
        raise FeatureQueryError(f"{parameter} invalide : {text[:40]!r} ; un entier de "
                                f"{minimum}{upper}", parameter)
    return int(stripped)


def parse_limit(text: str | None) -> int:
    """The page's size: ``DEFAULT_LIMIT`` when absent, ``MAX_LIMIT`` at most (a larger value
    is served as ``MAX_LIMIT``, never refused: OGC API Features, /req/core/fc-limit-response)."""
    if text is None:
        return DEFAULT_LIMIT
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and int(stripped) > MAX_LIMIT:
        return MAX_LIMIT
    return _integer(text, "limit", 1, MAX_LIMIT)


def parse_offset(text: str | None) -> int:
    """The position of the page's first feature among those matched (0 when absent)."""
    return 0 if text is None else _integer(text, "offset", 0, MAX_OFFSET)


def rfc7946_geometries(geometries: Sequence) -> np.ndarray:
    """WGS84 geometries as RFC 7946 wants them: coordinates rounded to
    ``COORDINATE_DECIMALS``, polygon exterior rings counter-clockwise and holes clockwise
    (None stays None)."""
    array = np.empty(len(geometries), dtype=object)
    array[:] = list(geometries)
    rounded = shapely.transform(array, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    return shapely.orient_polygons(rounded, exterior_cw=False)


def feature_texts(ids: Sequence[str], properties: Sequence[dict], geometries: Sequence,
                  project: Callable[[np.ndarray], np.ndarray] | None = None) -> list[str]:
    """Each feature as GeoJSON text: its ``id``, its geometry (RFC 7946, ``null`` when
    unknown) and its properties. With ``project`` (``geodata.features_crs``), the geometries
    are oriented as RFC 7946 asks in WGS84, then projected (and rounded) by it."""
    if not len(geometries):
        texts = []
    elif project is None:
        texts = geojson_texts(rfc7946_geometries(geometries))
    else:
        array = np.empty(len(geometries), dtype=object)
        array[:] = list(geometries)
        texts = geojson_texts(project(shapely.orient_polygons(array, exterior_cw=False)))
    return [f'{{"type":"Feature","id":{json.dumps(key, ensure_ascii=False)},'
            f'"geometry":{geometry or "null"},'
            f'"properties":{json.dumps(values, ensure_ascii=False)}}}'
            for key, values, geometry in zip(ids, properties, texts, strict=True)]
