"""The public map in Debian's Chromium: markers, filters that drive markers and list alike,
layers toggled from the map's control, state kept in the URL, nothing fetched elsewhere.

The page runs on the real reference layers; screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

READY = '.folium-map[data-ready="true"]'
SHOWN_ROWS = "#carte-liste tbody tr:not([hidden])"


def open_map(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(READY, timeout=120_000)


def markers_on_map(page) -> int:
    return page.evaluate("window.fabriquesMaps.carte.objects.cluster.getLayers().length")


def paths(page, layer: str) -> int:
    return page.locator(f".leaflet-fabriques-{layer}-pane path").count()


def query(page) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query,
                                                      keep_blank_values=True).items()}


def test_markers_filters_list_and_layers_agree(live_server, page, shoot):
    open_map(page, f"{live_server}/carte")
    located = page.locator("#carte-liste .carte-voir").count()
    assert located > 300
    assert markers_on_map(page) == located
    assert page.locator(".leaflet-marker-icon").count() > 0  # clusters and markers drawn
    assert paths(page, "departements") > 90 and paths(page, "qpv") > 0

    page.select_option("#region", "93")
    page.select_option("#categorie", "a-verifier")
    shown = page.locator(SHOWN_ROWS)
    count = shown.count()
    assert 0 < count < located
    regions = shown.evaluate_all("rows => rows.map(r => r.dataset.region + r.dataset.category)")
    assert set(regions) == {"93a-verifier"}
    assert markers_on_map(page) == page.locator(f"{SHOWN_ROWS} .carte-voir").count()
    assert page.locator("#carte-compte strong").inner_text() == str(count)
    state = query(page)
    assert state["region"] == "93" and state["categorie"] == "a-verifier"
    csv_link = page.locator("#carte-csv").get_attribute("href")
    assert "region=93" in csv_link and "category=a-verifier" in csv_link

    page.select_option("#categorie", "")
    assert page.locator(SHOWN_ROWS).count() > count
    assert markers_on_map(page) == page.locator(f"{SHOWN_ROWS} .carte-voir").count()

    control = page.locator(".leaflet-control-layers")
    assert paths(page, "metropoles") == 0
    control.get_by_text("Métropoles").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-fabriques-metropoles-pane path').length > 0")
    assert "metropoles" in query(page)["couches"].split(",")
    shoot("carte-metropoles")
    control.get_by_text("Métropoles").click()
    assert paths(page, "metropoles") == 0
    assert "metropoles" not in query(page)["couches"].split(",")

    control.get_by_text("Grille communale de densité").click()
    page.wait_for_function("() => document.getElementById('carte-etat-couches').textContent"
                           ".includes('Zoomez pour afficher la grille de densité')")
    assert paths(page, "densite") == 0
    shoot("carte")
    # Leaflet's words in French; a marker's letter centred (leaflet.css made it a block)
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom avant"
    page.evaluate("""() => { const c = window.fabriquesMaps.carte.objects.cluster;
                             c.zoomToShowLayer(c.getLayers()[0]); }""")
    marker = page.locator(".leaflet-marker-icon.fabriques-marqueur").first
    marker.wait_for(state="attached")
    assert marker.evaluate("e => getComputedStyle(e).display") == "flex"


def test_the_count_keeps_the_unplaced_fabriques_when_the_script_rewrites_it(live_server,
                                                                             page):
    """The script rewrote « … (1 sans position connue, absente de la carte) » as « 382
    Fabriques sur 382. »: Saint-Martin (fabt-364), listed, was no longer said absent."""
    open_map(page, f"{live_server}/carte")
    count = page.locator("#carte-compte")
    unplaced = page.locator("#carte-liste tbody tr:not(:has(.carte-voir))")
    assert unplaced.count() == 1
    region = unplaced.get_attribute("data-region")
    page.select_option("#region", region)
    assert "(1 sans position connue, absente de la carte)." in count.inner_text()
    page.select_option("#region", "93")
    assert "sans position" not in count.inner_text()
    page.select_option("#region", "")
    total = page.locator("#carte-liste tbody tr").count()
    assert count.inner_text() == (f"{total} Fabriques sur {total} "
                                  "(1 sans position connue, absente de la carte).")


def test_the_url_brings_back_view_filters_and_layers(live_server, page, shoot):
    open_map(page, f"{live_server}/carte?z=10&lat=43.30&lon=5.40&region=93&qpv=2024"
                   "&couches=metropoles,densite")
    assert page.evaluate("window.fabriquesMaps.carte.map.getZoom()") == 10
    assert page.locator("#region").input_value() == "93"
    assert paths(page, "metropoles") > 0 and paths(page, "densite") > 100
    assert paths(page, "qpv") == 0  # not in the URL's layers
    assert set(page.locator(SHOWN_ROWS).evaluate_all(
        "rows => rows.map(r => r.dataset.region)")) == {"93"}

    first = page.locator(f"{SHOWN_ROWS} .carte-voir").first
    name = first.inner_text()
    first.click()
    page.wait_for_selector(".leaflet-popup-content")
    assert name in page.locator(".leaflet-popup-content").inner_text()
    page.wait_for_load_state("networkidle")  # the layers of the new view
    shoot("carte-marseille", full_page=False)
    # the keyboard is in the bubble (it stayed on the button, scrolled out of view), and
    # Escape brings it back to the button, the bubble closed
    inside = "() => !!document.activeElement.closest('.leaflet-popup')"
    page.wait_for_function(inside)
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")  # it fades out in 200 ms
    assert page.evaluate("document.activeElement.classList.contains('carte-voir')")


UNREACHABLE_TILES = {"BASEMAP_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
                     "BASEMAP_ATTRIBUTION": "tuiles injoignables"}


def zoom_to(page, lat: float, lon: float, zoom: int) -> None:
    page.evaluate("([lat, lon, zoom]) => window.fabriquesMaps.carte.map.setView("
                  "[lat, lon], zoom, {animate: false})", [lat, lon, zoom])


@pytest.mark.parametrize(("live_config", "drawn"), [({}, "outlines"),
                                                    (UNREACHABLE_TILES, "fallback")],
                         ids=["sans-fond", "fond-injoignable"])
def test_communes_are_outlined_when_zoomed_in(live_server, page, shoot, drawn):
    """Without tiles (none set, or none reachable), the map draws the départements, and the
    communes from the zoom the checker's choice map draws them at (same layer, same API)."""
    open_map(page, f"{live_server}/carte")
    page.wait_for_selector(f'.folium-map[data-basemap="{drawn}"]')
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-fabriques-departements-pane path').length > 90")
    assert paths(page, "communes") == 0  # France at a glance: no commune yet
    assert page.locator("#carte-etat-couches").inner_text() == ""  # a background, no notice
    assert "Communes" not in page.locator(".leaflet-control-layers").inner_text()

    zoom_to(page, 43.3305, 5.4034, 12)  # Marseille, 13e arrondissement
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-fabriques-communes-pane path').length > 3")
    codes = page.evaluate("window.fabriquesMaps.carte.layers.communes.toGeoJSON().features"
                          ".map(f => f.properties.code)")
    assert {"13055", "13002"} <= set(codes)  # Marseille and Allauch, its neighbour
    assert paths(page, "departements") > 0  # still under them
    assert "communes" not in query(page)["couches"].split(",")  # no choice of the visitor
    shoot(f"carte-communes-{drawn}", full_page=False)

    zoom_to(page, 43.3305, 5.4034, 7)
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-fabriques-communes-pane path').length === 0")
    assert page.locator("#carte-etat-couches").inner_text() == ""
    assert page.outside_requests == []


@pytest.mark.parametrize(("answer", "said"), [
    ("abort", "le serveur ne répond pas (connexion coupée ?)"),
    ("busy", "le serveur a répondu autre chose que la couche (503)"),
])
def test_a_layer_that_fails_is_said_in_french(live_server, page, answer, said):
    """A failed layer showed the browser's « Failed to fetch », or « Unexpected token 'b',
    "busy" is not valid JSON » for a proxy's page (synthetic failures of the layer route)."""
    def fail(route):
        if answer == "abort":
            route.abort()
        else:
            route.fulfill(status=503, body="busy", content_type="text/plain")

    page.route("**/api/v1/couches/qpv?*", fail)
    page.goto(f"{live_server}/carte")
    page.wait_for_selector('.folium-map[data-ready="error"]', timeout=120_000)
    state = page.locator("#carte-etat-couches").inner_text()
    assert f"Couche indisponible\u00a0: {said}. Elle sera redemandée" in state
    assert "Failed to fetch" not in state and "JSON" not in state


def test_groups_are_named_and_only_what_is_in_view_takes_the_focus(live_server, page):
    """A group said only « 12 » to a screen reader; Tab went to markers a screen away from
    the view (Leaflet.markercluster keeps them drawn there)."""
    open_map(page, f"{live_server}/carte?z=11&lat=43.3&lon=5.4")  # Marseille: groups around
    page.wait_for_function("document.querySelectorAll('.leaflet-marker-icon[tabindex]')"
                           ".length > 0")
    group = page.locator(".marker-cluster").first
    seen = group.evaluate("""icon => Array.from(icon.querySelectorAll('span')).filter(
        span => getComputedStyle(span).clip === 'auto' && span.getBoundingClientRect().width > 1)
        .map(span => Array.from(span.childNodes).filter(n => n.nodeType === 3)
             .map(n => n.textContent).join('')).join('')""")
    assert seen.strip().isdigit()  # what the eye sees: the number alone
    name = " ".join(group.text_content().split())
    assert name.startswith("Groupe de ") and name.endswith(" Fabriques : zoomer pour les voir")
    icons = page.evaluate("""() => {
        const box = document.querySelector('.folium-map').getBoundingClientRect();
        return Array.from(document.querySelectorAll('.leaflet-marker-pane > *')).map(icon => {
            const at = icon.getBoundingClientRect();
            return {tabindex: icon.getAttribute('tabindex'),
                    seen: at.right > box.left && at.left < box.right
                          && at.bottom > box.top && at.top < box.bottom};
        });
    }""")
    assert {icon["tabindex"] for icon in icons if icon["seen"]} == {"0"}
    unseen = [icon for icon in icons if not icon["seen"]]
    assert unseen and {icon["tabindex"] for icon in unseen} == {"-1"}
