"""The engine's spatial searches: containing polygon, nearest outline within a radius.

Each answers exactly what a plain STRtree query would (the lowest row among the polygons
containing a point, boundary included; the tree's nearest geometry within a radius), with
fewer exact tests: candidates come from envelopes or from the cells of a grid, and an exact
test is spent only where it can change the answer.
"""

from __future__ import annotations

import numpy as np
import shapely

from geodata.eligibility.grid import CROSSED, OUTSIDE, Cells, PolygonCells

__all__ = [
    "NEAREST_MARGIN_M",
    "NEAREST_STAGES_M",
    "NEAREST_TIE_M",
    "Points",
    "first_containing",
    "first_match",
    "nearest_within",
]

NEAREST_STAGES_M = (1_000.0,)
"""Search radii tried before the policy's, to keep the candidate QPVs of a point few."""
NEAREST_MARGIN_M = 2.0
"""Slack between the candidate search and the distances it lets decide (rounding-safe)."""
NEAREST_TIE_M = 1e-6
"""Two candidates closer than this to the same distance: left to the tree's own search."""


class Points:
    """Point geometries of projected coordinates, made only for the positions asked for."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = x, y
        self._made = np.empty(len(x), dtype=object)
        self._done = np.zeros(len(x), dtype=bool)

    def __getitem__(self, positions: np.ndarray) -> np.ndarray:
        todo = positions[~self._done[positions]]
        if len(todo):
            self._made[todo] = shapely.points(self.x[todo], self.y[todo])
            self._done[todo] = True
        return self._made[positions]


def first_match(pairs: np.ndarray, count: int, targets: np.ndarray) -> np.ndarray:
    """For each input, the lowest matching target row (-1 when none): deterministic."""
    found = np.full(count, -1, dtype=np.int64)
    if pairs.shape[1]:
        order = np.lexsort((targets[pairs[1]], pairs[0]))
        inputs, first = np.unique(pairs[0][order], return_index=True)
        found[inputs] = targets[pairs[1][order][first]]
    return found


def _run_starts(values: np.ndarray) -> np.ndarray:
    """True where a run of equal values begins (``np.r_`` costs some 7 µs a call: a single
    check makes a few of these)."""
    starts = np.empty(len(values), dtype=bool)
    starts[:1] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def _ends(starts: np.ndarray, count: int) -> np.ndarray:
    """Where each run ends, given where each begins and the count of values."""
    return np.append(starts[1:], count)


def _first_hit(found: np.ndarray, inputs: np.ndarray, targets: np.ndarray,
               prepared: np.ndarray, rows: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Candidate pairs sorted by input, then row: each input gets the row of its first
    candidate containing it. A point leaves at its first hit: the lower rows all missed."""
    starts = np.flatnonzero(_run_starts(inputs))
    ends = _ends(starts, len(inputs))
    while len(starts):
        point = inputs[starts]
        hit = shapely.intersects_xy(prepared[targets[starts]], x[point], y[point])
        found[point[hit]] = rows[targets[starts[hit]]]
        starts = starts[~hit] + 1
        ends = ends[~hit]
        more = starts < ends
        starts, ends = starts[more], ends[more]


def first_containing(tree: shapely.STRtree, prepared: np.ndarray, rows: np.ndarray,
                     points: Points, x: np.ndarray, y: np.ndarray,
                     cells: PolygonCells | None = None,
                     located: Cells | None = None) -> np.ndarray:
    """For each point, the lowest row among the polygons containing it (boundary included),
    -1 when none: what ``first_match`` gives over every containing polygon.

    With the polygons' cells, a point in a cell no outline meets takes the cell's label, and
    a point in a cell an outline crosses is tested against the polygons met there only;
    otherwise (or outside the grid) the tree gives bounding-box candidates. Each candidate,
    prepared once, is tested against the point's coordinates in row order.
    """
    count = len(x)
    found = np.full(count, -1, dtype=np.int64)
    if not count:
        return found
    if cells is None or located is None:
        exact = np.arange(count)
    else:
        inside = located.cell >= 0
        label = located.labels(cells)
        known = label >= 0
        found[known] = rows[label[known]]
        crossed = np.flatnonzero(inside & (label < OUTSIDE))
        if len(crossed):
            slot = CROSSED - label[crossed]
            begin, end = cells.start[slot], cells.start[slot + 1]
            which = np.repeat(np.arange(len(crossed)), end - begin)
            rank = np.arange(len(which)) - np.repeat(np.cumsum(end - begin) - (end - begin),
                                                     end - begin)
            _first_hit(found, crossed[which], cells.candidates[begin[which] + rank], prepared,
                       rows, x, y)
        exact = np.flatnonzero(~inside)
    if len(exact):
        pairs = tree.query(points[exact])
        if pairs.shape[1]:
            # Sorted by point, then row (a point meets each polygon once: distinct keys).
            order = np.argsort(pairs[0] * (int(rows.max()) + 1) + rows[pairs[1]])
            _first_hit(found, exact[pairs[0][order]], pairs[1][order], prepared, rows, x, y)
    return found


def _envelope_distance(x: np.ndarray, y: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Distance from each point to an envelope (min x, min y, max x, max y): never more than
    the distance to what it envelops."""
    dx = np.maximum(np.maximum(bounds[:, 0] - x, x - bounds[:, 2]), 0.0)
    dy = np.maximum(np.maximum(bounds[:, 1] - y, y - bounds[:, 3]), 0.0)
    return np.hypot(dx, dy)


PRUNE_SLACK_M = 1e-6
"""Envelope distances this much past a bound are past it whatever the rounding."""


def _closest(points: np.ndarray, x: np.ndarray, y: np.ndarray, geometries: np.ndarray,
             bounds: np.ndarray, inputs: np.ndarray, targets: np.ndarray, reach: float):
    """Per input with a candidate within ``reach``: the input, its closest candidate, that
    distance and the second-closest (inf when alone), as ``dwithin`` candidates would give.

    Candidates are measured in the order of their envelope distance, a lower bound: after the
    closest envelope's, only those whose envelope is within NEAREST_TIE_M (plus slack) of the
    best distance can beat it or tie with it; the others stand for their lower bound, which
    already clears the tie test.
    """
    low = _envelope_distance(x[inputs], y[inputs], bounds[targets])
    keep = low <= reach + PRUNE_SLACK_M
    inputs, targets, low = inputs[keep], targets[keep], low[keep]
    order = np.lexsort((low, inputs))
    inputs, targets, low = inputs[order], targets[order], low[order]
    if not len(inputs):
        empty = np.zeros(0)
        return inputs, targets, empty, empty
    new_run = _run_starts(inputs)
    starts = np.flatnonzero(new_run)
    group = np.cumsum(new_run) - 1
    measured = np.full(len(inputs), np.nan)
    measured[starts] = shapely.distance(points[inputs[starts]], geometries[targets[starts]])
    first = measured[starts]
    more = np.flatnonzero(np.isnan(measured) & (low <= first[group] + NEAREST_TIE_M
                                                + PRUNE_SLACK_M))
    measured[more] = shapely.distance(points[inputs[more]], geometries[targets[more]])
    # Unmeasured candidates count for their lower bound; measured ones beyond reach are not
    # candidates at all (a dwithin search would not return them).
    value = np.where(np.isnan(measured), low, measured)
    value[value > reach] = np.inf
    order = np.lexsort((value, group))
    value, targets = value[order], targets[order]
    ends = _ends(starts, len(inputs))
    second = np.where(ends - starts > 1, value[np.minimum(starts + 1, len(value) - 1)], np.inf)
    best = value[starts]
    alive = np.isfinite(best)
    return inputs[starts][alive], targets[starts][alive], best[alive], second[alive]


def nearest_within(tree: shapely.STRtree, geometries: np.ndarray, bounds: np.ndarray,
                   points: np.ndarray, radius: float, envelopes
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The nearest geometry (tree position, -1 when none) within ``radius`` of each point,
    and its distance (NaN when none): what ``tree.query_nearest(points, max_distance=radius,
    all_matches=False)`` answers, faster. ``bounds``: the geometries' envelopes (n, 4).

    ``envelopes(reach)`` is a tree of the geometries' envelopes widened by at least ``reach``
    + NEAREST_MARGIN_M. The candidates within that reach are measured with the distance the
    tree itself uses (``_closest``). Where the closest lies well inside the reach, and
    strictly closer than every other candidate, no geometry outside the candidates can beat
    it and it is the tree's answer; with no candidate at the policy's radius, there is none.
    A tie, or a closest distance within the margin of the radius, is left to the tree.
    """
    count = len(points)
    found = np.full(count, -1, dtype=np.int64)
    distance = np.full(count, np.nan)
    todo = np.arange(count)
    x, y = shapely.get_x(points), shapely.get_y(points)
    for reach in (*(r for r in NEAREST_STAGES_M if r < radius), radius):
        if not len(todo):
            break
        final = reach == radius
        pairs = envelopes(reach + NEAREST_MARGIN_M).query(points[todo])
        inputs, targets, best, second = _closest(
            points[todo], x[todo], y[todo], geometries, bounds, pairs[0], pairs[1],
            reach + NEAREST_MARGIN_M)
        decided = np.zeros(len(todo), dtype=bool)
        if final:
            decided[:] = True
            decided[inputs] = False  # no candidate at all: no geometry within the radius
        unique = second - best > NEAREST_TIE_M
        hit = unique & (best < reach - NEAREST_MARGIN_M)
        where = todo[inputs[hit]]
        found[where] = targets[hit]
        distance[where] = best[hit]
        decided[inputs[hit]] = True
        if final:  # every candidate beyond the radius: none within it
            decided[inputs[best > radius + NEAREST_MARGIN_M / 2]] = True
        todo = todo[~decided]
    if len(todo):
        pairs, distances = tree.query_nearest(points[todo], max_distance=radius,
                                              return_distance=True, all_matches=False)
        found[todo[pairs[0]]] = pairs[1]
        distance[todo[pairs[0]]] = distances
    return found, distance
