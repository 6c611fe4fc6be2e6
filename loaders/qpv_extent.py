"""A QPV layer's extent, a proof of its completeness (``loaders.qpv_proof``).

A file of QPV outlines can keep every code of a territory, each in its communes, and still
lose ground: a quartier cut down to a dot or to a piece (an outside audit replaced QN01332M
by a disc of 20 m), where the engine then answered "not in a QPV" in the rest of the real
outline. Two facts bound an outline's area, measured in its territory's projected CRS:

- a quartier houses at least 1,000 inhabitants (décret n° 2014-1750): its outline covers at
  least ``MIN_AREA_M2``, 1 ha (the smallest outline of the lists at hand covers about 2 ha,
  most 4 ha or more);
- the registry pins each source's reference file by its checksum: a new file may redraw a
  quartier of it, not halve or double its area (``AREA_CHANGE``) nor move it away
  (``MIN_OVERLAP`` of it in common). The reference itself is compared with nothing; without
  it at hand (no shared data), the outlines in service are compared with. Compared with the
  outlines in service only, a quartier shrunk by steps of 45 % passed every step, and once a
  bad outline was in service the reference file was refused.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import shapely
from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.storage.models import Qpv
from geodata.territories import TERRITORIES
from loaders.claims import Proof, examples, number
from loaders.placement import project

if TYPE_CHECKING:
    from loaders.qpv_proof import Outline

__all__ = ["AREA_CHANGE", "MIN_AREA_M2", "MIN_OVERLAP", "extent"]

MIN_AREA_M2 = 10_000.0
"""The smallest area (m², in the territory's projected CRS) a QPV outline may cover: 1 ha."""

AREA_CHANGE = 2.0
"""How many times smaller or larger than in service a quartier's area may become."""

MIN_OVERLAP = 0.5
"""How much of the larger of a quartier's two outlines (the file's, the one compared with)
the two must have in common: a redrawing keeps most of it, a moved outline none."""

CHUNK = 500  # codes per IN (...) query


def extent(connection: Connection, vintage: str, outlines: list[Outline],
           reference: list[Outline] | None = None) -> Proof:
    """Each polygon covers at least ``MIN_AREA_M2``, and keeps the place and area of the same
    quartier in ``reference`` (None: the outlines in service): an area within a factor
    ``AREA_CHANGE``, and at least ``MIN_OVERLAP`` of it in common (in the territory's CRS)."""
    proof = Proof()
    shapes = {o.code: project(o.geom, TERRITORIES[o.territory].epsg) for o in outlines}
    if reference is None:
        against = _in_service(connection, vintage, sorted(shapes))
        compared_with, compared_to = "la version en service", "à la version en service"
    else:
        against = {o.code: project(o.geom, TERRITORIES[o.territory].epsg) for o in reference}
        compared_with = "le fichier de référence du registre"
        compared_to = "au fichier de référence du registre"
    small = [f"{code} ({_surface(shape.area)})" for code, shape in shapes.items()
             if not shape.area >= MIN_AREA_M2]
    changed, moved = [], []
    for code, shape in shapes.items():
        if code not in against:
            continue
        before = against[code]
        if not before.area / AREA_CHANGE <= shape.area <= before.area * AREA_CHANGE:
            changed.append(f"{code} : {_surface(before.area)} dans {compared_with}, "
                           f"{_surface(shape.area)} au fichier")
        elif not shapely.area(shapely.intersection(shape, before)) \
                >= MIN_OVERLAP * max(shape.area, before.area):
            moved.append(code)
    if small:
        proof.contradicted(
            f"{number(len(small))} contour(s) trop petit(s) pour un quartier (moins de "
            f"{_surface(MIN_AREA_M2)} ; un QPV compte au moins 1 000 habitants) : un quartier "
            f"réduit à un point ou tronqué ? {examples(small)}")
    if changed:
        proof.contradicted(
            f"{number(len(changed))} quartier(s) dont la surface change de plus du double ou "
            f"de plus de moitié par rapport {compared_to} (contour tronqué ou "
            f"remplacé ?) : {examples(changed)}")
    if moved:
        proof.contradicted(
            f"{number(len(moved))} quartier(s) qui n'ont plus la moitié de leur contour en "
            f"commun avec {compared_with} (contour déplacé ou remplacé ?) : {examples(moved)}")
    if outlines and not small and not changed and not moved:
        compared = sum(code in against for code in shapes)
        proof.verified.append(
            f"{number(len(outlines))} contour(s) d'au moins {_surface(MIN_AREA_M2)}"
            + (f", dont {number(compared)} de surface et de place comparables "
               f"{compared_to}" if compared else ""))
    return proof


def _in_service(connection: Connection, vintage: str, codes: list[str]) -> dict:
    """The outlines in service of ``codes`` for the vintage, projected."""
    shapes = {}
    for start in range(0, len(codes), CHUNK):
        for code, territory, geom in connection.execute(
                select(Qpv.code, Qpv.territory, Qpv.geom)
                .where(Qpv.vintage == vintage, Qpv.code.in_(codes[start:start + CHUNK]))):
            shapes[code] = project(geom, TERRITORIES[territory].epsg)
    return shapes


def _surface(square_metres: float) -> str:
    if not math.isfinite(square_metres):
        return "une surface hors de la projection du territoire"
    if square_metres < 10_000:
        return f"{number(round(square_metres))} m²"
    hectares = f"{square_metres / 10_000:.1f}".replace(".", ",").removesuffix(",0")
    return f"{hectares} ha"
