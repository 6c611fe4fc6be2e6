"""The public map's endpoints and page: layers by bounding box and zoom, the Fabriques'
selection as GeoJSON and CSV, the ``/carte`` page without JavaScript, the OpenAPI entries.

Most tests read the shared real layers (``reference_engine``); one test per backend loads
the sources afresh into SQLite and into PostGIS and checks both answer like the reference.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
import shapely
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from shapely.geometry import shape
from sqlalchemy import func, select, text
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app import create_app
from app.carte.api import CSV_COLUMNS
from app.carte.forms import map_view
from app.db import EXTENSION
from geodata.policy import CATEGORIES
from geodata.storage.models import Commune, Epci, EpciMember, Laureate, Qpv
from loaders.pipeline import load_source
from maps.fabriques import View

pytestmark = pytest.mark.shared_data

MARSEILLE = "5.30,43.25,5.50,43.40"
PROVENCE = "4.5,43.0,7.0,44.5"
ERROR_KEYS = {"status", "code", "message", "parameter"}


def make_client(url: str, tmp_path, data_dir):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "DATABASE_URL": url, "DATA_DIR": str(data_dir), "RATELIMIT": "off"})
    return app, app.test_client()


@pytest.fixture
def client(reference_engine, tmp_path, data_dir):
    app, client = make_client(reference_engine.url.render_as_string(hide_password=False),
                              tmp_path, data_dir)
    yield client
    app.extensions[EXTENSION].dispose()


def layer(client, name: str, bbox: str, zoom: int, **params) -> dict:
    answer = client.get(f"/api/v1/couches/{name}", query_string={"bbox": bbox, "zoom": zoom,
                                                                **params})
    assert answer.status_code == 200, answer.text
    assert answer.mimetype == "application/geo+json"
    return answer.json


def codes(collection: dict) -> list[str]:
    return [feature["properties"]["code"] for feature in collection["features"]]


def vertices(collection: dict) -> int:
    return sum(shapely.get_num_coordinates(shape(f["geometry"]))
               for f in collection["features"])


def assert_error(answer, parameter: str, code: str | None = None):
    assert answer.status_code == 400, answer.text
    body = answer.json
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS
    assert body["error"]["parameter"] == parameter and body["error"]["status"] == 400
    if code:
        assert body["error"]["code"] == code


def test_qpv_layer_holds_exactly_the_outlines_meeting_the_box(client, reference_engine):
    with reference_engine.connect() as connection:
        outlines = connection.execute(select(Qpv.code, Qpv.geom).where(Qpv.vintage == "2024")
                                      .order_by(Qpv.code)).all()
    box = shapely.box(*map(float, MARSEILLE.split(",")))
    expected = [row.code for row in outlines if row.geom.intersects(box)]

    served = layer(client, "qpv", MARSEILLE, 12, vintage="2024")

    assert codes(served) == expected and 10 < len(expected) < len(outlines)
    assert all(shape(f["geometry"]).intersects(box.buffer(0.001)) for f in served["features"])
    older = layer(client, "qpv", "1.3,43.5,1.6,43.7", 12, vintage="2015")
    assert codes(older) and all(code.startswith("QP031") for code in codes(older))


def test_low_zoom_simplifies_yet_keeps_every_feature(client):
    for name, bbox, low, high in (("qpv", MARSEILLE, 6, 14),
                                  ("departements", "4.9,43.2,5.9,44.0", 5, 12),
                                  ("metropoles", MARSEILLE, 6, 14)):
        coarse, fine = layer(client, name, bbox, low), layer(client, name, bbox, high)
        assert codes(coarse) == codes(fine) and codes(coarse), name
        assert vertices(coarse) < vertices(fine), name


def test_departements_and_metropoles_are_dissolved_communes(client, reference_engine):
    departements = layer(client, "departements", "4.9,43.2,5.9,44.0", 9)
    assert {"13", "84"} <= set(codes(departements))
    (bouches,) = [f for f in departements["features"] if f["properties"]["code"] == "13"]
    assert bouches["properties"]["name"] == "Bouches-du-Rhône"
    assert shape(bouches["geometry"]).contains(shapely.Point(5.37, 43.30))  # Marseille

    with reference_engine.connect() as connection:
        aix_marseille = connection.scalar(
            select(Epci.name).join(EpciMember, EpciMember.epci_code == Epci.code)
            .where(EpciMember.commune_code == "13055"))
    metropoles = layer(client, "metropoles", MARSEILLE, 9)
    assert [f["properties"]["name"] for f in metropoles["features"]] == [aix_marseille]


def test_density_grid_needs_a_close_zoom(client):
    refused = client.get("/api/v1/couches/densite", query_string={"bbox": PROVENCE, "zoom": 6})
    assert_error(refused, "zoom", "zoom-insuffisant")
    assert "zoomez" in refused.json["error"]["message"]

    served = layer(client, "densite", MARSEILLE, 11)
    levels = {f["properties"]["level"] for f in served["features"]}
    assert "13055" in codes(served) and levels <= set(range(1, 8)) and 1 in levels
    (marseille,) = [f for f in served["features"] if f["properties"]["code"] == "13055"]
    assert "niveau 1" in marseille["properties"]["label"]
    with client.application.extensions[EXTENSION].connect() as connection:
        official = dict(connection.execute(text("SELECT code, name FROM communes")).all())
        contours = dict(connection.execute(text("SELECT code, name FROM commune_contours")).all())
    names = {f["properties"]["code"]: f["properties"]["name"] for f in served["features"]}
    assert names == {code: official[code] for code in names}  # "Le Rove", not "Rove"
    assert any(contours[code] != official[code] for code in names)


def test_layers_carry_etag_and_cache_control(client):
    url = f"/api/v1/couches/qpv?bbox={MARSEILLE}&zoom=10"
    first = client.get(url)
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    etag = first.headers["ETag"]
    assert etag

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/api/v1/couches/qpv?bbox={MARSEILLE}&zoom=11")
    assert other.headers["ETag"] != etag


@pytest.mark.parametrize(("url", "parameter", "code"), [
    ("/api/v1/couches/qpv?zoom=5", "bbox", "parametre-manquant"),
    ("/api/v1/couches/qpv?bbox=1,2,3&zoom=5", "bbox", "parametre-invalide"),
    ("/api/v1/couches/qpv?bbox=a,b,c,d&zoom=5", "bbox", "parametre-invalide"),
    ("/api/v1/couches/qpv?bbox=5,43,4,44&zoom=5", "bbox", "parametre-invalide"),
    ("/api/v1/couches/qpv?bbox=-200,43,4,44&zoom=5", "bbox", "parametre-invalide"),
    ("/api/v1/couches/qpv?bbox=nan,43,4,44&zoom=5", "bbox", "parametre-invalide"),
    ("/api/v1/couches/qpv?bbox=-5,41,10,51&zoom=13", "bbox", "parametre-invalide"),
    (f"/api/v1/couches/qpv?bbox={MARSEILLE}", "zoom", "parametre-manquant"),
    (f"/api/v1/couches/qpv?bbox={MARSEILLE}&zoom=douze", "zoom", "parametre-invalide"),
    # what float() and \\d read, the single check refuses: « 5_3 », full-width digits
    ("/api/v1/couches/qpv?bbox=5_3,43.2,5.5,43.4&zoom=9", "bbox", "parametre-invalide"),
    (f"/api/v1/couches/qpv?bbox={MARSEILLE}&zoom=%EF%BC%91%EF%BC%92", "zoom",
     "parametre-invalide"),
    (f"/api/v1/couches/qpv?bbox={MARSEILLE}&zoom=21", "zoom", "parametre-invalide"),
    (f"/api/v1/couches/qpv?bbox={MARSEILLE}&zoom=-1", "zoom", "parametre-invalide"),
    (f"/api/v1/couches/qpv?bbox={MARSEILLE}&zoom=9&vintage=2020", "vintage",
     "parametre-invalide"),
    (f"/api/v1/couches/cadastre?bbox={MARSEILLE}&zoom=9", "layer", "couche-inconnue"),
    ("/api/v1/fabriques?category=partout", "category", "parametre-invalide"),
    ("/api/v1/fabriques?region=99", "region", "parametre-invalide"),
    ("/api/v1/fabriques?departement=1", "departement", "parametre-invalide"),
    ("/api/v1/fabriques?fnt=peut-etre", "fnt", "parametre-invalide"),
    ("/api/v1/fabriques?format=xlsx", "format", "parametre-invalide"),
    ("/api/v1/fabriques?policy=laxiste", "policy", "politique-inconnue"),
])
def test_bad_parameters_are_named_in_the_one_error_shape(client, url, parameter, code):
    assert_error(client.get(url), parameter, code)


def test_fabriques_geojson_is_every_laureate_with_its_category(client, reference_engine):
    with reference_engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(Laureate))
        paca = connection.scalar(select(func.count()).select_from(Laureate).join(
            Commune, Commune.code == Laureate.commune_code).where(Commune.region_code == "93"))
    everything = client.get("/api/v1/fabriques")
    assert everything.status_code == 200 and everything.mimetype == "application/geo+json"
    features = everything.json["features"]
    assert len(features) == total
    assert {f["properties"]["category"] for f in features} <= set(CATEGORIES)
    assert sum(f["geometry"] is None for f in features) == 1  # Saint-Martin: no position

    by_category = [len(client.get(f"/api/v1/fabriques?category={key}").json["features"])
                   for key in CATEGORIES]
    assert sum(by_category) == total

    in_paca = client.get("/api/v1/fabriques?region=93").json["features"]
    assert len(in_paca) == paca > 0
    assert all(f["properties"]["region_code"] == "93" for f in in_paca)
    in_var = client.get("/api/v1/fabriques?departement=83&region=93").json["features"]
    assert 0 < len(in_var) < paca
    # Neither the wave nor the type is published: "unknown" selects all, "true" none.
    assert len(client.get("/api/v1/fabriques?fnt=unknown").json["features"]) == total
    assert client.get("/api/v1/fabriques?fnt=true").json["features"] == []
    assert len(client.get("/api/v1/fabriques?wave=unknown").json["features"]) == total
    older = client.get("/api/v1/fabriques?policy=ami-2019").json["features"]
    assert {f["properties"]["policy"] for f in older} == {"ami-2019"}
    # every located Fabrique has its département, a former commune's (fabt-379 is listed
    # in 49069 Champtoceaux, of Orée d'Anjou) too: a filter on the 49 dropped it
    assert not [f["id"] for f in features if f["properties"]["commune_code"]
                and not f["properties"]["departement_code"]]
    assert "fabt-379" in {f["id"] for f in client.get(
        "/api/v1/fabriques?departement=49").json["features"]}
    corse = client.get("/api/v1/fabriques?departement=2A").json["features"]
    assert corse and client.get("/api/v1/fabriques?departement=2a").json["features"] == corse


def test_fabriques_csv_has_a_bom_semicolons_and_the_selection(client):
    answer = client.get("/api/v1/fabriques?format=csv&region=93")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS
    expected = client.get("/api/v1/fabriques?region=93").json["features"]
    assert [row[0] for row in rows[1:]] == [f["id"] for f in expected]
    column = {name: position for position, name in enumerate(CSV_COLUMNS)}
    assert all(row[column["region_code"]] == "93" and row[column["fnt"]] == ""
               for row in rows[1:])


def test_page_lists_the_fabriques_and_honours_the_filters_without_javascript(client):
    page = client.get("/carte?region=93&categorie=a-verifier")
    assert page.status_code == 200
    html = page.text
    rows = re.findall(r"<tr data-id=\"[^\"]+\"[^>]*>", html)
    shown = [row for row in rows if " hidden" not in row]
    expected = client.get("/api/v1/fabriques?region=93&category=a-verifier").json["features"]
    assert len(rows) == len(client.get("/api/v1/fabriques").json["features"])
    assert len(shown) == len(expected) > 0
    assert all('data-region="93"' in row and 'data-category="a-verifier"' in row
               for row in shown)
    assert f"<strong>{len(expected)}</strong> Fabrique" in html
    assert "/api/v1/fabriques?policy=current&amp;format=csv&amp;category=a-verifier" \
           "&amp;region=93" in html
    assert '<option value="93" selected>' in html
    assert 'role="region"' in html and "leaflet.markercluster.js" in html
    assets = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"([^\"]+)\"", html)
    assert assets and all(url.startswith("/static/") for url in assets)
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert "Saint-Martin (97801)" in cells  # fabt-364: the list says « NA », the COG knows
    assert not [cell for cell in cells if "None" in cell]


def test_page_reports_bad_parameters_and_still_serves_the_map(client):
    page = client.get("/carte?region=99&couches=qpv,cadastre&z=abc&politique=laxiste")
    assert page.status_code == 400
    for words in ("région inconnu", "couche inconnue", "vue invalide", "politique inconnue"):
        assert words in page.text
    assert 'class="folium-map"' in page.text


def test_page_keeps_the_state_of_its_url(client):
    page = client.get("/carte?z=9&lat=43.3&lon=5.4&couches=metropoles&qpv=2015"
                      "&politique=ami-2019")
    assert page.status_code == 200
    assert '"zoom": 9' in page.text and "[43.3, 5.4]" in page.text
    assert '<option value="2015" selected>' in page.text
    assert '"vintage": "2015"' in page.text
    assert '<input type="hidden" name="couches" value="metropoles">' in page.text


CALLS = [
    f"/api/v1/couches/qpv?bbox={MARSEILLE}&zoom=12&vintage=2024",
    f"/api/v1/couches/densite?bbox={MARSEILLE}&zoom=11",
    "/api/v1/couches/densite?bbox=4,43,6,44&zoom=5",
    "/api/v1/couches/qpv?bbox=1,2,3&zoom=5",
    "/api/v1/fabriques?region=93",
    "/api/v1/fabriques?format=csv&category=qpv",
    "/api/v1/fabriques?fnt=maybe",
]


@pytest.mark.parametrize("url", CALLS)
def test_responses_match_the_openapi_document(client, url):
    spec = OpenAPI.from_dict(client.get("/api/v1/openapi.json").json, config=Config(
        extra_media_type_deserializers={"application/geo+json": json.loads}))
    answer = client.get(url)
    environ = EnvironBuilder(path=url.split("?")[0], query_string=url.partition("?")[2],
                             base_url="http://localhost").get_environ()
    request = WerkzeugOpenAPIRequest(Request(environ))
    if answer.status_code < 400:
        spec.validate_request(request)
    spec.validate_response(request, WerkzeugOpenAPIResponse(answer))


BACKEND_SOURCES = ("regions", "departements", "communes", "epci", "commune-contours",
                   "densite", "qpv2024-paca", "qpv2024-communes", "laureates")


def test_both_backends_serve_what_the_reference_serves(engine, backend, client, tmp_path,
                                                       data_dir):
    """Fresh loads into SQLite and PostGIS answer byte for byte like the reference."""
    for name in BACKEND_SOURCES:
        load_source(engine, name, data_dir=data_dir, progress=False)
    app, fresh = make_client(engine.url.render_as_string(hide_password=False),
                             tmp_path / backend, data_dir)
    try:
        for url in (f"/api/v1/couches/qpv?bbox={PROVENCE}&zoom=8&vintage=2024",
                    f"/api/v1/couches/metropoles?bbox={PROVENCE}&zoom=8",
                    f"/api/v1/couches/densite?bbox={MARSEILLE}&zoom=11",
                    f"/api/v1/couches/departements?bbox={PROVENCE}&zoom=7",
                    "/api/v1/fabriques?region=93"):
            mine, reference = fresh.get(url), client.get(url)
            assert mine.status_code == reference.status_code == 200, url
            assert json.loads(mine.data) == json.loads(reference.data), url
    finally:
        app.extensions[EXTENSION].dispose()


ALERT = re.compile(r'<h2 class="fr-alert__title">Paramètres ignorés</h2>\s*<ul>(.*?)</ul>', re.S)


def page_errors(page) -> list[str]:
    """The messages of the page's "Paramètres ignorés" alert, in order."""
    found = ALERT.search(page.text)
    return re.findall(r"<li>(.*?)</li>", html.unescape(found.group(1))) if found else []


def test_page_tells_every_bad_parameter_in_the_order_of_its_form(client):
    page = client.get(f"/carte?fnt=peut-etre&departement=ZZ&region=00&categorie=rouge"
                      f"&vague={'v' * 33}&qpv=1999&politique=laxiste&z=9&lat=91&lon=5"
                      "&couches=qpv,cadastre,,egouts")
    assert page.status_code == 400
    assert page_errors(page) == [
        "politique inconnue\u00a0: «\u00a0laxiste\u00a0» (disponibles\u00a0: ami-2019, current)",
        "millésime QPV inconnu\u00a0: '1999'",
        "vague invalide\u00a0: 32 caractères au plus",
        f"catégorie inconnue\u00a0: 'rouge' (attendues\u00a0: {', '.join(CATEGORIES)})",
        "région inconnue\u00a0: '00' (code INSEE attendu)",
        "département inconnu\u00a0: 'ZZ' (code INSEE attendu)",
        "fnt vaut true, false, unknown",
        "couche inconnue\u00a0: 'cadastre'",
        "couche inconnue\u00a0: 'egouts'",
        "vue invalide\u00a0: z (2 à 18), lat et lon vont ensemble",
    ]
    assert '<input type="hidden" name="couches" value="qpv">' in page.text


def test_a_parameter_in_error_falls_back_alone(client):
    page = client.get("/carte?politique=ami-2019&qpv=1999&region=93&departement=ZZ"
                      "&couches=metropoles,zzz&z=9&lat=43.3&lon=5.4")
    assert page.status_code == 400
    assert page_errors(page) == ["millésime QPV inconnu\u00a0: '1999'",
                                 "département inconnu\u00a0: 'ZZ' (code INSEE attendu)",
                                 "couche inconnue\u00a0: 'zzz'"]
    assert 'data-politique="ami-2019"' in page.text
    assert '"vintage": "2015"' in page.text  # the policy's own vintage
    assert '<option value="93" selected>' in page.text
    csv_url = html.unescape(re.search(r'id="carte-csv" href="([^"]+)"', page.text).group(1))
    assert "policy=ami-2019" in csv_url and "region=93" in csv_url
    assert "departement" not in csv_url
    assert '<input type="hidden" name="couches" value="metropoles">' in page.text
    assert '"zoom": 9' in page.text and "[43.3, 5.4]" in page.text


def test_an_empty_layer_list_shows_no_overlay_and_is_no_error(client):
    page = client.get("/carte?couches=&z=&lat=&lon=&politique=&qpv=")
    assert page.status_code == 200 and page_errors(page) == []
    assert '<input type="hidden" name="couches" value="">' in page.text
    assert '"vintage": "2024"' in page.text  # the default policy's


@pytest.mark.parametrize(("z", "lat", "lon"), [
    ("9", "43.3", ""), ("9", None, "5.4"), ("9.5", "43.3", "5.4"), ("1", "43.3", "5.4"),
    ("19", "43.3", "5.4"), ("9", "nan", "5.4"), ("9", "91", "5.4"), ("9", "43.3", "inf"),
    ("neuf", "43.3", "5.4"),
])
def test_a_view_needs_its_three_values_in_range(z, lat, lon):
    with pytest.raises(ValueError, match="vue invalide : z \\(2 à 18\\), lat et lon vont"):
        map_view(z, lat, lon)


def test_a_view_is_optional_and_read_with_spaces():
    assert map_view(None, "", None) is None
    assert map_view(" 9", "43.3 ", "-5") == View(lat=43.3, lon=-5.0, zoom=9)
    for z, lat in (("９", "43.3"), ("9", "4_3.3")):  # what int() and float() read
        with pytest.raises(ValueError, match="vue invalide"):
            map_view(z, lat, "5")
