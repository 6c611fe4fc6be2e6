"""Vector layers by bounding box and zoom: filtering, simplification in metres, rounding.

Geometries are the real QPV 2024 outlines of PACA (shared data folder); the dissolve and
unit tests use synthetic shapes, because their properties (merging tiles that do or do not
form a clean coverage, an outline kept vertex for vertex) need shapes known exactly.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from geodata.geometry import dissolve
from maps.vector import (
    VectorError,
    check_view,
    coordinate_decimals,
    features_geojson,
    tolerance_m,
    vector_layer,
)

pytestmark = pytest.mark.shared_data

MARSEILLE = (5.30, 43.25, 5.50, 43.40)
PACA = (4.2, 42.9, 7.8, 45.2)


@pytest.fixture(scope="module")
def qpv(data_dir):
    collection = json.loads((data_dir / "qpv" / "qpv2024_paca_carto_sante.geojson").read_text())
    features = collection["features"]
    return vector_layer([{"code": f["properties"]["q"], "name": f["properties"]["n"]}
                         for f in features],
                        [shape(f["geometry"]) for f in features], ["metropole"] * len(features))


def codes(collection: dict) -> list[str]:
    return [feature["properties"]["code"] for feature in collection["features"]]


def vertices(collection: dict) -> int:
    return sum(shapely.get_num_coordinates(shape(f["geometry"]))
               for f in collection["features"])


def test_tolerance_halves_with_each_zoom_and_decimals_follow_the_pixel():
    assert tolerance_m("metropole", 6) == pytest.approx(2 * tolerance_m("metropole", 7))
    assert 1000 < tolerance_m("metropole", 6) < 2000  # under a pixel (~1.7 km at 46°N)
    assert tolerance_m("reunion", 10) > tolerance_m("metropole", 10)  # nearer the equator
    decimals = [coordinate_decimals(zoom) for zoom in range(21)]
    assert decimals == sorted(decimals) and decimals[5] == 2 and decimals[16] == 5


def test_only_the_features_that_meet_the_box(qpv):
    collection = json.loads(features_geojson(qpv, MARSEILLE, 12))
    box = shapely.box(*MARSEILLE)
    expected = [qpv.properties[i]["code"] for i in range(len(qpv))
                if qpv.geometries[i].intersects(box)]

    assert codes(collection) == expected
    assert 10 < len(expected) < len(qpv)


def test_low_zoom_has_fewer_vertices_but_every_feature(qpv):
    low = json.loads(features_geojson(qpv, PACA, 7))
    assert codes(low) == [p["code"] for p in qpv.properties]  # all of PACA, none lost
    assert all(not shape(f["geometry"]).is_empty for f in low["features"])

    low = json.loads(features_geojson(qpv, MARSEILLE, 7))
    high = json.loads(features_geojson(qpv, MARSEILLE, 14))
    assert codes(low) == codes(high)
    assert vertices(low) < vertices(high) / 3


def test_simplified_outlines_stay_within_the_tolerance_in_metres(qpv):
    """Hausdorff distance, in Lambert-93, between each outline and what zoom 11 serves.
    Coverage simplification is Visvalingam-Whyatt: it removes a vertex by the area of its
    triangle (under the tolerance squared, (0.75 pixel)²), not by its distance, so a narrow
    spike may go whole. Half the outlines stay within the tolerance and none strays more than
    three times it (2.25 pixels at that zoom), plus the coordinate rounding."""
    zoom = 11
    served = json.loads(features_geojson(qpv, (4.6, 43.0, 7.4, 45.0), zoom))["features"]
    outlines = dict(zip([p["code"] for p in qpv.properties], qpv.geometries, strict=True))
    lambert = Transformer.from_crs(4326, 2154, always_xy=True)

    def metres(geometry):
        return shapely.transform(geometry, lambda xy: np.column_stack(
            lambert.transform(xy[:, 0], xy[:, 1])))

    rounding_m = 0.5 * 10 ** -coordinate_decimals(zoom) * 111_320 * 1.5  # both axes, margin
    tolerance = tolerance_m("metropole", zoom)
    distances = [shapely.hausdorff_distance(metres(outlines[f["properties"]["code"]]),
                                            metres(shape(f["geometry"]))) for f in served]
    assert len(served) > 100
    assert np.median(distances) <= tolerance + rounding_m
    assert max(distances) <= 3 * tolerance + rounding_m
    assert max(distances) > 0  # something was simplified


def test_coordinates_are_rounded_to_the_zoom(qpv):
    """All but a few: a polygon that rounding would erase is rounded finer, and where
    rounding made neighbours cross, the node they meet at keeps its decimals."""
    collection = json.loads(features_geojson(qpv, MARSEILLE, 8))
    numbers = shapely.get_coordinates([shape(f["geometry"]) for f in collection["features"]])
    on_grid = np.isclose(numbers, np.round(numbers, coordinate_decimals(8)), rtol=0,
                         atol=1e-12).all(axis=1)
    assert len(numbers) > 150 and on_grid.mean() > 0.95


def test_each_number_is_written_in_the_fewest_digits_that_say_it(qpv):
    """GEOS's GeoJSON writer gave 17 significant digits (5.3826599999999996 for 5.38266)."""
    text = features_geojson(qpv, MARSEILLE, 14)  # 5.38266 and others there
    numbers = re.findall(r"-?\d+\.\d+(?:[eE][-+]?\d+)?", text)
    assert len(numbers) > 1000
    assert [n for n in numbers if repr(float(n)) != n] == []


def rfc7946_problems(collection: dict) -> list[str]:
    """Features that are not valid MultiPolygons with counter-clockwise exteriors and
    clockwise holes, and a view whose features do not form a coverage."""
    geometries = [shape(f["geometry"]) for f in collection["features"]]
    problems = [] if shapely.coverage_is_valid(geometries) else ["pas une couverture"]
    for feature, geometry in zip(collection["features"], geometries, strict=True):
        parts = getattr(geometry, "geoms", [])
        if geometry.geom_type != "MultiPolygon" or not geometry.is_valid or geometry.is_empty \
                or not all(p.exterior.is_ccw and not any(r.is_ccw for r in p.interiors)
                           for p in parts):
            problems.append(feature["properties"]["code"])
    return problems


def test_every_zoom_serves_valid_counter_clockwise_multipolygons_that_still_tile(qpv):
    for zoom in range(3, 17):
        view = PACA if zoom < 10 else MARSEILLE if zoom < 14 else (5.36, 43.29, 5.42, 43.33)
        collection = json.loads(features_geojson(qpv, view, zoom))
        assert collection["features"] and rfc7946_problems(collection) == [], zoom
        if zoom < 10:
            assert codes(collection) == [p["code"] for p in qpv.properties], zoom


def wiggle(start: tuple[float, float], step: tuple[float, float],
           bump: tuple[float, float], count: int) -> list[tuple[float, float]]:
    """A line of ``count`` steps whose odd vertices are bumped aside (100 m or so)."""
    return [(start[0] + i * step[0] + (i % 2) * bump[0], start[1] + i * step[1]
             + (i % 2) * bump[1]) for i in range(count + 1)]


def two_units(units):
    """Four communes near Marseille, two per département (13 west, 84 east): the border
    between the départements and the one between the western communes wiggle by about
    100 m every 100 m, under the tolerance of zoom 9."""
    border = wiggle((5.01, 43.0), (0, 0.001), (0.001, 0), 20)  # south to north
    inner = wiggle((5.0, 43.01), (0.001, 0), (0, 0.001), 10)  # west to east, meets border[10]
    west_south = shapely.Polygon([(5.0, 43.0), *border[:11], *inner[::-1]])
    west_north = shapely.Polygon([*inner, *border[10:], (5.0, 43.02)])
    east_south = shapely.Polygon([*border[:11], (5.03, 43.01), (5.03, 43.0)])
    east_north = shapely.Polygon([*border[10:], (5.03, 43.02), (5.03, 43.01)])
    outlines = [west_south, west_north, east_south, east_north]
    assert shapely.coverage_is_valid(outlines)
    layer = vector_layer([{"code": code} for code in ("13001", "13002", "84001", "84002")],
                         outlines, ["metropole"] * 4, units)
    return layer, border, inner


def test_a_unit_keeps_its_outline_so_that_neighbouring_units_still_meet():
    layer, border, inner = two_units(["13", "13", "84", "84"])
    collection = json.loads(features_geojson(layer, (4.99, 42.99, 5.04, 43.03), 9))
    served = [shape(f["geometry"]) for f in collection["features"]]
    assert rfc7946_problems(collection) == []

    def kept(line, geometries):
        points = {tuple(p) for g in geometries for p in shapely.get_coordinates(g).tolist()}
        return sum(point in points for point in line)

    assert kept(border, served[:2]) == kept(border, served[2:]) == len(border)  # as it was
    assert kept(inner, served[:2]) < len(inner)  # inside a unit: simplified
    alone, _, _ = two_units(None)  # the territory as one unit: the border simplified too
    simplified = [shape(f["geometry"]) for f in json.loads(
        features_geojson(alone, (4.99, 42.99, 5.04, 43.03), 9))["features"]]
    assert kept(border, simplified) < len(border)


def test_a_layer_is_made_of_valid_polygons_whatever_it_is_given():
    """A bow tie (invalid) and a collection with a line: valid MultiPolygons, the line gone;
    points are no layer."""
    bow_tie = shapely.Polygon([(5.0, 43.0), (5.1, 43.1), (5.1, 43.0), (5.0, 43.1)])
    mixed = shapely.GeometryCollection([shapely.box(5.2, 43.0, 5.3, 43.1),
                                        shapely.LineString([(5.2, 43.0), (5.4, 43.2)])])
    layer = vector_layer([{"code": "a"}, {"code": "b"}], [bow_tie, mixed], ["metropole"] * 2)
    collection = json.loads(features_geojson(layer, (4.9, 42.9, 5.5, 43.3), 12))
    assert codes(collection) == ["a", "b"] and rfc7946_problems(collection) == []
    with pytest.raises(ValueError, match="polygones seulement"):
        vector_layer([{}], [shapely.Point(5, 43)], ["metropole"])


def test_a_unit_is_within_one_territory():
    with pytest.raises(ValueError, match="plusieurs territoires"):
        vector_layer([{}, {}], [shapely.box(5, 43, 5.1, 43.1), shapely.box(55.3, -21, 55.4,
                                                                           -20.9)],
                     ["metropole", "reunion"], ["u", "u"])


def test_a_view_wider_than_a_screen_is_refused(qpv):
    check_view((-5, 41, 10, 51), 5)  # France at zoom 5: fine
    with pytest.raises(VectorError) as error:
        features_geojson(qpv, (-5, 41, 10, 51), 12)
    assert error.value.parameter == "bbox"


def test_unknown_territory_is_refused():
    with pytest.raises(ValueError, match="territoires inconnus"):
        vector_layer([{}], [shapely.Point(0, 0)], ["atlantide"])


def test_dissolve_merges_by_key_clean_tiles_or_not():
    """Synthetic squares: a clean 2x2 coverage, and two tiles that overlap slightly."""
    tiles = [shapely.box(x, y, x + 1, y + 1) for x in (0, 1) for y in (0, 1)]
    overlapping = [shapely.box(10, 0, 11.02, 1), shapely.box(11, 0, 12, 1)]
    merged = dissolve(["a"] * 4 + ["b"] * 2, tiles + overlapping)

    assert list(merged) == ["a", "b"]
    assert merged["a"].equals(shapely.box(0, 0, 2, 2))
    assert merged["b"].is_valid and merged["b"].area == pytest.approx(2.0)
