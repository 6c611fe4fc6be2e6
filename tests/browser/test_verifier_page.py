"""The checker page in Debian's Chromium (Playwright): type an address, read the verdict.

The app runs on 127.0.0.1 with the real reference layers and the local BAN-speaking server;
any request the page makes outside 127.0.0.1 is blocked and fails the test (no CDN). The
screenshot is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import base64

import pytest

from tests.browser.conftest import follow

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]


def test_instructor_types_an_address_and_reads_the_verdict(live_server, page, shoot):
    page.goto(f"{live_server}/verifier")
    page.get_by_label("Adresse").fill("Avenue de Saint-Just 13013 Marseille")
    follow(page, page.get_by_role("button", name="Vérifier"))

    heading = page.get_by_role("heading", level=2, name="Territoire éligible")
    heading.wait_for()
    assert "en QPV ou à sa proximité immédiate" in heading.inner_text()
    assert "Adresse trouvée" in page.content()
    assert "QN01352M" in page.locator(".fabriques-explanation").inner_text()
    page.locator("#carte[data-ready='true']").wait_for()
    assert page.locator("#carte path").count() >= 3  # commune, band, QPV drawn by Leaflet
    assert page.url.startswith(f"{live_server}/verifier?address=")

    shoot("verifier-adresse")


def test_instructor_chooses_the_location_by_clicking_on_the_map(live_server, page, shoot):
    page.goto(f"{live_server}/verifier")
    chooser = page.locator("#choix-carte[data-ready='true']")
    chooser.wait_for()
    assert page.locator("#choix-carte path").count() >= 90  # the départements drawn
    page.get_by_label("Adresse").fill("une adresse qu'un clic doit effacer")

    target = {"lon": 5.4034, "lat": 43.3305}  # Marseille 13e, near QN01352M
    page.evaluate("""t => document.getElementById('choix-carte').fabriquesMap.fire(
        'click', {latlng: L.latLng(t.lat, t.lon)})""", target)  # France at a glance: zooms in
    assert page.get_by_label("ou longitude").input_value() == ""
    assert "cliquez de nouveau près du lieu" in page.locator("#choix-carte-etat").inner_text()
    page.evaluate("""t => {
        const el = document.getElementById('choix-carte');
        el.removeAttribute('data-ready');
        el.fabriquesMap.setView([t.lat, t.lon], 15, {animate: false});
    }""", target)
    chooser.wait_for()  # communes drawn at this zoom, and the QPV of the rules chosen
    assert page.locator('#choix-carte path[stroke="#000091"]').count() >= 1  # QN01352M
    point = page.evaluate("""t => {
        const p = document.getElementById('choix-carte').fabriquesMap
            .latLngToContainerPoint([t.lat, t.lon]);
        return {x: p.x, y: p.y};
    }""", target)
    page.locator("#choix-carte").click(position=point)

    lon = float(page.get_by_label("ou longitude").input_value())
    lat = float(page.get_by_label("latitude").input_value())
    assert abs(lon - target["lon"]) < 1e-4 and abs(lat - target["lat"]) < 1e-4
    assert page.get_by_label("Adresse").input_value() == ""
    assert "Point choisi" in page.locator("#choix-carte-etat").inner_text()

    follow(page, page.get_by_role("button", name="Vérifier"))
    heading = page.get_by_role("heading", level=2, name="Territoire éligible")
    heading.wait_for()
    assert "QN01352M" in page.locator(".fabriques-explanation").inner_text()
    shoot("verifier-clic-carte")


def test_a_choice_map_that_cannot_load_says_so(live_server, page):
    """The map stayed an empty grey box, its error swallowed (synthetic: the layers refused)."""
    page.route("**/api/v1/couches/**", lambda route: route.abort())
    page.goto(f"{live_server}/verifier")
    status = page.locator("#choix-carte-etat")
    status.filter(has_text="n'a pas pu être chargé").wait_for()
    assert "Les champs longitude et latitude restent utilisables" in status.inner_text()


TILES = {"BASEMAP_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
         "BASEMAP_ATTRIBUTION": "Tuiles de test"}
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQD"
                       "wAEhQGAhKmMIQAAAABJRU5ErkJggg==")  # one pixel: a tile that loads


@pytest.mark.parametrize(("live_config", "served", "drawn"), [
    (TILES, True, "tiles"), (TILES, False, "fallback")], ids=["fond", "fond-injoignable"])
def test_the_choice_map_is_drawn_on_the_basemap_or_on_filled_outlines(live_server, page,
                                                                      served, drawn):
    """A click at a street's scale on blank commune outlines chose nothing one could see:
    the map has the service's basemap; when its tiles fail, the outlines are filled again."""
    if served:
        page.route("http://127.0.0.1:9/**", lambda route: route.fulfill(
            status=200, content_type="image/png", body=PNG))
    page.goto(f"{live_server}/verifier")
    page.locator(f"#choix-carte[data-basemap='{drawn}'][data-ready='true']").wait_for()
    opacities = set(page.locator("#choix-carte path").evaluate_all(
        "paths => paths.map(p => p.getAttribute('fill-opacity'))"))
    assert opacities == ({"0"} if served else {"0.6"})  # départements over the tiles, or filled
    if served:
        attribution = page.locator("#choix-carte .leaflet-control-attribution")
        assert "Tuiles de test" in attribution.inner_text()
