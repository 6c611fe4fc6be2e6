"""Classify locations: in which QPV, nearest QPV and distance, proximity, commune, urban class.

One vectorised implementation answers a single check and a batch of a million points. Each
territory's points are projected to its CRS and queried against STRtrees of projected
outlines, so every distance is in metres. A big batch first meets the territory's cell grid
(``geodata.eligibility.grid``): a point in a cell no outline crosses gets its commune (and
its place in or out of the complete area and the hosting communes) without an exact test,
and filters ask exact distances only near QPVs, frontiers and hosting communes; the answers
are those of the trees. Answers are three-valued: true, false, or unknown
(``UNKNOWN``): missing data is never a negative answer. "Not in a QPV" is said only where
the QPV sources are complete, or where the official list says the commune has no QPV; "not
near a QPV" only when the whole proximity disc is known; a location known only to commune
precision cannot decide either. Distances are decided as they are shown: rounded to the
decimetre (``rounded_distance``), so that "300,0 m" is always near a QPV
under a 300 m proximity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geodata.eligibility.categories import categories
from geodata.eligibility.grid import CROSSED, Cells
from geodata.eligibility.hosting import (
    HOSTING_TOLERANCE_M,
    near_unoutlined,
    no_hosting_commune_within,
    no_hosting_near_points,
)
from geodata.eligibility.layers import ReferenceIndex, TerritoryIndex
from geodata.eligibility.plain_layers import FALSE, TRUE, UNKNOWN
from geodata.eligibility.search import Points, first_containing, first_match, nearest_within
from geodata.policy import (
    CATEGORY_UNDETERMINED,
    Policy,
)
from geodata.territories import TERRITORIES

__all__ = [
    "COARSE_PRECISIONS",
    "HOSTING_TOLERANCE_M",
    "FALSE",
    "GRID_MIN_POINTS",
    "PRECISIONS",
    "TRUE",
    "UNKNOWN",
    "Classification",
    "EligibilityError",
    "classify",
    "coarse",
    "rounded_distance",
]

PRECISIONS = ("point", "address", "street", "locality", "commune")
COARSE_PRECISIONS = frozenset({"locality", "commune"})
"""Precisions that cannot place a location inside or outside a QPV."""


def coarse(precision: np.ndarray) -> np.ndarray:
    """Where ``precision`` is one of ``COARSE_PRECISIONS`` (no array work when none is)."""
    if COARSE_PRECISIONS.isdisjoint(precision.tolist()):
        return np.zeros(len(precision), dtype=bool)
    return np.isin(precision, list(COARSE_PRECISIONS))


class EligibilityError(ValueError):
    """Input the engine cannot classify (bad coordinates, unknown precision)."""


@dataclass
class Classification:
    """Column arrays, one entry per input location, in input order."""

    policy: Policy
    index: ReferenceIndex
    lon: np.ndarray
    lat: np.ndarray
    precision: np.ndarray
    territory: np.ndarray  # territory code, or None outside every territory
    commune: np.ndarray  # row in the commune layer, -1 when unknown
    in_qpv: np.ndarray  # TRUE / FALSE / UNKNOWN
    qpv: np.ndarray  # row in the QPV layer of the containing QPV, -1
    nearest: np.ndarray  # row of the nearest QPV within the search radius, -1
    distance: np.ndarray  # metres to the nearest QPV, NaN when none or unknown
    nearest_known: np.ndarray  # bool: the search disc lies where the sources are complete
    near_qpv: np.ndarray
    no_hosting_commune: np.ndarray  # bool: the official list rules out any QPV within D
    near_unoutlined: np.ndarray  # bool: undecided, and a commune without outline may be near
    density_level: np.ndarray  # 1..7, 0 when unknown
    metropole: np.ndarray
    outside: np.ndarray  # outside large urban centres
    category: np.ndarray

    def __len__(self) -> int:
        return len(self.lon)


def classify(
    index: ReferenceIndex,
    policy: Policy,
    lon,
    lat,
    precision=None,
    commune_codes=None,
    *,
    grid: bool | None = None,
) -> Classification:
    """Classify locations (WGS84 lon/lat) under a policy whose QPV vintage the index holds.

    ``grid``: use each territory's cell grid (True), its trees only (False), or decide by
    the number of points (None: ``GRID_MIN_POINTS``); the answers are the same.
    """
    if index.qpv.vintage != policy.qpv_vintage:
        raise EligibilityError(
            f"index du millésime {index.qpv.vintage} pour une politique en "
            f"{policy.qpv_vintage}"
        )
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    n = len(lon)
    precision = _filled(n, "point") if precision is None \
        else np.asarray(precision, dtype=object)
    result = _empty(index, policy, lon, lat, precision)
    unassigned = np.arange(n)  # no territory yet: the first whose box holds it
    with index.lock:  # one thread at a time in the prepared geometries
        for code, territory in TERRITORIES.items():
            if not len(unassigned):
                break
            min_lon, min_lat, max_lon, max_lat = territory.bbox
            x, y = lon[unassigned], lat[unassigned]
            inside = (x >= min_lon) & (x <= max_lon) & (y >= min_lat) & (y <= max_lat)
            rows = unassigned[inside]
            if len(rows):
                unassigned = unassigned[~inside]
                result.territory[rows] = code
                _classify_territory(result, index.territories[code], rows, commune_codes,
                                    grid)
    _urban_half(result)
    result.category = categories(result)
    return result


def _filled(count: int, value) -> np.ndarray:
    """An object array of ``value`` (``np.full`` is slow with strings)."""
    out = np.empty(count, dtype=object)
    out.fill(value)
    return out


def _empty(index, policy, lon, lat, precision) -> Classification:
    n = len(lon)
    return Classification(
        policy=policy, index=index, lon=lon, lat=lat, precision=precision,
        territory=np.empty(n, dtype=object),  # None
        commune=np.full(n, -1, dtype=np.int64),
        in_qpv=np.full(n, UNKNOWN, dtype=np.int8),
        qpv=np.full(n, -1, dtype=np.int64),
        nearest=np.full(n, -1, dtype=np.int64),
        distance=np.full(n, np.nan),
        nearest_known=np.zeros(n, dtype=bool),
        near_qpv=np.full(n, UNKNOWN, dtype=np.int8),
        no_hosting_commune=np.zeros(n, dtype=bool),
        near_unoutlined=np.zeros(n, dtype=bool),
        density_level=np.zeros(n, dtype=np.int8),
        metropole=np.full(n, UNKNOWN, dtype=np.int8),
        outside=np.full(n, UNKNOWN, dtype=np.int8),
        category=_filled(n, CATEGORY_UNDETERMINED),
    )


GRID_MIN_POINTS = 20_000
"""A territory receiving at least this many points in one call uses its cell grid (built on
first use and kept with the index: a second or so); fewer go straight to the trees."""


def _classify_territory(result: Classification, ti: TerritoryIndex, rows: np.ndarray,
                        commune_codes, grid: bool | None) -> None:
    """Classify the points at ``rows``, all in the box of territory ``ti``: their commune,
    the QPV that holds them, the nearest one and the three-valued answers."""
    policy, index = result.policy, result.index
    x, y = ti.project(result.lon[rows], result.lat[rows])
    points = Points(x, y)
    count = len(rows)
    located = ti.locate(x, y) if (count >= GRID_MIN_POINTS if grid is None else grid) \
        else None
    result.commune[rows] = _communes(result, ti, rows, points, located, commune_codes)

    rough = coarse(result.precision[rows])
    fine = ~rough
    qpv, nearest, distance = _qpv_search(ti, points, located, policy.search_radius_m)

    inside, proximity_inside, nearest_inside, search_inside = _completeness(
        ti, points, located, distance, policy)
    distance = rounded_distance(distance)  # measured exactly above, decided as shown below
    in_qpv = np.where(qpv >= 0, TRUE, np.where(inside, FALSE, UNKNOWN)).astype(np.int8)
    near = np.where(distance <= policy.proximity_m, TRUE,
                    np.where(proximity_inside, FALSE, UNKNOWN)).astype(np.int8)
    no_hosting = np.zeros(count, dtype=bool)
    if index.qpv.hosting_communes is not None:
        undecided = np.flatnonzero(fine & ((near == UNKNOWN) | (in_qpv == UNKNOWN)))
        no_hosting[undecided] = no_hosting_near_points(ti, points, located, undecided,
                                                        policy.proximity_m)
        in_qpv[no_hosting & (in_qpv == UNKNOWN)] = FALSE
        near[no_hosting & (near == UNKNOWN)] = FALSE
    known = fine & ((nearest >= 0) & nearest_inside | (nearest < 0) & search_inside)

    result.in_qpv[rows] = in_qpv
    result.qpv[rows] = qpv
    result.nearest[rows] = nearest
    result.distance[rows] = distance
    result.nearest_known[rows] = known
    result.near_qpv[rows] = near
    result.no_hosting_commune[rows] = no_hosting
    result.near_unoutlined[rows] = near_unoutlined(
        ti, points, fine & ((near == UNKNOWN) | (in_qpv == UNKNOWN)), policy.search_radius_m)
    if rough.any():
        _coarse_rows(result, ti, rows[rough])


def _communes(result: Classification, ti: TerritoryIndex, rows: np.ndarray, points: Points,
              located: Cells | None, commune_codes) -> np.ndarray:
    """The commune row of each point (-1: none); a geocoder's city code wins where the
    point lies in no commune or is known only coarsely."""
    cells = None if located is None else ti.commune_cells()
    communes = first_containing(ti.commune_tree, ti.commune_geometries, ti.commune_rows,
                                points, points.x, points.y, cells, located)
    if commune_codes is not None:
        for i, row in enumerate(rows):
            code = commune_codes[row]
            position = result.index.commune_position(code) if code else None
            if position is not None and (communes[i] < 0
                                         or result.precision[row] in COARSE_PRECISIONS):
                communes[i] = position
    return communes


def _qpv_search(ti: TerritoryIndex, points: Points, located: Cells | None,
                radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The QPV row holding each point, the nearest QPV row within ``radius`` and its
    distance in metres (-1, -1 and NaN when none). A point at « 0,0 m » (under 5 cm, the
    distance as shown) is on the QPV's outline, so in it: its vertices, projected, move by
    a fraction of a millimetre, and PostGIS's projection and this one differ there."""
    count = len(points.x)
    # Far from every QPV envelope, no QPV within the radius (nor around the point): only the
    # others are searched. Inside a QPV, that QPV is the nearest, at 0 m.
    maybe = located.masked(ti.qpv_mask(radius)) if located is not None \
        else ti.maybe_near_qpv(points[np.arange(count)], radius)
    near_rows = np.flatnonzero(maybe)
    qpv = np.full(count, -1, dtype=np.int64)
    qpv[near_rows] = first_match(ti.qpv_tree.query(points[near_rows], predicate="intersects"),
                                 len(near_rows), ti.qpv_rows)
    nearest = np.full(count, -1, dtype=np.int64)
    distance = np.full(count, np.nan)
    outside = near_rows[qpv[near_rows] < 0]
    local, distance[outside] = nearest_within(ti.qpv_tree, ti.qpv_geometries, ti.qpv_bounds,
                                              points[outside], radius, ti.qpv_envelopes)
    nearest[outside[local >= 0]] = ti.qpv_rows[local[local >= 0]]
    on_outline = (qpv < 0) & (nearest >= 0) & (rounded_distance(distance) == 0.0)
    qpv[on_outline] = nearest[on_outline]  # the outline is the QPV's (« limite comprise »)
    nearest[qpv >= 0] = qpv[qpv >= 0]
    distance[qpv >= 0] = 0.0
    return qpv, nearest, distance


def rounded_distance(metres: np.ndarray) -> np.ndarray:
    """Distances rounded to the decimetre, ties up; NaN stays NaN.

    ``floor(m * 10 + 0.5) / 10`` in binary floating point, which ``fabriques_classify``
    computes with the same float8 operations, so both give the same bits."""
    return np.floor(np.asarray(metres, dtype=float) * 10.0 + 0.5) / 10.0


def _coarse_rows(result: Classification, ti: TerritoryIndex, rows: np.ndarray) -> None:
    """Commune-precision locations: decided only if no QPV can be within D of the commune.

    The point of such a location is a commune centroid: it says nothing about QPVs. The
    commune's contour stands for the location instead: with no QPV within D of the contour,
    and the whole D band around it known (complete sources, or no commune hosting a QPV
    within D in the official list), the location is neither in nor near a QPV. Otherwise
    the QPV half stays "à vérifier".
    """
    policy, index = result.policy, result.index
    result.qpv[rows] = -1
    result.nearest[rows] = -1
    result.distance[rows] = np.nan
    result.nearest_known[rows] = False
    for row in rows:
        result.in_qpv[row] = result.near_qpv[row] = UNKNOWN
        commune = result.commune[row]
        if commune < 0 or index.communes.territories[commune] != ti.territory.code:
            continue
        local = np.searchsorted(ti.commune_rows, commune)
        contour = ti.commune_geometries[local]
        if len(ti.qpv_tree.query(contour, predicate="dwithin", distance=policy.proximity_m)):
            continue
        band_known = ti.complete_everywhere or (
            ti.complete_area is not None
            and shapely.contains(ti.complete_area, contour)
            and not shapely.dwithin(ti.frontier, contour, policy.proximity_m))
        no_hosting = index.qpv.hosting_communes is not None and bool(
            no_hosting_commune_within(ti, np.array([contour]), policy.proximity_m, index)[0])
        if band_known or no_hosting:
            result.in_qpv[row] = result.near_qpv[row] = FALSE
            result.no_hosting_commune[row] = no_hosting


def _completeness(ti: TerritoryIndex, points: Points, located: Cells | None, distance,
                  policy: Policy):
    """Where the QPV sources are complete, as four boolean arrays.

    The point lies in the complete area; and, inside it, no land outside it lies within D
    (the proximity disc is known), within the nearest QPV's distance (no closer QPV can
    hide), within the search radius (no QPV at all in the radius can hide).
    """
    count = len(points.x)
    if ti.complete_everywhere:
        full = np.ones(count, dtype=bool)
        return full, full, full, full
    if ti.complete_area is None:
        empty = np.zeros(count, dtype=bool)
        return empty, empty, empty, empty
    if located is None:
        inside = shapely.intersects_xy(ti.complete_area, points.x, points.y)
    else:  # by cell, and exactly in the cells the area's outline meets
        label = located.labels(ti.complete_cells())
        inside = label == 0
        crossed = np.flatnonzero(label <= CROSSED)
        inside[crossed] = shapely.intersects_xy(ti.complete_area, points.x[crossed],
                                                points.y[crossed])
    # The frontier is measured only from inside points (the others are never clear of it),
    # and first at the search radius, the widest: a point farther than that from it is
    # farther than every smaller radius too. With a grid, only points in cells that may lie
    # that close to it are measured.
    rows = np.flatnonzero(inside)
    if located is not None:
        rows = rows[located.masked(ti.frontier_mask(policy.search_radius_m))[rows]]
    near = np.zeros(count, dtype=bool)
    near[rows] = shapely.dwithin(ti.frontier, points[rows], policy.search_radius_m)

    def clear_of_frontier(radius):
        clear = inside & ~near
        close = np.flatnonzero(near)
        if isinstance(radius, np.ndarray):
            radius = radius[close]
        clear[close] = ~shapely.dwithin(ti.frontier, points[close], radius)
        return clear

    nearest_reach = np.where(np.isnan(distance), 0.0, distance)
    return (inside, clear_of_frontier(policy.proximity_m), clear_of_frontier(nearest_reach),
            inside & ~near)


def _urban_half(result: Classification) -> None:
    """Density level, métropole membership and "outside large urban centres"."""
    index = result.index
    known = result.commune >= 0
    rows = np.where(known, result.commune, 0)
    levels = np.where(known, index.density_level_of[rows], 0).astype(np.int8) \
        if len(index.density_level_of) else np.zeros(len(result), dtype=np.int8)
    result.density_level = levels
    if index.metropole_of is not None and len(index.metropole_of):
        result.metropole = np.where(known, index.metropole_of[rows], UNKNOWN).astype(np.int8)
    policy = result.policy
    if policy.urban_definition == "metropole":
        large = result.metropole
        result.outside = np.where(large == UNKNOWN, UNKNOWN,
                                  np.where(large == TRUE, FALSE, TRUE)).astype(np.int8)
    else:
        large = np.zeros(max(int(levels.max(initial=0)), *policy.density_levels) + 1,
                         dtype=bool)  # by level: 0 unknown, 1 to 7 the grid's
        large[list(policy.density_levels)] = True
        is_large = large[levels]
        result.outside = np.where(levels == 0, UNKNOWN,
                                  np.where(is_large, FALSE, TRUE)).astype(np.int8)
