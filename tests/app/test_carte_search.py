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
from geodata.publication import SOURCE_PUBLISHED
from geodata.storage.commune_points import commune_points
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
    for query in ("15014", "75011"):
        body = client.get(f"/api/v1/fabriques/proches?q={query}").json
        assert body["lieu"]["source"] == "communes", query
    assert body["lieu"]["label"] == "Paris (75056)"  # a postal code of Paris only
    body = client.get("/api/v1/fabriques/proches?q=15014").json
    assert body["lieu"]["label"] == "Aurillac (15014)"
    assert body["fabriques"][0]["commune_name"] == "Vic-sur-Cère"
    assert 10_000 < body["fabriques"][0]["distance_m"] < 20_000
    # a postal code of several communes is theirs to choose from, as /verifier does
    shared = client.get("/api/v1/fabriques/proches?q=15000").json["error"]
    assert shared["code"] == "commune-ambigue" and "Ytrac (15267" in shared["message"]
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
    page = html.unescape(client.get("/carte?recherche=15014").text)
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
        assert "choisissez le vôtre" in page and "Saint-Denis (97411" in page
    finally:
        close_app(app)


def _choices(page: str) -> dict[str, str]:
    """The places a search offers to choose from: label -> link."""
    box = page.split('id="carte-recherche-choix"', 1)[1].split("</ul>", 1)[0]
    return {html.unescape(re.sub(r"\s+", " ", label)): html.unescape(href)
            for href, label in re.findall(r'<a href="([^"]+)">(.*?)</a>', box, re.S)}


def test_homonyms_are_links_to_the_chosen_commune(reference_engine, tmp_path, data_dir):
    """« Saint-Denis », « Sainte-Marie » listed their communes as plain text, and the person
    could not choose one: each is a link that answers for that commune."""
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, GEOCODER_URL="http://127.0.0.1:9",
                   RATELIMIT="off")
    try:
        client = app.test_client()
        for name, code, departement in (("Saint-Denis", "93066", "Seine-Saint-Denis (93)"),
                                        ("Sainte-Marie", "97228", "Martinique (972)")):
            page = client.get("/carte", query_string={"recherche": name, "politique":
                                                      DEFAULT_POLICY}).text
            choices = _choices(page)
            assert len(choices) > 1 and "<title>Choix à faire" in page
            link = choices[f"{name} ({code}), {departement}"]
            assert f"politique={DEFAULT_POLICY}" in link  # the rest of the state is kept
            chosen = html.unescape(client.get(link).text)
            assert f"<title>Fabriques les plus proches de {name} ({code})" in chosen
        # the label the answer shows is searched for again as that very commune
        assert client.get("/api/v1/fabriques/proches", query_string={
            "q": "Saint-Denis (97411)"}).json["lieu"]["label"] == "Saint-Denis (97411)"
    finally:
        close_app(app)


def test_a_departement_name_is_the_departement(client, ban_server):  # noqa: F811
    """« La Réunion » gave the Lot-et-Garonne commune of that name (47222) to someone in La
    Réunion: a département's name is the département (its Fabriques, the map on it), and
    a commune of that name elsewhere is offered beside it."""
    page = client.get("/carte?recherche=La R%C3%A9union")
    assert page.status_code == 200
    choices = _choices(page.text)
    assert list(choices) == ["Le département La Réunion (974) : ses Fabriques",
                             "La Réunion (47222), Lot-et-Garonne (47)"]
    departement = client.get(choices["Le département La Réunion (974) : ses Fabriques"])
    assert departement.status_code == 200
    shown = re.findall(r'<tr data-id="[^"]+"[^>]*data-departement="([^"]*)"[^>]*?(?<! hidden)>',
                       departement.text)
    assert shown and set(shown) == {"974"}  # its Fabriques, and only them
    assert '<option value="974" data-region="04" selected>' in departement.text
    commune = client.get(choices["La Réunion (47222), Lot-et-Garonne (47)"]).text
    assert "<title>Fabriques les plus proches de La Réunion (47222)" in html.unescape(commune)
    for name, code in (("Réunion", "974"), ("Guadeloupe", "971"), ("la Martinique", "972"),
                       ("Guyane", "973"), ("Mayotte", "976")):
        answer = client.get("/carte", query_string={"recherche": name})
        assert answer.status_code == 200, name
        said = " ".join(html.unescape(answer.text).split('id="carte-recherche-departement"',
                                                          1)[1].split())  # no-break spaces
        assert f"« {name} » : le département" in said.split("</div>", 1)[0], name
        assert re.search(f'<option value="{code}" data-region="[^"]*" selected>', answer.text)
        shown = re.findall(r'<tr data-id="[^"]+"[^>]*data-departement="([^"]*)"[^>]*?(?<! hidden)>',
                           answer.text)
        assert set(shown) <= {code}, name  # its Fabriques only (Mayotte has none)
        # the département filter says it now, not the search field
        assert re.search(r'name="recherche"\s+value=""', answer.text), name
        api = client.get("/api/v1/fabriques/proches", query_string={"q": name}).json
        assert api["error"]["code"] == "departement", name
    assert ban_server.requests == []  # none of them is an address
    assert client.get("/api/v1/fabriques/proches?q=Paris").json["lieu"]  # a commune too


def test_the_search_measures_from_where_the_map_places_the_commune(client, reference_engine):
    """The search measured from a point inside the commune's contour, the map placed the
    commune's Fabriques at the published list's point: a Fabrique « au centre de la
    commune » of Marseille was 2,1 km from the centre of Marseille searched. One point."""
    rows = laureate_table(reference_engine, load_policy(DEFAULT_POLICY))
    at_centre = [row for row in rows if row["precision"] == "commune" and row["lon"] is not None
                 and row["commune_code"] == "13055"]
    assert len(at_centre) > 5  # the data make the case
    near = client.get("/api/v1/fabriques/proches?q=13055&n=20").json["fabriques"]
    assert {f["id"]: f["distance_m"] for f in near if f["commune_code"] == "13055"} == {
        row["id"]: 0.0 for row in at_centre}
    points = commune_points(reference_engine)
    where = dict(zip(points.codes, points.points, strict=True))
    for row in rows:
        if row["precision"] == "commune" and row["lon"] is not None \
                and row["source"] == SOURCE_PUBLISHED:
            assert where.get(row["commune_code"], (row["lon"], row["lat"])) == (
                row["lon"], row["lat"]), row["id"]
