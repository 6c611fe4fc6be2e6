"""/carte at first sight: the nearest Fabriques (API and page, the BAN and its fallback), the
paginated list, the decoded names, and the basemap setting with its Content-Security-Policy.

The app reads the shared real layers (``reference_engine``) and the local fake BAN.
"""

from __future__ import annotations

import html
import re

import pytest

from app import create_app
from geodata.policy import DEFAULT_POLICY, load_policy
from geodata.storage.laureates import laureate_table
from maps.basemap import IGN_PLAN_ATTRIBUTION, IGN_PLAN_URL, BasemapError
from tests.ban_server import ban_server_fixture  # noqa: F401
from tests.support import close_app, make_app

pytestmark = pytest.mark.shared_data

ROW = re.compile(r'<tr data-id="([^"]+)"[^>]*?( hidden)?>')


@pytest.fixture
def app(reference_engine, tmp_path, data_dir, ban_server):  # noqa: F811
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url,
                   RATELIMIT="off")
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


def test_nearest_by_coordinates_in_metres(client, reference_engine):
    answer = client.get("/api/v1/fabriques/proches?lon=2.308&lat=48.850&n=3")
    assert answer.status_code == 200, answer.text
    body = answer.json
    assert body["lieu"]["source"] == "coordinates" and body["avertissement"] is None
    assert body["lieu"]["precision"] == "point"  # as /eligibility says of coordinates given
    assert body["lieu"]["label"] == "2,30800 ; 48,85000"  # longitude ; latitude, in French
    distances = [f["distance_m"] for f in body["fabriques"]]
    assert len(distances) == 3 and distances == sorted(distances) and distances[0] < 5_000
    first = body["fabriques"][0]
    assert first["url"] == f"/fabriques/{first['id']}"
    located = {row["id"] for row in laureate_table(reference_engine,
                                                   load_policy(DEFAULT_POLICY))
               if row["lon"] is not None}
    assert {f["id"] for f in body["fabriques"]} <= located


def test_nearest_by_insee_or_postal_code_without_the_ban(client, ban_server):  # noqa: F811
    for query in ("15014", "15000"):
        body = client.get(f"/api/v1/fabriques/proches?q={query}").json
        assert body["lieu"]["label"] == "Aurillac (15014)", query
        assert body["lieu"]["source"] == "communes"
        assert body["fabriques"][0]["commune_name"] == "Vic-sur-Cère"
        assert 10_000 < body["fabriques"][0]["distance_m"] < 20_000
    assert ban_server.requests == []


def test_an_address_goes_to_the_ban(client):
    body = client.get("/api/v1/fabriques/proches",
                      query_string={"q": "20 Avenue de Ségur 75007 Paris"}).json
    assert body["lieu"]["source"] == "ban" and body["lieu"]["precision"] == "address"
    assert body["avertissement"] is None and len(body["fabriques"]) == 5


def test_a_ban_out_of_reach_falls_back_to_the_communes(reference_engine, tmp_path, data_dir):
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, GEOCODER_URL="http://127.0.0.1:9",
                   RATELIMIT="off")
    try:
        client = app.test_client()
        body = client.get("/api/v1/fabriques/proches?q=Saint-Flour").json
        assert body["lieu"]["source"] == "communes" and body["lieu"]["label"].startswith(
            "Saint-Flour (15187)")
        assert "Base Adresse Nationale injoignable" in body["avertissement"]
        page = html.unescape(client.get("/carte?recherche=Saint-Flour").text)
        assert "Base Adresse Nationale injoignable" in page
        assert "Les Fabriques les plus proches" in page
    finally:
        close_app(app)


@pytest.mark.parametrize("url, status, parameter", [
    ("/api/v1/fabriques/proches", 400, "lon"),
    ("/api/v1/fabriques/proches?lon=0&lat=0", 422, None),
    ("/api/v1/fabriques/proches?q=Lyon&lon=2&lat=48", 400, "q"),  # it answered lon/lat
    ("/api/v1/fabriques/proches?lon=2&lat=48&n=0", 400, "n"),
    ("/api/v1/fabriques/proches?lon=2&lat=48&n=deux", 400, "n"),
    ("/api/v1/fabriques/proches?lon=5.4034&lat=4_3.3305", 400, "lat"),  # read as 43.3305
    ("/api/v1/fabriques/proches?lon=%EF%BC%95.4034&lat=43.3305", 400, "lon"),  # « ５ »
    ("/api/v1/fabriques/proches?q=", 400, "q"),
    ("/api/v1/fabriques/proches?q=Atlantide%20engloutie", 422, "q"),
])
def test_nearest_errors_have_the_one_shape(client, url, status, parameter):
    answer = client.get(url)
    assert answer.status_code == status, answer.text
    assert answer.json["error"]["parameter"] == parameter


def test_the_page_lists_the_nearest_with_links(client):
    page = html.unescape(client.get("/carte?recherche=15000").text)
    nearest = page.split('id="carte-proches"', 1)[1].split("</ol>", 1)[0]
    assert nearest.count("<li") == 5 and 'href="/fabriques/fabt-' in nearest
    assert "Vic-sur-Cère" in nearest
    assert re.search(r"<strong>\d+,\d\u00a0km</strong>", nearest)  # « 12,3 km », in French


def test_the_page_lists_every_fabrique_as_near_as_the_fifth(client):
    """« Marseille » listed 5 of its Fabriques, all at its centre, and left out the others
    (the Belle de Mai's) without a word: those as near as the fifth are listed too; the
    API's ``n`` stays a count."""
    page = html.unescape(client.get("/carte?recherche=13055").text)
    nearest = page.split('id="carte-proches"', 1)[1].split("</ol>", 1)[0]
    features = client.get("/api/v1/fabriques?format=geojson").json["features"]
    in_marseille = sum(1 for f in features if f["geometry"]
                       and f["properties"].get("commune_code") == "13055")
    assert in_marseille > 5  # the data make the case
    assert nearest.count("<li") == min(in_marseille, 20)
    assert len(client.get("/api/v1/fabriques/proches?q=13055").json["fabriques"]) == 5

def test_the_list_is_paginated_with_real_links(client, reference_engine):
    total = len(laureate_table(reference_engine, load_policy(DEFAULT_POLICY)))
    first = client.get("/carte?categorie=a-verifier").text
    rows = ROW.findall(first)
    assert len(rows) == total  # every row is there for the script; 50 shown
    shown = [id_ for id_, hidden in rows if not hidden]
    assert len(shown) == 50
    assert 'href="/carte?categorie=a-verifier&amp;page=2"' in first
    second = client.get("/carte?categorie=a-verifier&page=2").text
    shown_2 = [id_ for id_, hidden in ROW.findall(second) if not hidden]
    assert shown_2 and not set(shown_2) & set(shown)
    assert 'aria-current="page">2<' in second
    last = client.get("/carte?page=99")  # past the end: the last page
    assert last.status_code == 200 and 'aria-current="page"' in last.text
    assert client.get("/carte?page=zero").status_code == 400


def test_names_are_decoded_and_long_ones_folded(client):
    page = client.get("/carte").text
    assert "&amp;amp;" not in page
    assert "Vert&amp;Co" in page  # the entity of the source, decoded once, escaped once
    assert '<details class="carte-description">' in page
    assert "Une fabrique de Territoire en Puisaye-Forterre</button>" in page


def test_the_basemap_is_in_the_page_and_its_csp_only_when_set(reference_engine, tmp_path,
                                                               data_dir):
    url = reference_engine.url.render_as_string(hide_password=False)
    plain = make_app(url, tmp_path / "plain", data_dir)
    tiled = make_app(url, tmp_path / "tiled", data_dir, BASEMAP_URL=IGN_PLAN_URL,
                     BASEMAP_ATTRIBUTION=IGN_PLAN_ATTRIBUTION)
    try:
        off = plain.test_client().get("/carte")
        assert "data.geopf.fr" not in off.text
        assert "data.geopf.fr" not in off.headers["Content-Security-Policy"]
        on = tiled.test_client().get("/carte")
        assert "GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2" in on.text and "L.tileLayer(" in on.text
        assert "\\u00a9 IGN \\u2013 Plan IGN" in on.text or "© IGN – Plan IGN" in on.text
        csp = on.headers["Content-Security-Policy"]
        img = next(part for part in csp.split(";") if part.strip().startswith("img-src"))
        assert img.split() == ["img-src", "'self'", "data:", "https://data.geopf.fr"]
        assert "data.geopf.fr" not in csp.replace(img, "")
    finally:
        close_app(plain)
        close_app(tiled)


def test_the_default_is_plan_ign_and_a_bad_setting_is_refused(tmp_path):
    from app import settings

    assert settings.DEFAULTS["BASEMAP_URL"] == IGN_PLAN_URL
    assert settings.TESTING["BASEMAP_URL"] == ""
    for bad in ({"BASEMAP_URL": "ftp://tuiles/{z}/{x}/{y}"},
                {"BASEMAP_URL": "https://tuiles.exemple.fr/{z}/{x}.png"},
                {"BASEMAP_URL": "https://tuiles.exemple.fr/{z}/{x}/{y}.png",
                 "BASEMAP_ATTRIBUTION": " "}):
        with pytest.raises(BasemapError):
            create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"),
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", **bad})


def test_without_the_ban_a_shared_name_is_asked_and_an_address_read(reference_engine,
                                                                     tmp_path, data_dir):
    """« Saint-Denis » gave La Réunion's (the most populated) to someone in Seine-Saint-Denis;
    « 2 rue de la Paix Paris » found nothing, while /verifier read its commune."""
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, GEOCODER_URL="http://127.0.0.1:9",
                   RATELIMIT="off")
    try:
        client = app.test_client()
        shared = client.get("/api/v1/fabriques/proches?q=Saint-Denis")
        assert shared.status_code == 422 and shared.json["error"]["code"] == "commune-ambigue"
        said = shared.json["error"]["message"]
        assert "Saint-Denis (93066" in said and "Saint-Denis (97411" in said
        assert "précisez le code postal" in said
        one = client.get("/api/v1/fabriques/proches?q=93200").json  # its postal code
        assert one["lieu"]["label"] == "Saint-Denis (93066)"
        address = client.get("/api/v1/fabriques/proches",
                             query_string={"q": "2 rue de la Paix 75002 Paris"}).json
        assert address["lieu"]["label"] == "Paris (75056)"
        page = html.unescape(client.get("/carte?recherche=Saint-Denis").text)
        assert "désigne" in page and "Saint-Denis (97411" in page
    finally:
        close_app(app)
