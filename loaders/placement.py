"""Where a loaded geometry lies against the commune outlines, measured in metres.

Distances and areas are measured in the projected CRS of the geometry's territory
(Lambert-93 in metropolitan France, the local one overseas), never in degrees. The commune
outlines are those in service (source ``commune-contours``, generalised).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.french import number
from geodata.storage.models import CommuneContour
from geodata.territories import STORAGE_EPSG, TERRITORIES

__all__ = ["commune_shapes", "distance_m", "ground_beyond", "length", "outlines_apart",
           "project"]

SLIVER_M = 5.0
"""Parts of a difference narrower than twice this (m) are drawing, not ground: the buffer's
arcs, a corridor a few metres wide that a coarser drawing collapses."""

CHUNK = 500  # codes per IN (...) query


@lru_cache
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(STORAGE_EPSG, epsg, always_xy=True)


def project(geometry: BaseGeometry, epsg: int) -> BaseGeometry:
    """``geometry`` (EPSG:4326) in the projected CRS ``epsg``, in metres."""
    transformer = _transformer(epsg)
    return shapely.transform(
        geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def distance_m(geometry: BaseGeometry, territory: str, others: list[BaseGeometry]) -> float:
    """Metres from ``geometry`` to the nearest of ``others`` (all EPSG:4326), in the
    territory's CRS (infinite when out of reach of that projection)."""
    epsg = TERRITORIES[territory].epsg
    projected = project(geometry, epsg)
    distance = min(shapely.distance(projected, project(other, epsg)) for other in others)
    return distance if math.isfinite(distance) else math.inf


def ground_beyond(outline: BaseGeometry, other: BaseGeometry, tolerance_m: float) -> float:
    """The area (m²) of ``outline`` farther than ``tolerance_m`` from ``other`` (both
    projected, in metres), its parts narrower than twice ``SLIVER_M`` left out; 0.0 when
    none."""
    away = shapely.difference(outline, shapely.buffer(other, tolerance_m))
    ground = shapely.buffer(shapely.buffer(away, -SLIVER_M), SLIVER_M)
    if shapely.is_empty(ground) or not shapely.area(ground) > 0:
        return 0.0
    return float(shapely.area(away))


def outlines_apart(pairs: list[tuple[str, str, BaseGeometry, BaseGeometry]],
                   tolerance_m: float) -> list[tuple[str, float, float]]:
    """``(code, m² lost, m² gained)`` for each ``(code, territory, outline, reference)``
    (EPSG:4326) whose outline loses or gains ground beyond ``tolerance_m`` against the
    reference, in the territory's CRS; identical outlines are not measured."""
    apart = []
    for code, territory, outline, reference in pairs:
        if shapely.equals_exact(outline, reference, tolerance=0.0):
            continue
        epsg = TERRITORIES[territory].epsg
        mine, theirs = project(outline, epsg), project(reference, epsg)
        lost = ground_beyond(theirs, mine, tolerance_m)
        gained = ground_beyond(mine, theirs, tolerance_m)
        if lost or gained:
            apart.append((code, lost, gained))
    return apart


def length(metres: float) -> str:
    """A distance as a report says it: « 120 m », « 3 km »."""
    if not math.isfinite(metres):
        return "une distance hors de la projection du territoire"
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{number(round(metres / 1000))} km"


def commune_shapes(connection: Connection, codes: list[str]) -> dict[str, BaseGeometry]:
    """The outlines in service of the communes ``codes`` that have one (EPSG:4326)."""
    shapes = {}
    for start in range(0, len(codes), CHUNK):
        shapes.update(connection.execute(
            select(CommuneContour.code, CommuneContour.geom)
            .where(CommuneContour.code.in_(codes[start:start + CHUNK]))).all())
    return shapes
