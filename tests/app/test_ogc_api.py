"""OGC API - Features under /ogc, on both backends (``tests.ogc_data``): the landing page,
the conformance, the OpenAPI 3.0 definition, the collections, pages of features and their
links, bounding boxes (checked against shapely on the stored geometries), single features,
and the errors in the service's one JSON shape.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import event
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.db import EXTENSION
from geodata.features import BBOX_MARGIN_DEG, parse_bbox
from geodata.policy import available_policies, load_policy
from geodata.publication import open_row
from geodata.storage.features import feature_page
from geodata.storage.laureates import laureate_table
from tests import ogc_data
from tests.ogc_data import get_json, stored
from tests.support import close_app, make_app

pytestmark = pytest.mark.shared_data
backend, ogc_url = ogc_data.backend, ogc_data.ogc_url  # the module's databases (fixtures)
app, client, engine = ogc_data.app, ogc_data.client, ogc_data.engine

COLLECTIONS = ["fabriques", "qpv2015", "qpv2024", "communes", "lieux"]
MARSEILLE = "5.3,43.25,5.45,43.35"
CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def every_feature(client, url: str) -> list[dict]:
    """The features of every page, following the next links from ``url``."""
    features = []
    while url:
        page = get_json(client, url)
        assert page["numberReturned"] == len(page["features"])
        features += page["features"]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    return features


def assert_error(answer, status: int, parameter: str | None, *words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.mimetype == "application/json"
    error = answer.json["error"]
    assert set(error) == {"status", "code", "message", "parameter"}
    assert error["status"] == status and error["parameter"] == parameter
    for word in words:
        assert word in error["message"]


def test_the_landing_page_links_the_definition_the_conformance_and_the_data(client):
    page = client.get("/ogc")
    assert page.status_code == 200 and page.mimetype == "application/json"
    links = {link["rel"]: link for link in page.json["links"]}
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["conformance"]["href"] == "http://localhost/ogc/conformance"
    assert links["data"]["href"] == "http://localhost/ogc/collections"
    assert client.get("/ogc/").json == page.json
    assert get_json(client, "/ogc/conformance")["conformsTo"] == [
        CONF + "core", CONF + "oas30", CONF + "geojson",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"]


def test_the_definition_is_openapi_3_0_and_describes_each_collection(client):
    answer = client.get("/ogc/api")
    assert answer.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = get_json(client, "/ogc/api")
    assert document["openapi"].startswith("3.0.")
    OpenAPI.from_dict(document)  # a valid OpenAPI 3.0 document
    for collection in COLLECTIONS:
        items = document["paths"][f"/collections/{collection}/items"]["get"]
        assert {"$ref": "#/components/parameters/bbox"} in items["parameters"]
    fields = document["components"]["schemas"]["Feature_fabriques"]["properties"][
        "properties"]["properties"]
    assert {"categorie_current", "categorie_ami_2019", "siret"} <= set(fields)
    assert not {"lon", "lat", "politique"} & set(fields)


def test_the_collections_are_those_loaded(client):
    listed = get_json(client, "/ogc/collections")
    assert [c["id"] for c in listed["collections"]] == COLLECTIONS
    qpv = get_json(client, "/ogc/collections/qpv2024")
    assert qpv == next(c for c in listed["collections"] if c["id"] == "qpv2024")
    west, south, east, north = qpv["extent"]["spatial"]["bbox"][0]
    assert 4.5 < west < east < 7.8 and 42.9 < south < north < 45.2  # PACA
    items = next(link for link in qpv["links"] if link["rel"] == "items")
    assert items == {"href": "http://localhost/ogc/collections/qpv2024/items",
                     "rel": "items", "type": "application/geo+json",
                     "title": "Quartiers prioritaires de la politique de la ville (2024) "
                              "(GeoJSON)"}


def test_a_page_counts_what_matched_and_links_the_next(client, engine):
    page = client.get("/ogc/collections/communes/items")
    assert page.status_code == 200 and page.mimetype == "application/geo+json"
    body = page.json
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == 10
    assert body["numberMatched"] == len(stored(engine, "communes")) == 119
    rels = {link["rel"]: link for link in body["links"]}
    assert set(rels) == {"self", "next", "collection"}
    assert rels["next"]["href"] == "http://localhost/ogc/collections/communes/items?limit=10" \
                                   "&offset=10"
    assert rels["next"]["type"] == "application/geo+json"
    assert rels["collection"]["type"] == "application/json"
    second = get_json(client, rels["next"]["href"])
    assert {link["rel"] for link in second["links"]} == {"self", "next", "prev", "collection"}
    assert not {f["id"] for f in body["features"]} & {f["id"] for f in second["features"]}


@pytest.mark.parametrize("collection", ["fabriques", "qpv2024", "communes", "lieux"])
def test_paging_gives_every_feature_once(client, engine, collection):
    features = every_feature(client, f"/ogc/collections/{collection}/items?limit=50")
    ids = [feature["id"] for feature in features]
    assert len(ids) == len(set(ids)) and set(ids) == set(stored(engine, collection))


@pytest.mark.parametrize("collection", ["fabriques", "qpv2024", "communes", "lieux"])
@pytest.mark.parametrize("bbox", [MARSEILLE, "5.3,43.25,0,5.45,43.35,100", "4,43,4.9,43.6",
                                  "55,-22,-60,52"])
def test_a_bbox_keeps_the_features_it_intersects(client, engine, collection, bbox):
    values = [float(v) for v in bbox.split(",")]
    west, south, east, north = values if len(values) == 4 else values[:2] + values[3:5]
    boxes = [shapely.box(west, south, east, north)] if west <= east else [
        shapely.box(west, south, 180, north), shapely.box(-180, south, east, north)]
    area = shapely.union_all(boxes).buffer(BBOX_MARGIN_DEG, join_style="mitre")
    expected = {key for key, geometry in stored(engine, collection).items()
                if geometry is not None and geometry.intersects(area)}
    page = get_json(client, f"/ogc/collections/{collection}/items?bbox={bbox}&limit=10000")
    assert page["numberMatched"] == len(expected)
    assert {feature["id"] for feature in page["features"]} == expected


def test_a_box_without_area_is_the_point_or_the_segment_it_is(client, engine):
    """« bbox=X,Y,X,Y » inside a QPV answered nothing on PostGIS (a polygon of no area
    intersects nothing), where a box with the point on its edge found it."""
    qpvs = stored(engine, "qpv2024")
    code, outline = next(iter(sorted(qpvs.items())))
    x, y = shapely.get_coordinates(outline.representative_point())[0]
    for bbox, shape in ((f"{x},{y},{x},{y}", shapely.Point(x, y)),
                        (f"{x},{y - 0.01},{x},{y + 0.01}",
                         shapely.LineString([(x, y - 0.01), (x, y + 0.01)]))):
        expected = {key for key, geometry in qpvs.items()
                    if geometry is not None and geometry.intersects(shape)}
        assert code in expected
        page = get_json(client, f"/ogc/collections/qpv2024/items?bbox={bbox}&limit=1000")
        assert {feature["id"] for feature in page["features"]} == expected, bbox
    place_id, place = next((key, geometry) for key, geometry in
                           sorted(stored(engine, "lieux").items()) if geometry is not None)
    px, py = place.x, place.y
    page = get_json(client, f"/ogc/collections/lieux/items?bbox={px},{py},{px},{py}")
    assert place_id in {feature["id"] for feature in page["features"]}


def test_the_bboxes_are_not_vacuous(client):
    counts = {collection: get_json(client, f"/ogc/collections/{collection}/items?bbox="
                                   f"{MARSEILLE}")["numberMatched"]
              for collection in ("fabriques", "qpv2024", "communes", "lieux")}
    assert counts == {"fabriques": 8, "qpv2024": 27, "communes": 1, "lieux": 17}
    overseas = get_json(client, "/ogc/collections/lieux/items?bbox=55,-22,-60,52&limit=1000")
    assert {f["geometry"]["coordinates"][0] > 0 for f in overseas["features"]} == {True, False}


def test_a_fabrique_has_the_open_data_and_its_category_under_each_policy(client, engine):
    feature = get_json(client, "/ogc/collections/fabriques/items/ds-900003")
    assert feature["type"] == "Feature" and feature["geometry"] == {
        "type": "Point", "coordinates": [5.3686, 43.299]}
    properties = feature["properties"]
    expected = open_row(next(row for row in laureate_table(engine, load_policy("current"))
                             if row["id"] == "ds-900003"))
    for key in ("nom", "siret", "montant_annee_1", "vague", "commune_nom", "source"):
        assert properties[key] == expected[key]
    assert properties["siret"] == "11122233300044" and properties["montant_annee_1"] == 75000
    for policy in available_policies():
        row = next(r for r in laureate_table(engine, load_policy(policy))
                   if r["id"] == "ds-900003")
        assert properties["categorie_" + policy.replace("-", "_")] == row["category"]
    assert not {"lon", "lat", "categorie", "politique"} & set(properties)
    assert [link["rel"] for link in feature["links"]] == ["self", "collection"]


def test_every_fabrique_has_the_categories_of_the_map(client, engine):
    features = get_json(client, "/ogc/collections/fabriques/items?limit=10000")["features"]
    for policy in available_policies():
        table = {row["id"]: row["category"] for row in laureate_table(engine,
                                                                      load_policy(policy))}
        assert {f["id"]: f["properties"]["categorie_" + policy.replace("-", "_")]
                for f in features} == table
    # the decided laureate that is the same Fabrique as fabt-02 is not served twice
    assert_error(client.get("/ogc/collections/fabriques/items/ds-900001"), 404, "featureId")


def test_a_commune_has_its_classes(client):
    marseille = get_json(client, "/ogc/collections/communes/items/13055")["properties"]
    assert marseille["nom"] == "Marseille" and marseille["region_code"] == "93"
    assert marseille["densite_niveau"] == 1 and marseille["densite_libelle"]
    assert "Aix-Marseille" in marseille["metropole_nom"]
    arles = get_json(client, "/ogc/collections/communes/items/13004")["properties"]
    assert arles["metropole_code"] is None and arles["departement_nom"] == "Bouches-du-Rhône"


def test_a_qpv_names_its_communes_and_its_source(client):
    qpv = get_json(client, "/ogc/collections/qpv2024/items/QN01307M")["properties"]
    assert qpv["millesime"] == "2024" and qpv["source"] == "qpv2024-paca"
    assert qpv["communes_codes"] == "13055" and qpv["communes_noms"] == "Marseille"
    old = get_json(client, "/ogc/collections/qpv2015/items/QP093028")["properties"]
    assert old["communes_noms"] == "Aubervilliers, La Courneuve, Saint-Denis"
    # its source names the communes without codes: found by name in the département
    assert old["communes_codes"] == "93001, 93027, 93066"
    assert old["source"] == "qpv2015-ile-de-france-extrait"


def test_a_place_is_found_by_its_kind_and_its_id(client):
    place = get_json(client, "/ogc/collections/lieux/items/manufacture-proximite:manuprox-1-1")
    assert place["id"] == "manufacture-proximite:manuprox-1-1"
    assert place["properties"]["type_libelle"] == "Manufacture de proximité"
    assert place["properties"]["attributs"] == {"vague": "1"}
    for missing in ("manufacture-proximite:nope", "manuprox-1-1", ":manuprox-1-1"):
        assert_error(client.get(f"/ogc/collections/lieux/items/{missing}"), 404, "featureId")


def test_geometries_follow_rfc_7946(client):
    features = get_json(client, f"/ogc/collections/communes/items?bbox={MARSEILLE}&limit=100"
                        )["features"] + get_json(client, "/ogc/collections/qpv2024/items?"
                                                 "limit=200")["features"]
    for feature in features:
        geometry = shapely.geometry.shape(feature["geometry"])
        for polygon in geometry.geoms:
            assert polygon.exterior.is_ccw
            assert not any(ring.is_ccw for ring in polygon.interiors)
        coordinates = shapely.get_coordinates(geometry)
        assert np.allclose(coordinates, np.round(coordinates, 7), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("crs", "decimals"), [(None, 7), ("2154", 3)])
def test_coordinates_are_written_with_the_decimals_they_keep(client, crs, decimals):
    """GEOS wrote 5.38266 as 5.3826599999999996 (727 such numbers in « communes »): the
    same double, in 17 digits. Each number is now written in the fewest digits that say it."""
    query = "limit=400" + (f"&crs=http://www.opengis.net/def/crs/EPSG/0/{crs}" if crs else "")
    text = client.get(f"/ogc/collections/communes/items?{query}").text
    geometries = text.count('"coordinates":')
    numbers = re.findall(r"-?\d+\.(\d+)", text[text.index('"coordinates":'):])
    assert geometries >= 100 and numbers
    assert max(len(fraction) for fraction in numbers) <= decimals


@pytest.mark.parametrize(("query", "parameter", "words"), [
    ("bbox=5,43,6", "bbox", ["bbox invalide", "4 nombres"]),
    ("bbox=a,b,c,d", "bbox", ["bbox invalide"]),
    ("bbox=5,43,6,95", "bbox", ["hors limites"]),
    ("bbox=5,44,6,43", "bbox", ["hors limites"]),
    ("bbox=5,43,nan,44", "bbox", ["bbox invalide"]),
    ("limit=0", "limit", ["limit invalide", "de 1 à 10000"]),
    ("limit=dix", "limit", ["limit invalide"]),
    ("limit=-5", "limit", ["limit invalide"]),
    ("offset=-1", "offset", ["offset invalide"]),
    ("limit=5&limit=6", "limit", ["plusieurs fois"]),
    ("toto=1", "toto", ["paramètre inconnu",
                        "limit, offset, bbox, bbox-crs, crs, datetime, f"]),
    ("datetime=2024-01-31", "datetime", ["datetime invalide", "RFC 3339"]),
    ("datetime=../..", "datetime", ["datetime invalide"]),
    ("f=html", "f", ["format inconnu"]),
])
def test_a_bad_query_is_a_french_400(client, query, parameter, words):
    assert_error(client.get(f"/ogc/collections/communes/items?{query}"), 400, parameter,
                 *words)


def test_unknown_things_are_json_404s(client):
    assert_error(client.get("/ogc/collections/nulle-part/items"), 404, "collectionId",
                 "collection inconnue", "qpv2024")
    assert_error(client.get("/ogc/collections/qpv1999"), 404, "collectionId")
    assert_error(client.get("/ogc/collections/communes/items/99999"), 404, "featureId",
                 "code INSEE")
    assert_error(client.get("/ogc/ailleurs"), 404, None)
    assert_error(client.post("/ogc/collections"), 405, None)


def test_a_limit_over_the_maximum_is_served_as_the_maximum(client):
    page = get_json(client, "/ogc/collections/lieux/items?limit=50000")
    assert page["numberReturned"] == page["numberMatched"] == 188
    self_link = next(link for link in page["links"] if link["rel"] == "self")
    assert self_link["href"].endswith("?limit=10000")


def test_an_offset_past_the_end_is_an_empty_page(client):
    page = get_json(client, "/ogc/collections/lieux/items?offset=5000")
    assert page["features"] == [] and page["numberMatched"] == 188
    assert "next" not in {link["rel"] for link in page["links"]}


def test_the_answers_are_public_compressed_and_keep_the_security_headers(client):
    answer = client.get("/ogc/collections/communes/items?limit=100",
                        headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_the_api_is_rate_limited_like_the_rest_and_says_how_to_page(ogc_url, tmp_path,
                                                                      data_dir):
    """GDAL 3.6 copies 10 objects a request unless told: its 429 must say the page size."""
    app = make_app(ogc_url, tmp_path / "instance", data_dir, RATELIMIT="2/minute")
    try:
        client = app.test_client()
        pages = [f"/ogc/collections/lieux/items?limit=10&offset={start}" for start in (0, 10)]
        assert [client.get(page).status_code for page in pages] == [200, 200]
        limited = client.get("/ogc/collections/lieux/items?limit=10&offset=20")
        assert_error(limited, 429, None, "réessayez", "limit=1000", "PAGE_SIZE=1000")
        assert limited.headers["Retry-After"]
        for _ in range(2):
            client.get("/api/v1/policies")
        elsewhere = client.get("/api/v1/policies")
        assert_error(elsewhere, 429, None, "réessayez")
        assert "PAGE_SIZE" not in elsewhere.json["error"]["message"]
    finally:
        close_app(app)


def statements_of(engine, call) -> list[tuple[str, object]]:
    """The SQL statements (and parameters) ``call()`` runs on ``engine``."""
    seen = []

    def record(_connection, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_bbox_is_answered_with_the_spatial_index_or_the_envelopes(app, backend):
    engine = app.extensions[EXTENSION]
    boxes = parse_bbox(MARSEILLE)
    feature_page(engine, "communes", boxes, 0, 10)  # the SQLite envelopes are read once
    statements = statements_of(engine, lambda: feature_page(engine, "communes", boxes, 0, 10))
    reading = [(sql, parameters) for sql, parameters in statements if "geom" in sql]
    if backend == "sqlite":  # only the geometries the envelopes leave uncertain are read
        assert reading and all(" IN (" in sql for sql, _ in reading)
        return
    counted = next(item for item in reading if "count(" in item[0])
    with engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(
            "EXPLAIN " + counted[0], counted[1]))
    assert "ix_commune_contours_geom" in plan and "&&" in plan, plan


@pytest.mark.parametrize(("url", "status"), [
    ("/ogc/", 200), ("/ogc/conformance", 200), ("/ogc/collections", 200),
    ("/ogc/collections/communes", 200), ("/ogc/collections/qpv2024/items?limit=3", 200),
    (f"/ogc/collections/lieux/items?bbox={MARSEILLE}&limit=5&offset=2", 200),
    ("/ogc/collections/fabriques/items?limit=400", 200),
    ("/ogc/collections/fabriques/items/fabt-02", 200),
    ("/ogc/collections/communes/items/13055", 200),
    ("/ogc/collections/communes/items?bbox=1,2", 400),
    ("/ogc/collections/fabriques/items/inconnue", 404),
])
def test_the_answers_are_those_the_definition_describes(client, url, status):
    spec = OpenAPI.from_dict(get_json(client, "/ogc/api"), config=Config(
        extra_media_type_deserializers={"application/geo+json": json.loads}))
    response = client.get(url)
    assert response.status_code == status, response.text
    environ = EnvironBuilder(path=url.split("?")[0], query_string=url.partition("?")[2],
                             base_url="http://localhost").get_environ()
    request = WerkzeugOpenAPIRequest(Request(environ))
    if status < 400:
        spec.validate_request(request)
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))


def test_retry_after_is_said_on_a_429_only_and_never_zero(ogc_url, tmp_path, data_dir):
    """Every answer carried « Retry-After », and some 429 « Retry-After: 0 »."""
    app = make_app(ogc_url, tmp_path / "instance", data_dir, RATELIMIT="2/second")
    try:
        client = app.test_client()
        answers = [client.get("/api/v1/policies") for _ in range(6)]
        served = [a for a in answers if a.status_code == 200]
        limited = [a for a in answers if a.status_code == 429]
        assert served and limited
        assert not any("Retry-After" in a.headers for a in served)
        assert all(int(a.headers["Retry-After"]) >= 1 for a in limited)
        assert "429" in client.get("/api/v1/openapi.json").json["paths"][
            "/eligibility"]["get"]["responses"]
    finally:
        close_app(app)
