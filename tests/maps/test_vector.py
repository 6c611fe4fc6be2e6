"""Vector layers by bounding box and zoom: filtering, simplification in metres, rounding.

Geometries are the real QPV 2024 outlines of PACA (shared data folder); the dissolve tests
use synthetic squares, because the property (merging tiles that do or do not form a clean
coverage) needs tiles whose union is known exactly.
"""

from __future__ import annotations

import json

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
    """Hausdorff distance, in Lambert-93, between each outline and what zoom 11 serves: under
    twice the tolerance (GEOS's Douglas-Peucker on rings may exceed it by half), that is under
    1.5 pixels at that zoom, plus the coordinate rounding."""
    zoom = 11
    served = json.loads(features_geojson(qpv, (4.6, 43.0, 7.4, 45.0), zoom))["features"]
    outlines = dict(zip([p["code"] for p in qpv.properties], qpv.geometries, strict=True))
    lambert = Transformer.from_crs(4326, 2154, always_xy=True)

    def metres(geometry):
        return shapely.transform(geometry, lambda xy: np.column_stack(
            lambert.transform(xy[:, 0], xy[:, 1])))

    rounding_m = 0.5 * 10 ** -coordinate_decimals(zoom) * 111_320 * 1.5  # both axes, margin
    limit = 2 * tolerance_m("metropole", zoom) + rounding_m
    distances = [shapely.hausdorff_distance(metres(outlines[f["properties"]["code"]]),
                                            metres(shape(f["geometry"]))) for f in served]
    assert len(served) > 100 and max(distances) <= limit
    assert max(distances) > 0  # something was simplified


def test_coordinates_are_rounded_to_the_zoom(qpv):
    text = features_geojson(qpv, MARSEILLE, 8)
    numbers = [n for n in text.split('"coordinates":', 1)[1].replace("[", " ").replace(
        "]", " ").replace(",", " ").split() if n[0].isdigit()]
    assert numbers and all(len(n.partition(".")[2].rstrip("}")) <= coordinate_decimals(8)
                           for n in numbers[:200])


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
