"""Square cells over a territory's projected plane: most points of a batch answered by lookup.

A cell that no outline meets lies wholly inside the same polygons as its centre, so the
polygon containing every point of it is known once for all; only the points of a cell an
outline crosses need an exact test, and only against the polygons met there. The masks built
from widened envelopes or segments (cells maybe near a QPV, a hosting commune, the frontier
of the complete area) only ever say "maybe": they spare exact tests, they never decide.

Outlines are assumed valid (the loaders repair them): each polygon's rings are read with the
even-odd rule. Everything here works on plain coordinates, without GEOS predicates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = [
    "CELL_M",
    "CROSSED",
    "MASK_CELLS",
    "OUTSIDE",
    "Cells",
    "Frame",
    "PolygonCells",
    "box_mask",
    "line_mask",
    "polygon_cells",
]

CELL_M = 500.0
"""Side of a cell (metres): about two thirds of the points of a commune fall in cells inside."""
MASK_CELLS = 4
"""A mask cell is this many cells wide (2 km): masks are filters, they can be coarse."""
EDGE_M = 0.01
"""An outline marks every cell it comes this close to: far more than a coordinate's rounding."""
OUTSIDE = -1
"""Label of a cell in no polygon."""
CROSSED = -2
"""Labels from this one down: cells an outline meets (``-2 - k``: candidates slot ``k``)."""


@dataclass(frozen=True)
class Frame:
    """A grid of ``nx`` by ``ny`` square cells of side ``size`` from ``(x0, y0)``."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int

    @classmethod
    def around(cls, bounds, size: float) -> Frame:
        """The frame covering ``bounds`` (min x, min y, max x, max y) with a cell to spare."""
        min_x, min_y, max_x, max_y = (float(b) for b in bounds)
        x0, y0 = min_x - size, min_y - size
        return cls(x0, y0, size, int((max_x - x0) // size) + 2, int((max_y - y0) // size) + 2)

    def coarser(self, factor: int) -> Frame:
        """The frame of cells ``factor`` times wider, from the same origin."""
        return Frame(self.x0, self.y0, self.size * factor, -(-self.nx // factor),
                     -(-self.ny // factor))

    def columns(self, x: np.ndarray) -> np.ndarray:
        """Column of each x (may lie outside the frame; -1 for NaN)."""
        return self._index(x, self.x0)

    def rows(self, y: np.ndarray) -> np.ndarray:
        """Row of each y (may lie outside the frame; -1 for NaN)."""
        return self._index(y, self.y0)

    def _index(self, values: np.ndarray, origin: float) -> np.ndarray:
        position = np.floor((np.asarray(values, dtype=float) - origin) / self.size)
        return np.clip(np.nan_to_num(position, nan=-1.0), -1, 2 ** 40).astype(np.int64)


@dataclass(frozen=True)
class Cells:
    """Where each point falls: its cell and mask cell (flat positions), -1 outside the frame."""

    cell: np.ndarray
    mask_cell: np.ndarray
    count: int  # cells in the frame

    @classmethod
    def locate(cls, frame: Frame, x: np.ndarray, y: np.ndarray) -> Cells:
        """The cells of points (projected coordinates) in ``frame`` and its mask frame."""
        i, j = frame.columns(x), frame.rows(y)
        inside = (i >= 0) & (i < frame.nx) & (j >= 0) & (j < frame.ny)
        cell = np.where(inside, j * frame.nx + i, -1)
        coarse = frame.coarser(MASK_CELLS)
        mask_cell = np.where(inside, (j // MASK_CELLS) * coarse.nx + i // MASK_CELLS, -1)
        return cls(cell, mask_cell, frame.nx * frame.ny)

    def masked(self, mask: np.ndarray) -> np.ndarray:
        """The mask's value at each point, a mask of cells or of mask cells (True outside the
        frame: no claim is made there)."""
        where = self.cell if mask.size == self.count else self.mask_cell
        found = np.ones(len(where), dtype=bool)
        inside = where >= 0
        found[inside] = mask.ravel()[where[inside]]
        return found

    def labels(self, cells: PolygonCells) -> np.ndarray:
        """The label of each point's cell; ``CROSSED`` outside the frame (no claim)."""
        found = np.full(len(self.cell), CROSSED, dtype=np.int64)
        inside = self.cell >= 0
        found[inside] = cells.label.ravel()[self.cell[inside]]
        return found


def _linework(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring, line or point of the geometries, each with its geometry's position, and
    which of them are polygon rings."""
    parts, owner = shapely.get_parts(geometries, return_index=True)
    while True:  # collections of multi-parts: flatten to single parts
        multi = np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))
        if not multi.any():
            break
        inner, position = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], inner])
        owner = np.concatenate([owner[~multi], owner[multi][position]])
    polygon = shapely.get_type_id(parts) == 3
    rings, ring_part = shapely.get_rings(parts[polygon], return_index=True)
    ring_owner = owner[polygon][ring_part]
    ring_polygon = np.flatnonzero(polygon)[ring_part]  # the part each ring belongs to
    others = parts[~polygon]
    lines = np.concatenate([rings, others])
    line_owner = np.concatenate([ring_owner, owner[~polygon]])
    line_part = np.concatenate([ring_polygon, np.full(len(others), -1)])
    return lines, line_owner, line_part


def _segments(lines: np.ndarray):
    """Segment end coordinates of every line, and the line each segment belongs to."""
    coords, line = shapely.get_coordinates(lines, return_index=True)
    same = line[1:] == line[:-1]
    start, stop = coords[:-1][same], coords[1:][same]
    return start, stop, line[:-1][same], coords, line


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges of ``counts`` items: the range of each item and its rank in its range."""
    which = np.repeat(np.arange(len(counts)), counts)
    rank = np.arange(len(which)) - np.repeat(np.cumsum(counts) - counts, counts)
    return which, rank


def _boxes_cells(frame: Frame, min_x, min_y, max_x, max_y) -> tuple[np.ndarray, np.ndarray]:
    """Flat positions of the cells each box meets (within the frame), with the box of each."""
    i0 = np.maximum(frame.columns(min_x), 0)
    i1 = np.minimum(frame.columns(max_x), frame.nx - 1)
    j0 = np.maximum(frame.rows(min_y), 0)
    j1 = np.minimum(frame.rows(max_y), frame.ny - 1)
    width, height = np.maximum(i1 - i0 + 1, 0), np.maximum(j1 - j0 + 1, 0)
    cells, boxes = [], []
    small = (width <= 2) & (height <= 2)  # most envelopes: at most 2 x 2 cells, no expansion
    for di in (0, 1):
        for dj in (0, 1):
            box = np.flatnonzero(small & (di < width) & (dj < height))
            cells.append((j0[box] + dj) * frame.nx + i0[box] + di)
            boxes.append(box)
    large = np.flatnonzero(~small)
    box, rank = _expand((width * height)[large])
    box = large[box]
    cells.append((j0[box] + rank // width[box]) * frame.nx + i0[box] + rank % width[box])
    boxes.append(box)
    return np.concatenate(cells), np.concatenate(boxes)


def box_mask(frame: Frame, bounds: np.ndarray, distance: float) -> np.ndarray:
    """Cells meeting at least one box of ``bounds`` (n, 4) widened by ``distance``."""
    mask = np.zeros(frame.ny * frame.nx, dtype=bool)
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
    if len(bounds):
        cells, _ = _boxes_cells(frame, bounds[:, 0] - distance, bounds[:, 1] - distance,
                                bounds[:, 2] + distance, bounds[:, 3] + distance)
        mask[cells] = True
    return mask.reshape(frame.ny, frame.nx)


def line_mask(frame: Frame, geometry, distance: float) -> np.ndarray:
    """Cells that may lie within ``distance`` of the geometry's linework (or points): those
    meeting a segment's envelope widened by ``distance``."""
    mask = np.zeros(frame.ny * frame.nx, dtype=bool)
    if geometry is not None and not shapely.is_empty(geometry):
        start, stop, line, coords, _ = _segments(_linework(np.array([geometry]))[0])
        start, stop, _ = _cut(start, stop, line, frame.size)  # no long diagonal envelopes
        low = np.vstack([np.minimum(start, stop), coords]) - distance
        high = np.vstack([np.maximum(start, stop), coords]) + distance
        cells, _ = _boxes_cells(frame, low[:, 0], low[:, 1], high[:, 0], high[:, 1])
        mask[cells] = True
    return mask.reshape(frame.ny, frame.nx)


@dataclass(frozen=True)
class PolygonCells:
    """For each cell, the lowest position among the polygons containing all of it.

    ``label`` holds that position, ``OUTSIDE`` (-1) for a cell in none, or ``-2 - k`` for a
    cell an outline meets: its candidates are ``candidates[start[k]:start[k + 1]]``, in
    increasing order (the polygons met there, and those containing its centre). For a single
    polygon, every such cell is ``CROSSED`` (its only candidate is that polygon), in a byte.
    """

    frame: Frame
    label: np.ndarray
    start: np.ndarray
    candidates: np.ndarray


BATCH_COORDINATES = 100_000
"""Coordinates rasterised at a time: the temporaries of a batch of outlines in memory, never
those of a whole layer (a few hundred megabytes for the communes of France)."""


def polygon_cells(frame: Frame, geometries: np.ndarray) -> PolygonCells:
    """Label every cell of ``frame`` with the (lowest) polygon containing it."""
    count = frame.ny * frame.nx
    if len(geometries) == 1:  # one shape: inside, outside or crossed fit in a byte
        met, _, filled, _ = _rasterised(frame, geometries)
        label = np.full(count, OUTSIDE, dtype=np.int8)
        label[filled] = 0
        label[met] = CROSSED
        return PolygonCells(frame, label.reshape(frame.ny, frame.nx), np.zeros(1, np.int64),
                            np.zeros(0, np.int32))
    # By batches of outlines: the lowest polygon holding each cell, and (cell, polygon) keys
    # of the cells an outline meets and of the cells inside a polygon.
    base = len(geometries) + 1
    lowest = np.full(count, len(geometries), dtype=np.int64)
    met_keys, filled_keys = [], []
    for start, stop in _batches(geometries):
        met, met_owner, filled, filled_owner = _rasterised(frame, geometries[start:stop])
        np.minimum.at(lowest, filled, filled_owner + start)
        met_keys.append(met * base + met_owner + start)
        filled_keys.append(filled * base + filled_owner + start)
        del met, met_owner, filled, filled_owner
    met_key, filled_key = np.concatenate(met_keys), np.concatenate(filled_keys)
    del met_keys, filled_keys
    label = np.where(lowest < len(geometries), lowest, OUTSIDE).astype(np.int32)
    del lowest
    # A cell an outline meets: its candidates are the polygons met there, and those holding
    # its centre (a polygon holding a point of the cell without meeting it holds all of it).
    crossed = np.zeros(count, dtype=bool)
    crossed[met_key // base] = True
    key = np.concatenate([met_key, filled_key[crossed[filled_key // base]]])
    del met_key, filled_key, crossed
    key.sort()
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    cell, candidate = key // base, key % base
    head = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]]) if len(cell) else \
        np.zeros(0, dtype=np.int64)
    label[cell[head]] = CROSSED - np.arange(len(head))
    return PolygonCells(frame, label.reshape(frame.ny, frame.nx),
                        np.r_[head, len(cell)].astype(np.int64), candidate.astype(np.int32))


def _batches(geometries: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive ranges of geometries of about BATCH_COORDINATES coordinates each."""
    total = np.cumsum(shapely.get_num_coordinates(geometries))
    ends = np.searchsorted(total, np.arange(BATCH_COORDINATES, total[-1], BATCH_COORDINATES),
                           side="right") if len(total) else np.zeros(0, dtype=np.int64)
    bounds = np.unique(np.r_[0, ends, len(geometries)])
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _rasterised(frame: Frame, geometries: np.ndarray):
    """(cells an outline meets, polygon of each), (cells whose centre is inside a polygon,
    that polygon), polygons numbered by their position in ``geometries``."""
    lines, owner, part = _linework(geometries)
    start, stop, line, coords, coord_line = _segments(lines)
    # Cells an outline meets: each segment's envelope widened by EDGE_M (long segments cut
    # first, so that a diagonal does not mark a whole rectangle), and points of point parts.
    cut_start, cut_stop, cut_line = _cut(start, stop, line, 2 * frame.size)
    alone = np.flatnonzero(np.isin(coord_line, np.flatnonzero(
        shapely.get_type_id(lines) == 0)))
    low = np.vstack([np.minimum(cut_start, cut_stop), coords[alone]]) - EDGE_M
    high = np.vstack([np.maximum(cut_start, cut_stop), coords[alone]]) + EDGE_M
    met, which = _boxes_cells(frame, low[:, 0], low[:, 1], high[:, 0], high[:, 1])
    met_owner = np.concatenate([owner[cut_line], owner[coord_line[alone]]])[which]
    filled, filled_owner = _centres_inside(frame, start, stop, part[line], owner[line])
    return met, met_owner, filled, filled_owner


def _cut(start: np.ndarray, stop: np.ndarray, line: np.ndarray, longest: float):
    """Segments longer than ``longest`` cut in equal pieces no longer than it."""
    pieces = np.ceil(np.hypot(*(stop - start).T) / longest).astype(np.int64)
    long = np.flatnonzero(pieces > 1)
    if not len(long):
        return start, stop, line
    segment, rank = _expand(pieces[long])
    segment = long[segment]
    step = (stop - start)[segment] / pieces[segment, None]
    cut_start = start[segment] + step * rank[:, None]
    cut_stop = np.where((rank + 1 == pieces[segment])[:, None], stop[segment],
                        cut_start + step)
    short = pieces <= 1
    return (np.vstack([start[short], cut_start]), np.vstack([stop[short], cut_stop]),
            np.concatenate([line[short], line[segment]]))


def _centres_inside(frame: Frame, start, stop, part, owner) -> tuple[np.ndarray, np.ndarray]:
    """(cell, polygon) for every cell centre inside a polygon part: even-odd crossings of the
    part's rings along each row of centres (``part`` is -1 for segments of lines).

    A segment crosses the rows from ``first(low end)`` to ``first(high end)`` excluded, where
    ``first`` is the first row whose centre is not below a coordinate: one monotone function
    for every segment, so each closed ring crosses each row an even number of times.
    """
    ring = part >= 0
    start, stop, part, owner = start[ring], stop[ring], part[ring], owner[ring]

    def first(y):
        return np.ceil((y - frame.y0) / frame.size - 0.5).astype(np.int64)

    lo, hi = first(np.minimum(start[:, 1], stop[:, 1])), first(np.maximum(start[:, 1], stop[:, 1]))
    lo, hi = np.clip(lo, 0, frame.ny), np.clip(hi, 0, frame.ny)  # a whole ring is clipped alike
    segment, rank = _expand(hi - lo)
    row = lo[segment] + rank
    a, b = start[segment], stop[segment]
    centre_y = frame.y0 + (row + 0.5) * frame.size
    x = a[:, 0] + (centre_y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    order = np.lexsort((x, row, part[segment]))
    row, x, owner = row[order], x[order], owner[segment][order]
    left, right = x[0::2], x[1::2]  # a row crosses a part's closed rings an even number of times
    first_column = np.clip(np.ceil((left - frame.x0) / frame.size - 0.5), 0, frame.nx) \
        .astype(np.int64)
    last_column = np.clip(np.floor((right - frame.x0) / frame.size - 0.5), -1, frame.nx - 1) \
        .astype(np.int64)
    span, rank = _expand(np.maximum(last_column - first_column + 1, 0))
    return row[0::2][span] * frame.nx + first_column[span] + rank, owner[0::2][span]
