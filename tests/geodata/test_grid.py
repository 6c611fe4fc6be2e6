"""The cell grid answers exactly what the trees answer: same labels, same verdicts.

The real commune contours and QPV outlines are rasterised and checked against the exact
point-in-polygon test on seeded points, on the outlines' own vertices and on points lying
exactly on cell edges and corners; a small synthetic layer (overlapping squares, a hole, a
multipolygon, built here: no real layer has overlaps) pins the lowest-row rule. Then the
engine is run with and without its grid on the same points and every column compared.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geodata.eligibility.engine import classify
from geodata.eligibility.grid import (
    CELL_M,
    CROSSED,
    OUTSIDE,
    Cells,
    Frame,
    box_mask,
    line_mask,
    polygon_cells,
)
from geodata.eligibility.search import Points, first_containing
from geodata.policy import load_policy
from geodata.storage.reference import reference_index

L93_TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)


def exact(geometries: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The lowest position among the geometries containing each point (-1: none)."""
    found = np.full(len(x), -1)
    pairs = shapely.STRtree(geometries).query(shapely.points(x, y), predicate="intersects")
    for point, target in zip(*pairs, strict=True):
        if found[point] < 0 or target < found[point]:
            found[point] = target
    return found


def gridded(cells, x, y, geometries) -> np.ndarray:
    """What the grid says, the exact test done only where an outline crosses the cell."""
    located = Cells.locate(cells.frame, x, y)
    rows = np.arange(len(geometries))
    return first_containing(shapely.STRtree(geometries), geometries, rows, Points(x, y), x, y,
                            cells, located)


def on_cell_edges(frame: Frame, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points exactly on cell corners and edges, where rounding could pick either cell."""
    rng = np.random.default_rng(seed)
    i = rng.integers(1, frame.nx - 1, count)
    j = rng.integers(1, frame.ny - 1, count)
    x = frame.x0 + i * frame.size + np.where(np.arange(count) % 3 == 0, 0.0,
                                             rng.uniform(0, frame.size, count))
    y = frame.y0 + j * frame.size + np.where(np.arange(count) % 3 == 1, 0.0,
                                             rng.uniform(0, frame.size, count))
    return x, y


def test_overlaps_holes_and_parts_follow_the_lowest_row():
    """Synthetic squares (metres): 0 and 1 overlap, 2 has a hole holding 3, 4 has two parts
    sharing an edge with 0; the answer is always the lowest containing position."""
    layer = np.array([
        shapely.box(0, 0, 1000, 1000),
        shapely.box(600, 600, 1700, 1700),
        shapely.Polygon(shapely.box(2000, 0, 4000, 2000).exterior.coords,
                        [shapely.box(2500, 500, 3500, 1500).exterior.coords]),
        shapely.box(2700, 700, 3300, 1300),
        shapely.MultiPolygon([shapely.box(-800, 0, 0, 800), shapely.box(-800, 1200, 0, 1600)]),
    ])
    frame = Frame.around(shapely.total_bounds(layer), 100.0)
    cells = polygon_cells(frame, layer)
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1000, 4200, 20000), rng.uniform(-200, 2200, 20000)
    vertices = shapely.get_coordinates(layer)
    x, y = np.r_[x, vertices[:, 0]], np.r_[y, vertices[:, 1]]
    ex, ey = on_cell_edges(frame, 5000, seed=2)
    x, y = np.r_[x, ex], np.r_[y, ey]
    expected = exact(layer, x, y)
    assert set(np.unique(expected)) == {-1, 0, 1, 2, 3, 4}
    assert np.array_equal(gridded(cells, x, y, layer), expected)
    # Cells wholly inside one square carry it, cells in none say so, the others are crossed.
    label = cells.label.ravel()
    assert (label >= 0).any() and (label == OUTSIDE).any() and (label <= CROSSED).any()


@pytest.fixture(scope="module")
def metro(reference_engine):
    return reference_index(reference_engine, "2024").territories["metropole"]


@pytest.mark.shared_data
def test_commune_cells_agree_with_the_exact_test(metro):
    geometries = metro.commune_geometries
    cells = metro.commune_cells()
    assert cells.frame.size == CELL_M
    min_x, min_y, max_x, max_y = shapely.total_bounds(geometries)
    rng = np.random.default_rng(7)
    x, y = rng.uniform(min_x, max_x, 30000), rng.uniform(min_y, max_y, 30000)
    vertices = shapely.get_coordinates(geometries[::40])
    ex, ey = on_cell_edges(cells.frame, 20000, seed=8)
    x, y = np.r_[x, vertices[:, 0], ex], np.r_[y, vertices[:, 1], ey]
    found = gridded(cells, x, y, geometries)
    assert np.array_equal(found, exact(geometries, x, y))
    land = found[:30000] >= 0
    label = Cells.locate(cells.frame, x[:30000], y[:30000]).labels(cells)
    assert (label[land] >= 0).mean() > 0.5  # most points on land need no exact test at all


@pytest.mark.shared_data
@settings(database=None, max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=50))
def test_any_point_gets_the_exact_commune(metro, unit_points):
    geometries = metro.commune_geometries
    cells = metro.commune_cells()
    min_x, min_y, max_x, max_y = shapely.total_bounds(geometries)
    u = np.array(unit_points)
    x, y = min_x + u[:, 0] * (max_x - min_x), min_y + u[:, 1] * (max_y - min_y)
    assert np.array_equal(gridded(cells, x, y, geometries), exact(geometries, x, y))


def test_masks_cover_every_cell_near_a_box_or_line():
    frame = Frame(0.0, 0.0, 100.0, 50, 40)
    boxes = np.array([[1000.0, 1000.0, 1200.0, 1100.0]])
    line = shapely.LineString([(500, 3500), (4500, 500)])
    rng = np.random.default_rng(3)
    points = shapely.points(rng.uniform(0, 5000, 5000), rng.uniform(0, 4000, 5000))
    located = Cells.locate(frame, shapely.get_x(points), shapely.get_y(points))
    near_box = shapely.dwithin(shapely.box(*boxes[0]), points, 250.0)
    near_line = shapely.dwithin(line, points, 250.0)
    in_box_mask = located.masked(box_mask(frame, boxes, 250.0))
    in_line_mask = located.masked(line_mask(frame, line, 250.0))
    assert near_box.any() and near_line.any()
    assert not np.any(near_box & ~in_box_mask)  # a mask never rules out a near point
    assert not np.any(near_line & ~in_line_mask)
    assert (~in_box_mask).mean() > 0.5 and (~in_line_mask).mean() > 0.3  # and it filters


def all_columns_equal(a, b) -> list[str]:
    differ = []
    for field in fields(a):
        if field.name in ("policy", "index"):
            continue
        left, right = getattr(a, field.name), getattr(b, field.name)
        same = np.array_equal(left, right, equal_nan=True) if left.dtype.kind == "f" \
            else np.array_equal(left, right)
        if not same:
            differ.append(field.name)
    return differ


@pytest.mark.shared_data
@pytest.mark.parametrize("policy_name", ["current", "ami-2019"])
def test_the_engine_answers_the_same_with_and_without_its_grid(reference_engine, policy_name):
    policy = load_policy(policy_name)
    index = reference_index(reference_engine, policy.qpv_vintage)
    metro = index.territories["metropole"]
    rng = np.random.default_rng(11)
    min_x, min_y, max_x, max_y = shapely.total_bounds(metro.commune_geometries)
    x, y = rng.uniform(min_x, max_x, 20000), rng.uniform(min_y, max_y, 20000)
    centres = shapely.centroid(metro.qpv_geometries)
    picks = rng.integers(0, len(centres), 20000)
    near_x = shapely.get_x(centres[picks]) + rng.uniform(-3000, 3000, 20000)
    near_y = shapely.get_y(centres[picks]) + rng.uniform(-3000, 3000, 20000)
    outlines = [metro.qpv_geometries, metro.commune_geometries[::60]]
    outlines += [np.array([g]) for g in (metro.frontier, metro.hosting_area) if g is not None]
    vertices = np.vstack([shapely.get_coordinates(g)[::3] for g in outlines])
    xs = np.r_[x, near_x, vertices[:, 0]]
    ys = np.r_[y, near_y, vertices[:, 1]]
    lon, lat = L93_TO_WGS84.transform(xs, ys)
    lon = np.r_[lon, rng.uniform(-63, 56, 3000), 55.45, 3.0]  # overseas, nowhere, Auvergne
    lat = np.r_[lat, rng.uniform(-22, 52, 3000), -20.9, 46.0]
    precision = np.where(rng.random(len(lon)) < 0.01, "commune", "point").astype(object)

    with_grid = classify(index, policy, lon, lat, precision, grid=True)
    without = classify(index, policy, lon, lat, precision, grid=False)

    assert all_columns_equal(with_grid, without) == []
    assert len(set(with_grid.category.tolist())) >= 3
    assert (with_grid.in_qpv == 1).sum() > 100 and (with_grid.near_qpv == 0).sum() > 100
