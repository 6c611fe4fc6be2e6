"""Geometry helpers on synthetic shapes, whose right answers are known exactly: a coverage
cleaned where neighbours overlap, polygonal parts as one MultiPolygon, RFC 7946 polygons."""

from __future__ import annotations

import shapely

from geodata.geometry import clean_coverage, polygonal, rfc7946_polygons


def test_clean_coverage_gives_an_overlap_to_one_neighbour_and_leaves_the_rest():
    left, right = shapely.box(0, 0, 1.1, 1), shapely.box(1, 0, 2, 1)
    apart = shapely.box(5, 5, 6, 6)
    assert not shapely.coverage_is_valid([left, right, apart])

    cleaned = clean_coverage([left, right, apart])

    assert shapely.coverage_is_valid(cleaned) and shapely.is_valid(cleaned).all()
    assert shapely.union_all(cleaned[:2]).equals(shapely.box(0, 0, 2, 1))
    assert cleaned[2] is apart  # not at fault, not touched


def test_clean_coverage_returns_a_valid_coverage_as_it_is():
    tiles = [shapely.box(x, 0, x + 1, 1) for x in range(3)]
    assert all(a is b for a, b in zip(clean_coverage(tiles), tiles, strict=True))
    assert len(clean_coverage([])) == 0


def test_polygonal_keeps_polygons_as_one_multipolygon_each():
    square = shapely.box(0, 0, 1, 1)
    mixed = shapely.GeometryCollection([shapely.MultiPolygon([square, shapely.box(2, 0, 3, 1)]),
                                        shapely.LineString([(0, 0), (5, 5)])])
    out = polygonal([square, mixed, shapely.LineString([(0, 0), (1, 1)]), shapely.Polygon()])

    assert [g.geom_type if g is not None else None for g in out] == [
        "MultiPolygon", "MultiPolygon", None, None]
    assert out[0].equals(square) and shapely.get_num_geometries(out[1]) == 2


def test_rfc7946_polygons_are_valid_multipolygons_counter_clockwise_with_clockwise_holes():
    clockwise = shapely.Polygon([(0, 0), (0, 4), (4, 4), (4, 0)],
                                [[(1, 1), (2, 1), (2, 2), (1, 2)]])  # hole counter-clockwise
    bow_tie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    collapsed = shapely.Polygon([(0, 0), (1, 0), (2, 0), (0, 0)])
    out = rfc7946_polygons([clockwise, bow_tie, collapsed])

    assert out[2] is None  # nothing polygonal left
    for geometry, area in zip(out[:2], (15, 0.5), strict=True):
        assert geometry.geom_type == "MultiPolygon" and geometry.is_valid
        assert geometry.area == area
        for part in geometry.geoms:
            assert part.exterior.is_ccw and not any(r.is_ccw for r in part.interiors)
