"""The instructors' checker page (/verifier): form, verdict, errors, local assets only."""

from __future__ import annotations

import re

import pytest

from tests.app.test_api import api_app, client  # noqa: F401 - real layers + local BAN
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data


def test_empty_form_is_accessible(client):  # noqa: F811
    page = client.get("/verifier")
    assert page.status_code == 200
    html = page.text
    for field in ("address", "lon", "lat", "policy"):
        assert re.search(rf'<label class="fr-label" for="{field}"', html)
        assert f'id="{field}"' in html
    assert 'lang="fr"' in html and 'href="#contenu"' in html
    assert "Verdict" not in html


def test_coordinates_give_the_verdict_and_its_components(client):  # noqa: F811
    page = client.get("/verifier?lon=5.4034&lat=43.3305&policy=current")
    assert page.status_code == 200
    html = page.text
    assert "Verdict : en QPV ou à sa proximité immédiate" in html
    assert "QN01352M" in html and "Marseille" in html
    assert "<caption>Ce qui a été mesuré" in html
    assert "Lien permanent" in html and "lon=5.4034" in html


def test_address_shows_the_geocoder_match(client):  # noqa: F811
    page = client.get("/verifier", query_string={"address": "8 Boulevard du Port 80000 Amiens"})
    assert page.status_code == 200
    assert "Adresse trouvée" in page.text and "score faible" in page.text
    text = " ".join(page.text.split())
    assert "trouvée au numéro" in text and "numéro non trouvé" not in text


def test_an_address_found_at_the_street_says_so(client):  # noqa: F811
    page = client.get("/verifier", query_string={"address": "Avenue de Saint-Just 13013 Marseille"})
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "trouvée à la voie (son centre)" in text
    assert "numéro non trouvé : le lieu est le centre de la voie" in text
    assert "type street" not in text


@pytest.mark.parametrize(("query", "status", "message"), [
    ("lon=abc&lat=43", 400, "lon doit être un nombre"),
    ("lon=-30&lat=40", 422, "aucun territoire"),
    ("lon=2&lat=46&policy=2030", 400, "politique inconnue"),
    ("address=rue%20imaginaire%20de%20nulle%20part", 400, "introuvable"),
])
def test_errors_are_explained_on_the_page(client, query, status, message):  # noqa: F811
    page = client.get(f"/verifier?{query}")
    assert page.status_code == status
    assert 'role="alert"' in page.text and message in page.text


def test_no_asset_comes_from_another_site(client):  # noqa: F811
    html = client.get("/verifier?lon=5.4034&lat=43.3305").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    for asset in [s for s in sources if s.startswith("/static/")]:
        with client.get(asset) as response:
            assert response.status_code == 200, asset


def test_attestation_is_dated_with_policy_and_data_versions(client):  # noqa: F811
    page = client.get("/verifier/attestation?lon=5.4034&lat=43.3305&policy=ami-2019")
    assert page.status_code == 200
    html = page.text
    assert re.search(r"Établie le \d\d/\d\d/\d{4} à \d\d:\d\d", html)
    assert "« ami-2019 »" in html and "QPV 2015" in html
    assert "qpv2015-occitanie" in html and "sha256:" in html
    assert re.search(r"longitude\s+5\.40340, latitude 43\.33050", html)


def test_attestation_needs_a_location(client):  # noqa: F811
    page = client.get("/verifier/attestation")
    assert page.status_code == 400 and "Attestation impossible" in page.text


def test_verdict_links_to_its_attestation(client):  # noqa: F811
    html = client.get("/verifier?lon=5.4034&lat=43.3305").text
    assert "/verifier/attestation?" in html and "Attestation imprimable" in html


def test_small_map_data_is_in_the_page_and_local(client):  # noqa: F811
    import json

    html = client.get("/verifier?lon=5.4034&lat=43.3305").text
    data = re.search(r'<script type="application/json" id="carte-donnees">(.*?)</script>',
                     html, re.S)
    assert data and 'role="img"' in html and "vendor/leaflet/leaflet.js" in html
    features = json.loads(data.group(1))["features"]
    kinds = {f["properties"]["kind"]: f for f in features}
    assert set(kinds) == {"commune", "band", "qpv", "location"}
    assert "QN01352M" in kinds["qpv"]["properties"]["label"]
    assert kinds["location"]["geometry"]["coordinates"] == [5.4034, 43.3305]
    # the band is the QPV buffered by D in metres: it holds the point, 81.8 m away
    import shapely.geometry

    band = shapely.geometry.shape(kinds["band"]["geometry"])
    assert band.contains(shapely.geometry.Point(5.4034, 43.3305))
    assert not shapely.geometry.shape(kinds["qpv"]["geometry"]).contains(
        shapely.geometry.Point(5.4034, 43.3305))
