"""The CRS the OGC API serves (``geodata.features_crs``), without HTTP: the URIs listed,
projections checked on points whose coordinates are known by definition, axis order, and
bounding boxes brought back to CRS84 by their densified edges."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from geodata.features import FeatureQueryError, feature_texts
from geodata.features_crs import CRS84, EPSG_URI, SUPPORTED, parse_bbox_in, parse_crs
from geodata.territories import TERRITORIES
from tests.geodata.test_features import widened

LAMBERT_93 = EPSG_URI + "2154"


def test_the_crs_served_are_crs84_first_then_wgs84_and_the_territories():
    assert SUPPORTED == (CRS84, *(EPSG_URI + code for code in (
        "4326", "2154", "5490", "2972", "2975", "4471")))
    assert parse_crs(None).uri == CRS84 and parse_crs(None).is_crs84
    assert parse_crs(LAMBERT_93).decimals == 3 and parse_crs(EPSG_URI + "4326").decimals == 7


@pytest.mark.parametrize("text", ["EPSG:2154", EPSG_URI + "3857", "", "CRS84",
                                  "https://www.opengis.net/def/crs/EPSG/0/2154"])
def test_a_crs_not_served_names_the_parameter(text):
    for parameter in ("crs", "bbox-crs"):
        with pytest.raises(FeatureQueryError) as refused:
            parse_crs(text, parameter)
        assert refused.value.parameter == parameter
        assert f"{parameter} inconnu" in str(refused.value) and LAMBERT_93 in str(refused.value)


def test_the_origin_of_lambert_93_is_where_its_definition_puts_it():
    # Lambert-93: 3° E, 46°30' N is at (700 000 m, 6 600 000 m), by definition
    (text,) = feature_texts(["o"], [{}], [shapely.Point(3, 46.5)],
                            parse_crs(LAMBERT_93).project)
    assert '"coordinates":[700000.0,6600000.0]' in text


def test_each_crs_keeps_its_axis_order():
    point = np.array([shapely.Point(5.3686, 43.299)], dtype=object)
    assert shapely.get_coordinates(parse_crs(EPSG_URI + "4326").project(point)).tolist() == [
        [43.299, 5.3686]]
    for code in ("2154", "5490", "2972", "2975", "4471"):
        expected = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{code}",
                                               always_xy=True).transform(5.3686, 43.299)
        got = shapely.get_coordinates(parse_crs(EPSG_URI + code).project(point))[0]
        assert got == pytest.approx(expected, abs=0.001)


def test_what_a_crs_cannot_express_is_null():
    geometries = np.array([shapely.Point(0, -90), None, shapely.Point(3, 46.5)], dtype=object)
    projected = parse_crs(LAMBERT_93).project(geometries)
    assert projected[0] is None and projected[1] is None and projected[2] is not None


def test_a_projected_bbox_is_brought_back_by_its_densified_edges():
    # the north edge of a box across France bulges north between its corners
    (box,), area = parse_bbox_in("100000,6100000,1200000,7100000", parse_crs(LAMBERT_93))
    to_lonlat = pyproj.Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    corners = [to_lonlat.transform(x, 7_100_000)[1] for x in (100_000, 1_200_000)]
    middle = to_lonlat.transform(700_000, 7_100_000)[1]
    assert middle > max(corners) + 0.15
    assert box[3] >= middle - 1e-5  # within a metre: the edge is followed every kilometre
    assert box[0] == pytest.approx(to_lonlat.transform(100_000, 7_100_000)[0], abs=1e-6)
    # the area is the box itself: its middle north edge, not the bounding rectangle's corner
    to_lambert = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    north = shapely.transform(area, lambda xy: np.column_stack(
        to_lambert.transform(xy[:, 0], xy[:, 1]))).bounds[3]
    assert north == pytest.approx(7_100_000, abs=1.0)
    assert area.covers(shapely.Point(to_lonlat.transform(700_000, 7_099_999)))
    assert not area.covers(shapely.Point(box[0] + 0.01, box[3] - 0.01))  # in the rectangle


def test_a_wgs84_bbox_is_read_in_its_axis_order():
    assert parse_bbox_in(None, parse_crs(LAMBERT_93)) is None
    assert parse_bbox_in("43,5,44,6", parse_crs(EPSG_URI + "4326")) == (
        widened((5.0, 43.0, 6.0, 44.0)), None)
    assert parse_bbox_in("5,43,6,44", parse_crs(CRS84)) == (widened((5.0, 43.0, 6.0, 44.0)),
                                                            None)
    assert parse_bbox_in("-50,170,50,-170", parse_crs(EPSG_URI + "4326")) == (
        widened((170.0, -50.0, 180.0, 50.0), (-180.0, -50.0, -170.0, 50.0)), None)


@pytest.mark.parametrize(("text", "crs", "words"), [
    ("900000,6300000,800000,6200000", LAMBERT_93, "minx"),
    ("1,2,3", LAMBERT_93, "mètres"),
    ("a,b,c,d", EPSG_URI + "4326", "minlat,minlon"),
    ("43,5,95,6", EPSG_URI + "4326", "hors limites"),
])
def test_a_bad_bbox_in_a_crs_names_the_bbox(text, crs, words):
    with pytest.raises(FeatureQueryError, match=words) as refused:
        parse_bbox_in(text, parse_crs(crs))
    assert refused.value.parameter == "bbox"


def test_each_territory_names_its_projection_as_the_epsg_registry_does():
    """The explanations say « projection Lambert-93 (EPSG:2154) »: the name is the
    registry's, « zone » and the datum of Lambert-93 left out."""
    for territory in TERRITORIES.values():
        official = pyproj.CRS.from_epsg(territory.epsg).name
        assert territory.projection == official.replace("zone ", "").removeprefix(
            "RGF93 v1 / "), territory.code
        assert territory.measured_in == (f"en mètres, projection {territory.projection} "
                                         f"(EPSG:{territory.epsg})")
