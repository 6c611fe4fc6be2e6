"""A QPV layer's extent, a proof of its completeness (``loaders.qpv_proof``).

A file of QPV outlines can keep every code of a territory, each in its communes, and still
lose ground: a quartier cut down to a dot or to a piece (an outside audit replaced QN01332M
by a disc of 20 m), where the engine then answered "not in a QPV" in the rest of the real
outline. Two facts bound an outline's area, measured in its territory's projected CRS:

- a quartier houses at least 1,000 inhabitants (décret n° 2014-1750): its outline covers at
  least ``MIN_AREA_M2``, 1 ha (the smallest outline of the lists at hand covers about 2 ha,
  most 4 ha or more);
- an outline already in service for the same code was proven when it was loaded: a new file
  may redraw it, not halve or double it (``AREA_CHANGE``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.storage.models import Qpv
from geodata.territories import TERRITORIES
from loaders.claims import Proof, examples, number
from loaders.placement import project

if TYPE_CHECKING:
    from loaders.qpv_proof import Outline

__all__ = ["AREA_CHANGE", "MIN_AREA_M2", "extent"]

MIN_AREA_M2 = 10_000.0
"""The smallest area (m², in the territory's projected CRS) a QPV outline may cover: 1 ha."""

AREA_CHANGE = 2.0
"""How many times smaller or larger than in service a quartier's area may become."""

CHUNK = 500  # codes per IN (...) query


def extent(connection: Connection, vintage: str, outlines: list[Outline]) -> Proof:
    """Each polygon covers at least ``MIN_AREA_M2``, and keeps its area in service within a
    factor ``AREA_CHANGE`` (areas in the territory's projected CRS)."""
    proof = Proof()
    areas = {outline.code: _area_m2(outline.geom, outline.territory) for outline in outlines}
    served = _areas_in_service(connection, vintage, sorted(areas))
    small = [f"{code} ({_surface(area)})" for code, area in areas.items()
             if not area >= MIN_AREA_M2]
    changed = [f"{code} : {_surface(served[code])} en service, {_surface(area)} au fichier"
               for code, area in areas.items() if code in served
               and not served[code] / AREA_CHANGE <= area <= served[code] * AREA_CHANGE]
    if small:
        proof.contradicted(
            f"{number(len(small))} contour(s) trop petit(s) pour un quartier (moins de "
            f"{_surface(MIN_AREA_M2)} ; un QPV compte au moins 1 000 habitants) : un quartier "
            f"réduit à un point ou tronqué ? {examples(small)}")
    if changed:
        proof.contradicted(
            f"{number(len(changed))} quartier(s) dont la surface change de plus du double ou "
            f"de plus de moitié par rapport à la version en service (contour tronqué ou "
            f"remplacé ?) : {examples(changed)}")
    if outlines and not small and not changed:
        compared = sum(code in served for code in areas)
        proof.verified.append(
            f"{number(len(outlines))} contour(s) d'au moins {_surface(MIN_AREA_M2)}"
            + (f", dont {number(compared)} de surface comparable à la version en service"
               if compared else ""))
    return proof


def _area_m2(geometry: BaseGeometry, territory: str) -> float:
    """The area in m² in the territory's projected CRS (NaN out of its reach)."""
    return shapely.area(project(geometry, TERRITORIES[territory].epsg))


def _areas_in_service(connection: Connection, vintage: str, codes: list[str]
                      ) -> dict[str, float]:
    """The area (m²) of each of ``codes`` in the outlines in service for the vintage."""
    areas = {}
    for start in range(0, len(codes), CHUNK):
        for code, territory, geom in connection.execute(
                select(Qpv.code, Qpv.territory, Qpv.geom)
                .where(Qpv.vintage == vintage, Qpv.code.in_(codes[start:start + CHUNK]))):
            areas[code] = _area_m2(geom, territory)
    return areas


def _surface(square_metres: float) -> str:
    if not math.isfinite(square_metres):
        return "une surface hors de la projection du territoire"
    if square_metres < 10_000:
        return f"{number(round(square_metres))} m²"
    hectares = f"{square_metres / 10_000:.1f}".replace(".", ",").removesuffix(",0")
    return f"{hectares} ha"
