"""A QPV layer's extent, a proof of its completeness (``loaders.qpv_proof``).

A file of QPV outlines can keep every code of a territory, each in its communes, and still
lose ground: a quartier cut down to a dot or to a piece (an outside audit replaced QN01332M
by a disc of 20 m), where the engine then answered "not in a QPV" in the rest of the real
outline. Two facts bound an outline's area, measured in its territory's projected CRS:

- a quartier houses at least 1,000 inhabitants (décret n° 2014-1750): its outline covers at
  least ``MIN_AREA_M2``, 1 ha (the smallest outline of the lists at hand covers about 2 ha,
  most 4 ha or more);
- the registry pins each source's reference file by its checksum: a new file may redraw a
  quartier of it by its drawing's precision, ``REDRAW_TOLERANCE_M`` (generalised or rounded
  outlines move their edges by a few metres), never lose or gain ground beyond it: a part
  of the reference outline farther than that from the file's is a place the engine would
  call "not in a QPV", a part of the file's farther from the reference one a false "in a
  QPV". A quartier of the file that the reference does not have is refused (one swapped for
  a made-up code kept the count); one of the reference missing leaves the layer partial.
  The reference itself is compared with nothing; without it at hand (no shared data), the
  outlines in service are compared with, quartier by quartier. Earlier bounds (area within
  a factor 2, half of it in common) let a quartier cut by 44 % load « complet » and answer
  « non éligible » inside it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.french import agreed
from geodata.storage.models import Qpv
from geodata.territories import TERRITORIES
from loaders.claims import Proof, examples, number
from loaders.placement import ground_beyond, project

if TYPE_CHECKING:
    from loaders.qpv_proof import Outline

__all__ = ["MIN_AREA_M2", "REDRAW_TOLERANCE_M", "extent"]

MIN_AREA_M2 = 10_000.0
"""The smallest area (m², in the territory's projected CRS) a QPV outline may cover: 1 ha."""

REDRAW_TOLERANCE_M = 20.0
"""How far (m) a quartier's outline may lie from the one it is compared with."""

CHUNK = 500  # codes per IN (...) query


def extent(connection: Connection, vintage: str, outlines: list[Outline],
           reference: list[Outline] | None = None) -> Proof:
    """Each polygon covers at least ``MIN_AREA_M2``, and keeps the ground of the same
    quartier in ``reference`` (None: the outlines in service) within ``REDRAW_TOLERANCE_M``
    (in the territory's CRS); against the reference file, the same quartiers."""
    proof = Proof()
    shapes = {o.code: project(o.geom, TERRITORIES[o.territory].epsg) for o in outlines}
    if reference is None:
        against = _in_service(connection, vintage, sorted(shapes))
        compared_to = "à la version en service"
    else:
        against = {o.code: project(o.geom, TERRITORIES[o.territory].epsg) for o in reference}
        compared_to = "au fichier de référence du registre"
        if reference:  # [] when the file is the reference itself
            _same_quartiers(proof, set(shapes), set(against))
    small = [f"{code} ({_surface(shape.area)})" for code, shape in shapes.items()
             if not shape.area >= MIN_AREA_M2]
    lost, gained = [], []
    for code, shape in shapes.items():
        if code in against:
            lost += _beyond(code, against[code], shape, "perdus")
            gained += _beyond(code, shape, against[code], "de plus")
    if small:
        proof.contradicted(
            f"{number(len(small))} {agreed('contour(s) trop petit(s)', len(small))} pour un "
            f"quartier (moins de "
            f"{_surface(MIN_AREA_M2)} ; un QPV compte au moins 1 000 habitants) : un quartier "
            f"réduit à un point ou tronqué ? {examples(small)}")
    tolerance = f"{REDRAW_TOLERANCE_M:.0f} m"
    if lost:
        proof.contradicted(
            f"{number(len(lost))} {agreed('quartier(s) qui (perd|perdent)', len(lost))} du "
            f"terrain par rapport {compared_to}, au-delà de {tolerance} de "
            f"{agreed('(son|leur)', len(lost))} contour (contour tronqué, déplacé "
            f"ou remplacé ?) : {examples(lost)}")
    if gained:
        spread = agreed("quartier(s) qui (s'étend|s'étendent)", len(gained))
        proof.contradicted(
            f"{number(len(gained))} {spread} au-delà de {tolerance} de "
            f"{agreed('(son|leur)', len(gained))} contour par rapport {compared_to} (contour "
            f"agrandi, déplacé ou remplacé ?) : {examples(gained)}")
    if outlines and not small and not lost and not gained:
        compared = sum(code in against for code in shapes)
        proof.verified.append(
            f"{number(len(outlines))} {agreed('contour(s)', len(outlines))} d'au moins "
            f"{_surface(MIN_AREA_M2)}"
            + (f", dont {number(compared)} {agreed('identique(s)', compared)} à {tolerance} "
               f"près {compared_to}"
               if compared else ""))
    return proof


def _beyond(code: str, outline, other, said: str) -> list[str]:
    """``[code (area)]`` when a part of ``outline`` lies farther than the tolerance from
    ``other`` (both projected), else []."""
    away = ground_beyond(outline, other, REDRAW_TOLERANCE_M)
    return [f"{code} ({_surface(away)} {said})"] if away else []


def _same_quartiers(proof: Proof, codes: set[str], reference: set[str]) -> None:
    """The file holds no quartier the reference file lacks (refused), and all of its
    quartiers (else partial)."""
    missing, unknown = sorted(reference - codes), sorted(codes - reference)
    if missing:  # an extract: partial, never complete (the engine says « à vérifier »)
        proof.unproven(
            f"{number(len(missing))} {agreed('quartier(s)', len(missing))} du fichier de "
            f"référence du registre {agreed('(manque|manquent)', len(missing))} au fichier : "
            f"{examples(missing)}")
    if unknown:
        proof.contradicted(
            f"{number(len(unknown))} "
            f"{agreed('quartier(s) du fichier absent(s)', len(unknown))} du fichier de référence "
            f"du registre (codes inventés ou d'une autre liste ?) : {examples(unknown)}")


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
