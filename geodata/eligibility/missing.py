"""Communes without an outline: where they may lie, so that no answer leans on their absence.

The engine says "no QPV near here" from two facts: the QPV outlines are complete in an area
(a disc that stays inside it, or leaves it only across the coastline, is known), or the
official list names no commune hosting a QPV within D plus a margin. Both read the commune
outlines, and a commune without one would look like the sea. So each commune that the
official lists name (the communes of the COG, the communes of the QPV list) and that has no
outline gets a *zone* where it may lie: the box of its département's outlined communes,
widened on every side by the largest extent (box diagonal) of one of them, since a commune
touches its département and is taken to be no larger than its largest commune. A département
without any outline in the territory leaves the whole territory open (``everywhere``).

The zones of hosting communes without outline join the hosting area; those of the communes
without outline outside the complete area join its neighbours, so that the frontier runs
along them. The SQL function ``fabriques_missing_zone`` (migration 0005) computes the same
boxes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely

from geodata.territories import TerritoryError, territory_of_commune

__all__ = ["MissingCommunes", "departement_of", "missing_communes"]


@dataclass(frozen=True)
class MissingCommunes:
    """Communes of one territory without an outline, and where they may lie (projected)."""

    codes: tuple[str, ...] = ()
    zone: object | None = None  # union of the boxes, None when no box
    everywhere: bool = False  # a département without any outline: anywhere in the territory
    boxes: tuple = ()  # (département, its box, or None: anywhere), one per département

    def __bool__(self) -> bool:
        return bool(self.codes)

    def within(self, point, radius: float) -> tuple[str, ...]:
        """The communes that may lie within ``radius`` of ``point`` (projected): those of a
        département whose box is that near, or that has no outline at all."""
        near = {departement for departement, box in self.boxes
                if box is None or shapely.dwithin(box, point, radius)}
        return tuple(code for code in self.codes if departement_of(code) in near)


NONE = MissingCommunes()


def departement_of(code: str) -> str:
    """The département of an INSEE commune code: 3 characters overseas (97x), else 2."""
    return code[:3] if code.startswith("97") else code[:2]


def _territory_code(code: str) -> str | None:
    try:
        return territory_of_commune(code).code
    except TerritoryError:  # a commune of a territory the service does not cover
        return None


def missing_communes(codes: Iterable[str], territory: str, outlined_codes: np.ndarray,
                     geometries: np.ndarray) -> MissingCommunes:
    """The communes among ``codes`` that belong to ``territory`` (by their code), with the
    zone where they may lie, from the territory's outlined communes (projected
    ``geometries``, in the order of ``outlined_codes``)."""
    own = tuple(sorted({code for code in codes if _territory_code(code) == territory}))
    if not own:
        return NONE
    departements = np.array([departement_of(code) for code in outlined_codes], dtype=object)
    bounds = shapely.bounds(geometries).reshape(-1, 4)
    boxes = []
    for departement in sorted({departement_of(code) for code in own}):
        box = bounds[departements == departement]
        if not len(box):
            boxes.append((departement, None))
            continue
        reach = float(np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]).max())
        boxes.append((departement, shapely.box(box[:, 0].min() - reach, box[:, 1].min() - reach,
                                               box[:, 2].max() + reach, box[:, 3].max() + reach)))
    drawn = [box for _, box in boxes if box is not None]
    zone = shapely.union_all(drawn) if drawn else None
    if zone is not None:
        shapely.prepare(zone)  # asked for every undecided point of a batch
    return MissingCommunes(codes=own, zone=zone, everywhere=len(drawn) < len(boxes),
                           boxes=tuple(boxes))
