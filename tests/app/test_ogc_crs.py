"""OGC API - Features - Part 2 (CRS by reference) under /ogc, on both backends
(``tests.ogc_data``): the CRS each collection lists, features served in Lambert-93, in WGS84
latitude first and in the overseas CRS (checked against pyproj called here, not through the
service's code), the ``Content-Crs`` header, bounding boxes in another CRS, the links that
keep ``crs``, ``bbox-crs`` and ``datetime`` (checked, matching every feature), and the
refusals.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pyproj
import pytest
import shapely
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from geodata.territories import TERRITORIES
from tests import ogc_data
from tests.ogc_data import get_json, stored

pytestmark = pytest.mark.shared_data
backend, ogc_url = ogc_data.backend, ogc_data.ogc_url  # the module's databases (fixtures)
app, client, engine = ogc_data.app, ogc_data.client, ogc_data.engine

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
SERVED = [CRS84, *(EPSG + code for code in ("4326", "2154", "5490", "2972", "2975", "4471"))]
MARSEILLE = (5.3, 43.25, 5.45, 43.35)
CENTIMETRE = 0.01


def to_epsg(code: int, geometry):
    """A stored geometry (WGS84 lon, lat) in EPSG:``code``, easting/northing order, by pyproj
    directly."""
    transformer = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{code}", always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(
        transformer.transform(xy[:, 0], xy[:, 1])))


def assert_error(answer, parameter: str, *words: str) -> None:
    assert answer.status_code == 400, answer.text
    error = answer.json["error"]
    assert set(error) == {"status", "code", "message", "parameter"}
    assert error["status"] == 400 and error["parameter"] == parameter
    for word in words:
        assert word in error["message"]


def test_each_collection_lists_the_crs_it_is_served_in(client):
    listed = get_json(client, "/ogc/collections")["collections"]
    assert len(listed) == 5
    for collection in listed:
        assert collection["crs"] == SERVED
        assert collection["storageCrs"] == CRS84
        assert collection["extent"]["spatial"]["crs"] == CRS84
    assert get_json(client, "/ogc/collections/communes")["crs"] == SERVED
    assert "CRS84) par défaut" in get_json(client, "/ogc")["description"]


def test_a_fabrique_comes_out_at_its_lambert_93_coordinates(client):
    answer = client.get(f"/ogc/collections/fabriques/items/ds-900003?crs={EPSG}2154")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Crs"] == f"<{EPSG}2154>"
    assert answer.headers["Access-Control-Expose-Headers"] == "Content-Crs"  # web pages too
    easting, northing = answer.json["geometry"]["coordinates"]
    expected = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True
                                           ).transform(5.3686, 43.299)
    assert easting == pytest.approx(expected[0], abs=CENTIMETRE)
    assert northing == pytest.approx(expected[1], abs=CENTIMETRE)
    assert (892_000 < easting < 893_000) and (6_247_000 < northing < 6_248_000)  # Marseille
    self_link = answer.json["links"][0]
    assert self_link["rel"] == "self" and parse_qs(urlsplit(self_link["href"]).query) == {
        "crs": [f"{EPSG}2154"]}


def test_epsg_4326_is_latitude_first_and_crs84_longitude_first(client):
    answer = client.get(f"/ogc/collections/fabriques/items/ds-900003?crs={EPSG}4326")
    assert answer.headers["Content-Crs"] == f"<{EPSG}4326>"
    assert answer.json["geometry"]["coordinates"] == [43.299, 5.3686]
    for query in ("", f"?crs={CRS84}"):
        answer = client.get(f"/ogc/collections/fabriques/items/ds-900003{query}")
        assert answer.headers["Content-Crs"] == f"<{CRS84}>"
        assert answer.json["geometry"]["coordinates"] == [5.3686, 43.299]
    page = client.get(f"/ogc/collections/lieux/items?limit=3&crs={EPSG}4326")
    assert page.headers["Content-Crs"] == f"<{EPSG}4326>"
    plain = get_json(client, "/ogc/collections/lieux/items?limit=3")
    assert [f["geometry"]["coordinates"] for f in page.json["features"]] == [
        f["geometry"]["coordinates"][::-1] for f in plain["features"]]


def test_polygons_in_lambert_93_are_those_pyproj_gives(client, engine):
    served = get_json(client, f"/ogc/collections/qpv2024/items?crs={EPSG}2154&limit=200&bbox="
                      + ",".join(map(str, MARSEILLE)))["features"]
    expected = stored(engine, "qpv2024")
    assert len(served) == 27
    for feature in served:
        geometry = shapely.geometry.shape(feature["geometry"])
        assert geometry.is_valid and geometry.geom_type == "MultiPolygon"
        for polygon in geometry.geoms:  # a conformal projection keeps the orientation
            assert polygon.exterior.is_ccw
            assert not any(ring.is_ccw for ring in polygon.interiors)
        assert shapely.normalize(geometry).equals_exact(
            shapely.normalize(to_epsg(2154, expected[feature["id"]])), tolerance=CENTIMETRE)


def test_in_epsg_4326_the_rings_are_those_of_crs84_with_their_axes_swapped(client):
    query = "limit=50&bbox=" + ",".join(map(str, MARSEILLE))
    plain = get_json(client, f"/ogc/collections/qpv2024/items?{query}")["features"]
    swapped = get_json(client, f"/ogc/collections/qpv2024/items?{query}&crs={EPSG}4326"
                       )["features"]
    assert [f["id"] for f in swapped] == [f["id"] for f in plain] and plain
    for lonlat, latlon in zip(plain, swapped, strict=True):
        expected = shapely.transform(shapely.geometry.shape(lonlat["geometry"]),
                                     lambda xy: xy[:, ::-1])
        assert shapely.geometry.shape(latlon["geometry"]).equals_exact(expected, 0)


def test_the_example_of_the_analysts_guide_answers(client):
    guide = (Path(__file__).resolve().parents[2] / "docs" / "analystes.md").read_text(
        encoding="utf-8")
    (example,) = re.findall(r"^/ogc/collections/qpv2024/items\?bbox=\S+crs=\S+$", guide,
                            re.MULTILINE)
    answer = client.get(example)
    assert answer.headers["Content-Crs"] == f"<{EPSG}2154>"
    assert answer.json["numberMatched"] > 10
    assert all("Marseille" in f["properties"]["communes_noms"]
               for f in answer.json["features"])


@pytest.mark.parametrize("territory", [t for t in TERRITORIES.values()
                                       if t.code != "metropole"], ids=lambda t: t.code)
def test_overseas_places_come_out_in_their_territory_crs(client, engine, territory):
    bbox = ",".join(map(str, territory.bbox))
    features = get_json(client, f"/ogc/collections/lieux/items?limit=1000&bbox={bbox}"
                        f"&crs={EPSG}{territory.epsg}")["features"]
    expected = stored(engine, "lieux")
    for feature in features:
        point = to_epsg(territory.epsg, expected[feature["id"]])
        assert feature["geometry"]["coordinates"] == pytest.approx([point.x, point.y],
                                                                   abs=CENTIMETRE)
        assert 100_000 < point.x < 900_000  # in its UTM zone


def test_the_overseas_tests_are_not_vacuous(client):
    counts = {t.code: get_json(client, "/ogc/collections/lieux/items?limit=1&bbox="
                               + ",".join(map(str, t.bbox)))["numberMatched"]
              for t in TERRITORIES.values()}
    assert sum(1 for code, count in counts.items() if code != "metropole" and count) >= 2


@pytest.mark.parametrize("bounds", [
    "marseille",  # the Lambert-93 box around MARSEILLE's
    (600000, 6200000, 1000000, 6600000),  # 400 km: features up to 15 km off came in
])
def test_a_bbox_in_lambert_93_keeps_exactly_the_features_it_meets(client, engine, bounds):
    """The box was brought back to CRS84 as its bounding rectangle: a 400 km box let in
    features many kilometres outside it. Its exact area is used: the features served are
    those that meet the box in Lambert-93 (within a metre: its curved edges are followed
    every kilometre)."""
    west, south, east, north = to_epsg(2154, shapely.box(*MARSEILLE)).bounds \
        if bounds == "marseille" else bounds
    box = shapely.box(west, south, east, north)
    found = 0
    for collection in ("qpv2024", "lieux", "communes", "fabriques"):
        page = get_json(client, f"/ogc/collections/{collection}/items?limit=10000"
                        f"&bbox={west},{south},{east},{north}&bbox-crs={EPSG}2154")
        ids = {feature["id"] for feature in page["features"]}
        assert page["numberMatched"] == len(ids)
        geometries = {key: to_epsg(2154, geometry)
                      for key, geometry in stored(engine, collection).items()
                      if geometry is not None}
        inside = {key for key, geometry in geometries.items()
                  if geometry.intersects(box.buffer(-1))}
        assert inside <= ids, collection
        assert all(geometries[key].intersects(box.buffer(1)) for key in ids), collection
        found += len(inside)
    assert found > 20


@pytest.mark.parametrize(("crs", "bbox_crs"), [("", ""), (f"&crs={EPSG}2154",
                                                         f"&bbox-crs={EPSG}2154")])
def test_a_box_on_a_served_point_finds_it(client, crs, bbox_crs):
    """Coordinates are served rounded (to 1e-7°, or the millimetre): a stored point lies up
    to half a step off what a client reads. ``bbox=x,y,x,y`` on what it read missed the
    place (and any box with that point on its edge), where it now finds it."""
    page = get_json(client, "/ogc/collections/lieux/items?limit=200&bbox="
                    f"{','.join(map(str, MARSEILLE))}{crs}")
    assert len(page["features"]) > 10
    for feature in page["features"]:
        x, y = feature["geometry"]["coordinates"]
        found = get_json(client, f"/ogc/collections/lieux/items?bbox={x},{y},{x},{y}"
                         f"{crs}{bbox_crs}")
        assert feature["id"] in {f["id"] for f in found["features"]}, (x, y)


def test_a_bbox_in_epsg_4326_is_latitude_first(client):
    lon_lat = ",".join(map(str, MARSEILLE))
    west, south, east, north = MARSEILLE
    for collection in ("qpv2024", "lieux"):
        plain = get_json(client, f"/ogc/collections/{collection}/items?bbox={lon_lat}"
                         "&limit=1000")
        swapped = get_json(client, f"/ogc/collections/{collection}/items?limit=1000&bbox="
                           f"{south},{west},{north},{east}&bbox-crs={EPSG}4326")
        crs84 = get_json(client, f"/ogc/collections/{collection}/items?limit=1000&bbox="
                         f"{lon_lat}&bbox-crs={CRS84}")
        assert plain["features"] == swapped["features"] == crs84["features"]
        assert plain["numberMatched"] > 0


def test_the_links_keep_crs_and_bbox_crs(client):
    bbox = "43.25,5.3,43.35,5.45"
    url = (f"/ogc/collections/lieux/items?limit=5&bbox={bbox}&bbox-crs={EPSG}4326"
           f"&crs={EPSG}2154")
    seen, pages = set(), 0
    while url:
        answer = client.get(url)
        assert answer.headers["Content-Crs"] == f"<{EPSG}2154>"
        page = answer.json
        pages += 1
        seen |= {feature["id"] for feature in page["features"]}
        assert all(feature["geometry"]["coordinates"][0] > 800_000
                   for feature in page["features"])  # metres, not degrees
        links = {link["rel"]: link["href"] for link in page["links"]}
        for rel in ("self", "next", "prev"):
            if rel in links:
                query = parse_qs(urlsplit(links[rel]).query)
                assert query["crs"] == [f"{EPSG}2154"] and query["bbox"] == [bbox]
                assert query["bbox-crs"] == [f"{EPSG}4326"]
        url = links.get("next")
    assert pages == 4 and len(seen) == 17


@pytest.mark.parametrize("when", ["2024-01-31T12:00:00Z", "2019-07-01T00:00:00Z/..",
                                  "../2019-07-01T00:00:00%2B02:00"])
def test_a_datetime_matches_every_feature_none_having_a_time(client, when):
    """Part 1 (/req/core/fc-time-response): features without a time match any datetime."""
    items = f"/ogc/collections/lieux/items?bbox={','.join(map(str, MARSEILLE))}&limit=5"
    plain, dated = get_json(client, items), get_json(client, f"{items}&datetime={when}")
    assert dated["numberMatched"] == plain["numberMatched"] > 5
    assert [f["id"] for f in dated["features"]] == [f["id"] for f in plain["features"]]
    following = next(link["href"] for link in dated["links"] if link["rel"] == "next")
    assert "datetime=" in following and get_json(client, following)["numberReturned"] == 5


@pytest.mark.parametrize(("url", "parameter", "words"), [
    ("/ogc/collections/communes/items?crs=EPSG:2154", "crs", ["crs inconnu", EPSG + "2154"]),
    (f"/ogc/collections/communes/items?crs={EPSG}3857", "crs", ["crs inconnu"]),
    (f"/ogc/collections/communes/items/13055?crs={EPSG}27572", "crs", ["crs inconnu"]),
    ("/ogc/collections/communes/items?bbox=5,43,6,44&bbox-crs=lambert93", "bbox-crs",
     ["bbox-crs inconnu", CRS84]),
    (f"/ogc/collections/communes/items?crs={EPSG}2154&crs={EPSG}2154", "crs",
     ["plusieurs fois"]),
    (f"/ogc/collections/communes/items?bbox=900000,6300000,800000,6200000&bbox-crs="
     f"{EPSG}2154", "bbox", ["bbox invalide", "minx"]),
    (f"/ogc/collections/communes/items?bbox=5,43,6&bbox-crs={EPSG}2154", "bbox",
     ["bbox invalide", "mètres"]),
    (f"/ogc/collections/communes/items?bbox=43,5,95,6&bbox-crs={EPSG}4326", "bbox",
     ["hors limites"]),
    ("/ogc/collections/communes/items/13055?bbox-crs=" + CRS84, "bbox-crs",
     ["paramètre inconnu"]),
])
def test_a_crs_not_served_is_a_french_400(client, url, parameter, words):
    assert_error(client.get(url), parameter, *words)


@pytest.mark.parametrize("url", [
    f"/ogc/collections/qpv2024/items?limit=3&crs={EPSG}2154",
    f"/ogc/collections/lieux/items?bbox=800000,6200000,950000,6300000&bbox-crs={EPSG}2154"
    f"&crs={EPSG}4326&limit=5",
    f"/ogc/collections/fabriques/items/fabt-02?crs={EPSG}4471",
    "/ogc/collections/communes/items/13055",
])
def test_the_crs_answers_are_those_the_definition_describes(client, url):
    document = get_json(client, "/ogc/api")
    items = document["paths"]["/collections/lieux/items"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/crs"} in items
    assert {"$ref": "#/components/parameters/bbox-crs"} in items
    assert document["components"]["parameters"]["crs"]["schema"]["enum"] == SERVED
    spec = OpenAPI.from_dict(document, config=Config(
        extra_media_type_deserializers={"application/geo+json": json.loads}))
    response = client.get(url)
    assert response.status_code == 200, response.text
    environ = EnvironBuilder(path=url.split("?")[0], query_string=url.partition("?")[2],
                             base_url="http://localhost").get_environ()
    request = WerkzeugOpenAPIRequest(Request(environ))
    spec.validate_request(request)
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))
