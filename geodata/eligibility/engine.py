"""Classify locations: in which QPV, nearest QPV and distance, proximity, commune, urban class.

One vectorised implementation answers a single check and a batch of a million points. Each
territory's points are projected to its CRS and queried against STRtrees of projected
outlines, so every distance is in metres. Answers are three-valued: true, false, or unknown
(``UNKNOWN``): missing data is never a negative answer. "Not in a QPV" is said only where
the QPV sources are complete, or where the official list says the commune has no QPV; "not
near a QPV" only when the whole proximity disc is known; a location known only to commune
precision cannot decide either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geodata.eligibility.layers import ReferenceIndex, TerritoryIndex
from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    Policy,
)
from geodata.territories import TERRITORIES

__all__ = [
    "COARSE_PRECISIONS",
    "FALSE",
    "PRECISIONS",
    "TRUE",
    "UNKNOWN",
    "Classification",
    "EligibilityError",
    "classify",
]

TRUE, FALSE, UNKNOWN = np.int8(1), np.int8(0), np.int8(-1)
PRECISIONS = ("point", "address", "street", "locality", "commune")
COARSE_PRECISIONS = frozenset({"locality", "commune", "municipality"})
"""Precisions that cannot place a location inside or outside a QPV."""
HOSTING_TOLERANCE_M = 100.0
"""Margin added when the official commune list is used: commune contours are generalised."""


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
) -> Classification:
    """Classify locations (WGS84 lon/lat) under a policy whose QPV vintage the index holds."""
    if index.qpv.vintage != policy.qpv_vintage:
        raise EligibilityError(
            f"index du millésime {index.qpv.vintage} pour une politique en "
            f"{policy.qpv_vintage}"
        )
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    n = len(lon)
    precision = np.full(n, "point", dtype=object) if precision is None \
        else np.asarray(precision, dtype=object)
    result = _empty(index, policy, lon, lat, precision)
    unassigned = np.ones(n, dtype=bool)  # no territory yet: the first whose box holds it
    for code, territory in TERRITORIES.items():
        min_lon, min_lat, max_lon, max_lat = territory.bbox
        rows = np.flatnonzero((lon >= min_lon) & (lon <= max_lon)
                              & (lat >= min_lat) & (lat <= max_lat) & unassigned)
        if len(rows):
            unassigned[rows] = False
            result.territory[rows] = code
            _classify_territory(result, index.territories[code], rows, commune_codes)
    _urban_half(result)
    _categories(result)
    return result


def _empty(index, policy, lon, lat, precision) -> Classification:
    n = len(lon)
    return Classification(
        policy=policy, index=index, lon=lon, lat=lat, precision=precision,
        territory=np.full(n, None, dtype=object),
        commune=np.full(n, -1, dtype=np.int64),
        in_qpv=np.full(n, UNKNOWN, dtype=np.int8),
        qpv=np.full(n, -1, dtype=np.int64),
        nearest=np.full(n, -1, dtype=np.int64),
        distance=np.full(n, np.nan),
        nearest_known=np.zeros(n, dtype=bool),
        near_qpv=np.full(n, UNKNOWN, dtype=np.int8),
        no_hosting_commune=np.zeros(n, dtype=bool),
        density_level=np.zeros(n, dtype=np.int8),
        metropole=np.full(n, UNKNOWN, dtype=np.int8),
        outside=np.full(n, UNKNOWN, dtype=np.int8),
        category=np.full(n, CATEGORY_UNDETERMINED, dtype=object),
    )


def _first_match(pairs: np.ndarray, count: int, targets: np.ndarray) -> np.ndarray:
    """For each input, the lowest matching target row (-1 when none): deterministic."""
    found = np.full(count, -1, dtype=np.int64)
    if pairs.shape[1]:
        order = np.lexsort((targets[pairs[1]], pairs[0]))
        inputs, first = np.unique(pairs[0][order], return_index=True)
        found[inputs] = targets[pairs[1][order][first]]
    return found


def _first_containing(tree: shapely.STRtree, prepared: np.ndarray, rows: np.ndarray,
                      points: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For each point, the lowest row among the polygons containing it (boundary included),
    -1 when none: what ``_first_match`` gives over every containing polygon.

    The tree gives bounding-box candidates; each candidate polygon, prepared once, is then
    tested against the point's coordinates (faster than the tree's own predicate). The
    candidates of each point are tried in row order and a point leaves at its first hit:
    the lower rows all missed, so the answer is the same with fewer tests.
    """
    found = np.full(len(points), -1, dtype=np.int64)
    pairs = tree.query(points)
    if not pairs.shape[1]:
        return found
    # Sorted by point, then row (a point meets each polygon once: the keys are distinct).
    order = np.argsort(pairs[0] * (int(rows.max()) + 1) + rows[pairs[1]])
    inputs, targets = pairs[0][order], pairs[1][order]
    starts = np.flatnonzero(np.r_[True, inputs[1:] != inputs[:-1]])
    ends = np.r_[starts[1:], len(inputs)]
    while len(starts):
        point = inputs[starts]
        hit = shapely.intersects_xy(prepared[targets[starts]], x[point], y[point])
        found[point[hit]] = rows[targets[starts[hit]]]
        starts = starts[~hit] + 1
        ends = ends[~hit]
        more = starts < ends
        starts, ends = starts[more], ends[more]
    return found


NEAREST_STAGES_M = (1_000.0,)
"""Search radii tried before the policy's, to keep the candidate QPVs of a point few."""
NEAREST_MARGIN_M = 2.0
"""Slack between the candidate search and the distances it lets decide (rounding-safe)."""
NEAREST_TIE_M = 1e-6
"""Two candidates closer than this to the same distance: left to the tree's own search."""


def _nearest_within(tree: shapely.STRtree, geometries: np.ndarray, points: np.ndarray,
                    radius: float) -> tuple[np.ndarray, np.ndarray]:
    """The nearest geometry (tree position, -1 when none) within ``radius`` of each point,
    and its distance (NaN when none): what ``tree.query_nearest(points, max_distance=radius,
    all_matches=False)`` answers, faster.

    The candidates within a search radius (plus a margin) are measured with the distance
    the tree itself uses. Where the closest lies well inside the radius, and strictly
    closer than every other candidate, no geometry outside the candidates can beat it and
    it is the tree's answer; with no candidate at the policy's radius, there is none. A
    tie, or a closest distance within the margin of the radius, is left to the tree.
    """
    count = len(points)
    found = np.full(count, -1, dtype=np.int64)
    distance = np.full(count, np.nan)
    todo = np.arange(count)
    for reach in (*(r for r in NEAREST_STAGES_M if r < radius), radius):
        if not len(todo):
            break
        final = reach == radius
        pairs = tree.query(points[todo], predicate="dwithin", distance=reach + NEAREST_MARGIN_M)
        decided = np.zeros(len(todo), dtype=bool)
        if final:
            decided[:] = True
            decided[pairs[0]] = False  # no candidate at all: no geometry within the radius
        if pairs.shape[1]:
            measured = shapely.distance(points[todo[pairs[0]]], geometries[pairs[1]])
            order = np.lexsort((measured, pairs[0]))
            inputs, measured, targets = pairs[0][order], measured[order], pairs[1][order]
            starts = np.flatnonzero(np.r_[True, inputs[1:] != inputs[:-1]])
            best = measured[starts]
            ends = np.r_[starts[1:], len(inputs)]
            second = np.where(ends - starts > 1, measured[np.minimum(starts + 1, len(inputs) - 1)],
                              np.inf)
            unique = second - best > NEAREST_TIE_M
            hit = unique & (best < reach - NEAREST_MARGIN_M)
            where = todo[inputs[starts[hit]]]
            found[where] = targets[starts[hit]]
            distance[where] = best[hit]
            decided[inputs[starts[hit]]] = True
            if final:  # every candidate beyond the radius: none within it
                beyond = best > radius + NEAREST_MARGIN_M / 2
                decided[inputs[starts[beyond]]] = True
        todo = todo[~decided]
    if len(todo):
        pairs, distances = tree.query_nearest(points[todo], max_distance=radius,
                                              return_distance=True, all_matches=False)
        found[todo[pairs[0]]] = pairs[1]
        distance[todo[pairs[0]]] = distances
    return found, distance


def _classify_territory(result: Classification, ti: TerritoryIndex, rows: np.ndarray,
                        commune_codes) -> None:
    policy, index = result.policy, result.index
    x, y = ti.project(result.lon[rows], result.lat[rows])
    points = shapely.points(x, y)
    count = len(rows)

    communes = _first_containing(ti.commune_tree, ti.commune_geometries, ti.commune_rows,
                                 points, x, y)
    if commune_codes is not None:  # a geocoder's city code wins for coarse locations
        for i, row in enumerate(rows):
            code = commune_codes[row]
            position = index.commune_position(code) if code else None
            if position is not None and (communes[i] < 0
                                         or result.precision[row] in COARSE_PRECISIONS):
                communes[i] = position
    result.commune[rows] = communes

    precisions = result.precision[rows].tolist()
    coarse = np.zeros(count, dtype=bool) if COARSE_PRECISIONS.isdisjoint(precisions) else \
        np.isin(result.precision[rows], list(COARSE_PRECISIONS))
    fine = ~coarse
    qpv = _first_match(ti.qpv_tree.query(points, predicate="intersects"), count, ti.qpv_rows)
    nearest = np.full(count, -1, dtype=np.int64)
    distance = np.full(count, np.nan)
    outside = np.flatnonzero(qpv < 0)  # inside a QPV, that QPV is the nearest, at 0 m
    # Far from every QPV envelope, no QPV within the radius: only the others are searched.
    outside = outside[ti.maybe_near_qpv(points[outside], policy.search_radius_m)]
    local, distance[outside] = _nearest_within(ti.qpv_tree, ti.qpv_geometries, points[outside],
                                               policy.search_radius_m)
    nearest[outside[local >= 0]] = ti.qpv_rows[local[local >= 0]]
    nearest[qpv >= 0] = qpv[qpv >= 0]
    distance[qpv >= 0] = 0.0

    inside, proximity_inside, nearest_inside, search_inside = _completeness(
        ti, points, distance, policy)
    in_qpv = np.where(qpv >= 0, TRUE, np.where(inside, FALSE, UNKNOWN)).astype(np.int8)
    near = np.where(distance <= policy.proximity_m, TRUE,
                    np.where(proximity_inside, FALSE, UNKNOWN)).astype(np.int8)
    no_hosting = np.zeros(count, dtype=bool)
    if index.qpv.hosting_communes is not None:
        undecided = np.flatnonzero(fine & ((near == UNKNOWN) | (in_qpv == UNKNOWN)))
        no_hosting[undecided] = _no_hosting_commune_within(
            ti, points[undecided], policy.proximity_m, index, are_points=True)
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
    if coarse.any():
        _coarse_rows(result, ti, rows[coarse])


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
            _no_hosting_commune_within(ti, np.array([contour]), policy.proximity_m, index)[0])
        if band_known or no_hosting:
            result.in_qpv[row] = result.near_qpv[row] = FALSE
            result.no_hosting_commune[row] = no_hosting


def _completeness(ti: TerritoryIndex, points, distance, policy: Policy):
    """Where the QPV sources are complete, as four boolean arrays.

    The point lies in the complete area; and, inside it, no land outside it lies within D
    (the proximity disc is known), within the nearest QPV's distance (no closer QPV can
    hide), within the search radius (no QPV at all in the radius can hide).
    """
    count = len(points)
    if ti.complete_everywhere:
        full = np.ones(count, dtype=bool)
        return full, full, full, full
    if ti.complete_area is None:
        empty = np.zeros(count, dtype=bool)
        return empty, empty, empty, empty
    inside = shapely.intersects(ti.complete_area, points)
    # The frontier is measured only from inside points (the others are never clear of it),
    # and first at the search radius, the widest: a point farther than that from it is
    # farther than every smaller radius too.
    rows = np.flatnonzero(inside)
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


def _no_hosting_commune_within(ti: TerritoryIndex, shapes: np.ndarray, radius: float,
                               index: ReferenceIndex, are_points: bool = False) -> np.ndarray:
    """True where no commune within ``radius`` of each shape hosts a QPV (official list).

    A QPV lies inside the communes the list names for it, so no such commune nearby means
    no QPV nearby, at sea too. The search reaches ``HOSTING_TOLERANCE_M`` further, because
    commune contours are generalised. Nothing is said where no contour is loaded.
    """
    if not len(shapes) or not len(ti.commune_rows) or ti.hosting_area is None:
        return np.zeros(len(shapes), dtype=bool)
    reach = radius + HOSTING_TOLERANCE_M
    if not are_points:
        return ~shapely.dwithin(ti.hosting_area, shapes, reach)
    # Points far from every hosting commune's envelope are decided without the exact test.
    none = np.ones(len(shapes), dtype=bool)
    maybe = np.flatnonzero(ti.maybe_near_hosting(shapes, reach))
    none[maybe] = ~shapely.dwithin(ti.hosting_area, shapes[maybe], reach)
    return none


def _urban_half(result: Classification) -> None:
    """Density level, métropole membership and "outside large urban centres"."""
    index = result.index
    known = result.commune >= 0
    rows = np.where(known, result.commune, 0)
    levels = np.where(known, index.density_level_of[rows], 0).astype(np.int8) \
        if len(index.density_level_of) else np.zeros(len(result), dtype=np.int8)
    result.density_level = levels
    if index.metropole_of is not None and len(index.metropole_of):
        member = index.metropole_of[rows]
        result.metropole = np.where(known, np.where(member, TRUE, FALSE), UNKNOWN).astype(
            np.int8)
    policy = result.policy
    if policy.urban_definition == "metropole":
        large = result.metropole
        result.outside = np.where(large == UNKNOWN, UNKNOWN,
                                  np.where(large == TRUE, FALSE, TRUE)).astype(np.int8)
    else:
        is_large = np.isin(levels, list(policy.density_levels))
        result.outside = np.where(levels == 0, UNKNOWN,
                                  np.where(is_large, FALSE, TRUE)).astype(np.int8)


def _categories(result: Classification) -> None:
    """The quota category the policy assigns, from the two halves and its precedence."""
    qpv_half = np.where((result.in_qpv == TRUE) | (result.near_qpv == TRUE), TRUE,
                        np.where((result.in_qpv == FALSE) & (result.near_qpv == FALSE), FALSE,
                                 UNKNOWN))
    outside = result.outside
    qpv_first = result.policy.precedence == "qpv"
    category = np.full(len(result), CATEGORY_UNDETERMINED, dtype=object)
    category[(qpv_half == FALSE) & (outside == FALSE)] = CATEGORY_NOT_ELIGIBLE
    category[(qpv_half == TRUE) & (outside != TRUE)] = CATEGORY_QPV
    category[(outside == TRUE) & (qpv_half == FALSE)] = CATEGORY_OUTSIDE
    both = (qpv_half == TRUE) & (outside == TRUE)
    category[both] = CATEGORY_QPV if qpv_first else CATEGORY_OUTSIDE
    if not qpv_first:  # outside wins whatever the QPV half says
        category[outside == TRUE] = CATEGORY_OUTSIDE
    category[result.territory == None] = CATEGORY_UNDETERMINED  # noqa: E711
    result.category = category
