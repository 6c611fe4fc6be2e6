"""What the official list of communes with a QPV, and the communes without outline, say
around a location (``geodata.eligibility.engine``).

A QPV lies inside the communes the official list names for it: no such commune within D
(plus ``HOSTING_TOLERANCE_M``, commune contours being generalised) means no QPV within D.
The hosting area holds the zones where listed communes without outline may lie
(``geodata.eligibility.missing``), so that their absence is never read as "no".
"""

from __future__ import annotations

import numpy as np
import shapely

from geodata.eligibility.grid import CROSSED, Cells
from geodata.eligibility.layers import ReferenceIndex, TerritoryIndex
from geodata.eligibility.search import Points

__all__ = ["HOSTING_TOLERANCE_M", "near_unoutlined", "no_hosting_commune_within",
           "no_hosting_near_points"]

HOSTING_TOLERANCE_M = 250.0
"""Margin added when the official commune list is used: commune contours are generalised.
Over the QPV outlines loaded with that list (the 135 of PACA), the farthest point of a QPV
lies 163 m outside the contours of the communes hosting a QPV (QN08310M La Beaucaire, in
Toulon); the next 67 m. 100 m made a place 279 m from La Beaucaire « ni en QPV ni à
proximité » where its outline is not loaded. ``tests/geodata/test_hosting_margin.py``
measures it again on the data in service."""


def no_hosting_commune_within(ti: TerritoryIndex, shapes: np.ndarray, radius: float,
                               index: ReferenceIndex) -> np.ndarray:
    """True where no commune within ``radius`` of each shape hosts a QPV (official list).

    A QPV lies inside the communes the list names for it, so no such commune nearby means
    no QPV nearby, at sea too. The search reaches ``HOSTING_TOLERANCE_M`` further, because
    commune contours are generalised. Nothing is said where no contour is loaded.
    """
    if not len(shapes) or not len(ti.commune_rows) or ti.hosting_area is None:
        return np.zeros(len(shapes), dtype=bool)
    return ~shapely.dwithin(ti.hosting_area, shapes, radius + HOSTING_TOLERANCE_M)


def no_hosting_near_points(ti: TerritoryIndex, points: Points, located: Cells | None,
                            rows: np.ndarray, radius: float) -> np.ndarray:
    """``no_hosting_commune_within`` for the points at ``rows``: those far from every
    hosting commune's envelope (or mask cell) are decided without the exact test."""
    if not len(rows) or not len(ti.commune_rows) or ti.hosting_area is None:
        return np.zeros(len(rows), dtype=bool)
    reach = radius + HOSTING_TOLERANCE_M
    none = np.ones(len(rows), dtype=bool)
    if located is not None:  # inside the area (0 m), or far from its outline, by cell
        label = located.labels(ti.hosting_cells())[rows]
        none[label == 0] = False
        maybe = np.flatnonzero((label <= CROSSED)
                               | (located.masked(ti.hosting_mask(reach))[rows] & (label < 0)))
    else:
        maybe = np.flatnonzero(ti.maybe_near_hosting(points[rows], reach))
    none[maybe] = ~shapely.dwithin(ti.hosting_area, points[rows[maybe]], reach)
    return none


def near_unoutlined(ti: TerritoryIndex, points: Points, undecided: np.ndarray,
                     radius: float) -> np.ndarray:
    """For the undecided points: whether a commune without outline may lie within
    ``radius`` (``geodata.eligibility.missing``), to say so in the explanation."""
    near = np.zeros(len(undecided), dtype=bool)
    rows = np.flatnonzero(undecided)
    for missing in (ti.missing_hosting, ti.missing_neighbours):
        if not missing or not len(rows):
            continue
        if missing.everywhere:
            near[rows] = True
        elif missing.zone is not None:
            near[rows] |= shapely.dwithin(missing.zone, points[rows], radius)
    return near
