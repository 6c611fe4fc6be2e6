"""Reference layers for the engine, projected per territory and indexed with STRtrees.

The layers are built once from plain arrays (whichever backend they came from) and cached
by the caller per dataset version. Each territory gets its own projected copy of the QPV
outlines, the commune contours and the *complete area* of the QPV sources: the part of the
territory where every QPV of the vintage is loaded, so where "not in a QPV" can be said.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import shapely
from pyproj import Transformer

from geodata.eligibility.grid import (
    CELL_M,
    MASK_CELLS,
    Cells,
    Frame,
    PolygonCells,
    box_mask,
    line_mask,
    polygon_cells,
)
from geodata.eligibility.missing import NONE, MissingCommunes, departement_of, missing_communes
from geodata.eligibility.plain_layers import FALSE, TRUE, UNKNOWN, CommuneLayer, QpvLayer
from geodata.territories import TERRITORIES, Territory

__all__ = ["CommuneLayer", "QpvLayer", "ReferenceIndex", "TerritoryIndex", "projector"]

SMALL_HOLE_M2 = 1_000_000.0
"""Gaps between generalised commune contours are closed when smaller than 1 km²."""
FRONTIER_TOLERANCE_M = 100.0
"""Generalised contours of neighbouring communes may leave gaps this wide between them."""
HOSTING_MARGIN_M = 5.0
"""Safety margin of the envelope filters in front of the exact distance tests."""
FRONTIER_MARGIN_M = 1.0
"""Safety margin of the frontier filter (the frontier is not snapped: rounding only)."""


@cache
def projector(epsg: int) -> Transformer:
    """WGS84 lon/lat to the territory's projected CRS (metres)."""
    return Transformer.from_crs(4326, epsg, always_xy=True)


def _project(geometries: np.ndarray, epsg: int) -> np.ndarray:
    transformer = projector(epsg)

    def transform(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometries, transform)


def _hosting_area(shapes: np.ndarray | None):
    """Where the communes the official list names as hosting a QPV may lie
    (``ReferenceIndex._hosting_shapes``), as one prepared shape; None without the list."""
    if shapes is None:
        return None
    area = shapely.union_all(shapes, grid_size=1.0) if len(shapes) else shapely.Polygon()
    shapely.prepare(area)
    return area


def _without_small_holes(area):
    polygons = []
    for polygon in shapely.get_parts(area):
        holes = [ring for ring in polygon.interiors if shapely.Polygon(ring).area >= SMALL_HOLE_M2]
        polygons.append(shapely.Polygon(polygon.exterior, holes))
    return shapely.MultiPolygon(polygons)


@dataclass
class TerritoryIndex:
    """One territory's projected layers, trees and complete area."""

    territory: Territory
    qpv_rows: np.ndarray  # positions in QpvLayer
    qpv_geometries: np.ndarray
    qpv_tree: shapely.STRtree
    qpv_bounds: np.ndarray  # (n, 4) envelopes of qpv_geometries, in their order
    commune_rows: np.ndarray  # positions in CommuneLayer
    commune_geometries: np.ndarray
    commune_tree: shapely.STRtree
    complete_everywhere: bool
    complete_area: object | None  # projected (Multi)Polygon, or None
    frontier: object | None  # the part of its boundary shared with land not complete
    hosting_area: object | None  # union of the communes hosting a QPV (official list)
    hosting_bounds: np.ndarray | None = None  # (n, 4) envelopes of those communes
    missing_hosting: MissingCommunes = NONE  # hosting communes without outline, and where
    missing_neighbours: MissingCommunes = NONE  # communes without outline beyond the area
    _hosting_trees: dict = field(default_factory=dict, repr=False, compare=False)
    _cells: PolygonCells | None = field(default=None, repr=False, compare=False)
    _masks: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _kept_grids: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    """Adopts grids kept elsewhere (``ReferenceIndex.defer_grids``), tried before building."""

    def __getstate__(self) -> dict:
        """Pickled (``geodata.storage.index_files``) without its lock nor what it builds on
        first use (cells, masks, trees)."""
        return {**self.__dict__, "_hosting_trees": {}, "_cells": None, "_masks": {},
                "_lock": None, "_kept_grids": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock())
        shapely.prepare(self.commune_geometries)  # pickles keep shapes, not preparation
        for shape in (self.complete_area, self.frontier, self.hosting_area):
            if shape is not None:
                shapely.prepare(shape)

    def maybe_near_hosting(self, points: np.ndarray, distance: float) -> np.ndarray:
        """False where a point is provably farther than ``distance`` from the hosting area.

        The area is the union, snapped to a 1 m grid, of communes whose envelopes are
        known: a point outside every envelope widened by ``distance`` plus a margin
        (``HOSTING_MARGIN_M``, far more than the snapping moves a vertex) is farther than
        ``distance`` from every part of the area. Only the other points need the exact test.
        """
        if self.hosting_bounds is None:
            return np.ones(len(points), dtype=bool)
        return self._within_widened("hosting", self.hosting_bounds, points, distance)

    def maybe_near_qpv(self, points: np.ndarray, distance: float) -> np.ndarray:
        """False where a point is provably farther than ``distance`` from every QPV outline:
        outside every outline's envelope widened by ``distance`` plus a margin."""
        return self._within_widened("qpv", self.qpv_bounds, points, distance)

    def qpv_envelopes(self, distance: float) -> shapely.STRtree:
        """A tree of the QPV outlines' envelopes widened by ``distance`` + HOSTING_MARGIN_M,
        in the order of ``qpv_geometries``: candidates for a distance search."""
        return self._widened("qpv", self.qpv_bounds, distance)

    def _widened(self, kind: str, bounds: np.ndarray, distance: float) -> shapely.STRtree:
        """Envelopes widened by ``distance`` + HOSTING_MARGIN_M, one tree per kind and
        distance, built on first use."""
        tree = self._hosting_trees.get((kind, distance))
        if tree is None:
            d = distance + HOSTING_MARGIN_M
            tree = self._hosting_trees[(kind, distance)] = shapely.STRtree(shapely.box(
                bounds[:, 0] - d, bounds[:, 1] - d, bounds[:, 2] + d, bounds[:, 3] + d))
        return tree

    def _within_widened(self, kind: str, bounds: np.ndarray, points: np.ndarray,
                        distance: float) -> np.ndarray:
        """Points inside at least one envelope widened by ``distance`` + HOSTING_MARGIN_M."""
        near = np.zeros(len(points), dtype=bool)
        near[self._widened(kind, bounds, distance).query(points)[0]] = True
        return near

    def commune_cells(self) -> PolygonCells | None:
        """The commune contours rasterised on ``CELL_M`` cells (built on first use, kept);
        None without contours."""
        if self._cells is None and len(self.commune_rows):
            with self._lock:
                if self._cells is None and self._kept_grids is not None:
                    adopt, self._kept_grids = self._kept_grids, None
                    adopt()
                if self._cells is None:
                    frame = Frame.around(shapely.total_bounds(self.commune_geometries), CELL_M)
                    self._cells = polygon_cells(frame, self.commune_geometries)
        return self._cells

    def locate(self, x: np.ndarray, y: np.ndarray) -> Cells | None:
        """The cells of projected points, None without commune contours (no grid)."""
        cells = self.commune_cells()
        return None if cells is None else Cells.locate(cells.frame, x, y)

    def qpv_mask(self, distance: float) -> np.ndarray:
        """Mask cells that may lie within ``distance`` of a QPV outline (the grid form of
        ``maybe_near_qpv``: its widened envelopes)."""
        return self._mask("qpv", distance, lambda frame: box_mask(
            frame, self.qpv_bounds, distance + HOSTING_MARGIN_M))

    def hosting_cells(self) -> PolygonCells:
        """The cells of the hosting area (inside it: a distance of 0)."""
        return self._mask("hosting-area", 0.0, lambda frame: polygon_cells(
            frame, np.array([self.hosting_area])), coarse=False)

    def hosting_mask(self, distance: float) -> np.ndarray:
        """Cells that may lie within ``distance`` of the hosting area's outline (the others
        are as far from the area as their label says: inside it, or farther)."""
        return self._mask("hosting", distance, lambda frame: line_mask(
            frame, self.hosting_area, distance + FRONTIER_MARGIN_M), coarse=False)

    def complete_cells(self) -> PolygonCells:
        """The cells of the complete area."""
        return self._mask("complete-area", 0.0, lambda frame: polygon_cells(
            frame, np.array([self.complete_area])), coarse=False)

    def frontier_mask(self, distance: float) -> np.ndarray:
        """Mask cells that may lie within ``distance`` of the complete area's frontier."""
        return self._mask("frontier", distance, lambda frame: line_mask(
            frame, self.frontier, distance + FRONTIER_MARGIN_M))

    def _mask(self, kind: str, distance: float, build, coarse: bool = True):
        """A mask (or cells) of the grid, built on first use and kept, on mask cells unless
        ``coarse`` is False."""
        mask = self._masks.get((kind, distance))
        if mask is None:
            frame = self.commune_cells().frame
            mask = self._masks[(kind, distance)] = build(frame.coarser(MASK_CELLS) if coarse
                                                         else frame)
        return mask

    def project(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Projected coordinates (metres) of WGS84 lon/lat."""
        x, y = projector(self.territory.epsg).transform(lons, lats)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def project_points(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        return shapely.points(*self.project(lons, lats))


def _metropole_answer(communes: CommuneLayer, code: str) -> np.int8:
    """Whether a commune is in a métropole: unknown when the EPCI list loaded places it in no
    EPCI (a gap in the list, ``geodata.storage.reference.ISLANDS_OUTSIDE_EPCI``)."""
    if code in communes.metropoles:
        return TRUE
    return FALSE if code in communes.outside_metropoles else UNKNOWN


class ReferenceIndex:
    """The QPV and commune layers of one vintage, ready for the engine, per territory."""

    def __init__(self, qpv: QpvLayer, communes: CommuneLayer):
        self.qpv = qpv
        self.communes = communes
        self.dataset_versions: tuple[dict, ...] = ()  # set by the reader: what it read
        # Prepared GEOS geometries build internal indexes lazily and are not safe to query
        # from two threads at once (libgeos #825/#826): the engine holds this lock while it
        # queries them (a threaded dev server, a batch job beside a request).
        self.lock = threading.RLock()
        self.territories: dict[str, TerritoryIndex] = {}
        self._commune_position = {code: i for i, code in enumerate(communes.codes)}
        self._hosting_unoutlined = () if qpv.hosting_communes is None else tuple(
            code for code in qpv.hosting_communes if code not in self._commune_position)
        self._unoutlined_beyond = self._unoutlined_outside_complete_area()
        self.density_level_of = np.array(
            [communes.density_levels.get(code, 0) for code in communes.codes], dtype=np.int8)
        self.density_label_of = np.array(
            [communes.density_labels.get(code) for code in communes.codes], dtype=object)
        self.metropole_of = None if communes.metropoles is None else np.array(
            [_metropole_answer(communes, code) for code in communes.codes], dtype=np.int8)
        for code, territory in TERRITORIES.items():
            self.territories[code] = self._index(territory)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "lock": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, lock=threading.RLock())

    def grids(self) -> dict[str, tuple]:
        """The cells and masks each territory has built so far (not pickled with the
        index), for ``adopt_grids`` in another process (``geodata.eligibility.workers``)."""
        return {code: (ti._cells, dict(ti._masks)) for code, ti in self.territories.items()
                if ti._cells is not None}

    def adopt_grids(self, grids: dict[str, tuple]) -> None:
        """Take the cells and masks ``grids`` built by the same index in another process."""
        for code, (cells, masks) in grids.items():
            territory = self.territories[code]
            if territory._cells is None:
                territory._cells = cells
            for key, mask in masks.items():
                territory._masks.setdefault(key, mask)

    def defer_grids(self, adopt: Callable[[], None]) -> None:
        """Grids kept elsewhere (``geodata.storage.index_files``): ``adopt`` gives them to
        this index (``adopt_grids``) the first time a territory needs its grid, once for
        all; an index that classifies no big batch never holds them."""
        adopt_once = cache(adopt)
        for territory in self.territories.values():
            territory._kept_grids = adopt_once

    def commune_position(self, code: str) -> int | None:
        return self._commune_position.get(code)

    def _index(self, territory: Territory) -> TerritoryIndex:
        qpv_rows = np.flatnonzero(self.qpv.territories == territory.code)
        qpv_geometries = _project(self.qpv.geometries[qpv_rows], territory.epsg)
        commune_rows = np.flatnonzero(self.communes.territories == territory.code)
        commune_geometries = _project(self.communes.geometries[commune_rows], territory.epsg)
        everywhere = any(scope == "country" for scope, _ in self.qpv.complete_for)
        outlined = self.communes.codes[commune_rows]
        missing_hosting = missing_communes(self._hosting_unoutlined, territory.code, outlined,
                                           commune_geometries)
        missing_neighbours = missing_communes(self._unoutlined_beyond, territory.code,
                                              outlined, commune_geometries)
        area = frontier = None
        if not everywhere:
            area, frontier = self._complete_area(commune_rows, commune_geometries,
                                                 missing_neighbours)
        hosting = self._hosting_shapes(commune_rows, commune_geometries, missing_hosting)
        commune_geometries = commune_geometries.copy()
        shapely.prepare(commune_geometries)  # point-in-commune tests, many per commune
        return TerritoryIndex(
            territory=territory,
            qpv_rows=qpv_rows,
            qpv_geometries=qpv_geometries,
            qpv_tree=shapely.STRtree(qpv_geometries),
            qpv_bounds=shapely.bounds(qpv_geometries).reshape(-1, 4),
            commune_rows=commune_rows,
            commune_geometries=commune_geometries,
            commune_tree=shapely.STRtree(commune_geometries),
            complete_everywhere=everywhere,
            complete_area=area,
            frontier=frontier,
            hosting_area=_hosting_area(hosting),
            hosting_bounds=None if hosting is None else shapely.bounds(hosting).reshape(-1, 4),
            missing_hosting=missing_hosting,
            missing_neighbours=missing_neighbours,
        )

    def _complete_codes(self) -> tuple[set[str], set[str]]:
        """The régions and the départements where the QPV sources are complete."""
        return tuple({c for scope, codes in self.qpv.complete_for if scope == kind
                      for c in codes} for kind in ("regions", "departements"))

    def _unoutlined_outside_complete_area(self) -> list[str]:
        """Communes without outline (official list, QPV list) not in the complete area:
        an unknown QPV may lie in them."""
        regions, departements = self._complete_codes()
        without = {**dict.fromkeys(self._hosting_unoutlined), **self.communes.without_outline}
        return [code for code, region in without.items()
                if region not in regions and departement_of(code) not in departements]

    def _hosting_communes(self, commune_rows: np.ndarray) -> np.ndarray:
        hosting = self.qpv.hosting_communes
        return np.fromiter((code in hosting for code in self.communes.codes[commune_rows]),
                           dtype=bool, count=len(commune_rows))

    def _hosting_shapes(self, commune_rows: np.ndarray, geometries: np.ndarray,
                        missing: MissingCommunes) -> np.ndarray | None:
        """Where a commune hosting a QPV (official list) lies: the outlines of those that
        have one, the zone of those without; None without the list, or when one may lie
        anywhere in the territory."""
        if self.qpv.hosting_communes is None or not len(commune_rows) or missing.everywhere:
            return None
        shapes = geometries[self._hosting_communes(commune_rows)]
        return shapes if missing.zone is None else np.append(shapes, missing.zone)

    def _complete_area(self, commune_rows: np.ndarray, geometries: np.ndarray,
                       missing: MissingCommunes):
        """The complete area (communes in the sources' complete régions or départements) and
        its frontier with the rest of the land: a disc crossing the coastline into the sea
        leaves the complete area, but no QPV can hide there. Communes without outline
        outside the area count as land where they may lie (``missing``).
        """
        regions, departements = self._complete_codes()
        inside = np.array([
            self.communes.regions[row] in regions
            or self.communes.departements[row] in departements
            for row in commune_rows
        ], dtype=bool)
        if not inside.any():
            return None, None
        area = _without_small_holes(shapely.union_all(geometries[inside], grid_size=1.0))
        shapely.prepare(area)
        if missing.everywhere:
            frontier = area.boundary
            shapely.prepare(frontier)
            return area, frontier
        others = geometries[~inside] if missing.zone is None \
            else np.append(geometries[~inside], missing.zone)
        neighbours = others[shapely.STRtree(others).query(
            area, predicate="dwithin", distance=FRONTIER_TOLERANCE_M)]
        frontier = shapely.intersection(
            area.boundary,
            shapely.buffer(shapely.union_all(neighbours, grid_size=1.0), FRONTIER_TOLERANCE_M),
        )
        shapely.prepare(frontier)
        return area, frontier
