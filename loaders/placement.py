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

__all__ = ["commune_shapes", "distance_m", "length", "project"]

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
