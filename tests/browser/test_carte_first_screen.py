"""/carte at first sight, in Debian's Chromium, on a laptop (1366×768) and a phone (390×844):
the map above the fold, the search and its nearest Fabriques, the list's pages followed
without reloading; screenshots of the first screen kept in ``test-artifacts/``.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import on_screen

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

READY = '.folium-map[data-ready="true"]'
SCREENS = {"bureau": (1366, 768), "telephone": (390, 844)}
EXPANDED = "element => element.classList.contains('leaflet-control-layers-expanded')"


@pytest.mark.parametrize("screen", SCREENS)
def test_the_map_is_above_the_fold(live_server, page, shoot, screen):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server}/carte")
    page.wait_for_selector(READY, timeout=120_000)
    box = page.locator(".folium-map").bounding_box()
    assert page.locator(".folium-map").is_visible()
    assert box["y"] < height - 200 and box["height"] >= 280  # most of it in the first screen
    assert page.locator(".folium-map").get_attribute("data-basemap") == "outlines"
    assert not page.locator(".carte-notice details").get_attribute("open")
    assert not page.locator(".carte-avancees").get_attribute("open")
    assert not page.locator("#politique").is_visible()
    # the list of layers: open on a computer; on a phone folded behind its named button (it
    # covered the top right of the map, 217 × 77 px of 358)
    control = page.locator(".folium-map .leaflet-control-layers")
    folded = screen == "telephone"
    assert control.evaluate(EXPANDED) is not folded
    toggle = page.locator(".folium-map .leaflet-control-layers-toggle")
    assert toggle.get_attribute("aria-label") == "Couches de la carte"
    if folded:
        assert control.bounding_box()["width"] < 60
        assert toggle.evaluate("e => getComputedStyle(e).backgroundSize") == "26px 26px"
    shoot(f"carte-premier-ecran-{screen}", full_page=False)


@pytest.mark.parametrize("width", [390, 320])
def test_the_advanced_options_fit_a_phone(live_server, page, width):
    """Opened, their two selects went 32 px past the screen: the page scrolled sideways."""
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{live_server}/carte")
    page.wait_for_selector(READY, timeout=120_000)
    page.click(".carte-avancees summary")
    assert page.locator("#politique").is_visible() and page.locator("#qpv").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for field in ("#politique", "#qpv"):
        box = page.locator(field).bounding_box()
        assert box["x"] + box["width"] <= width
    # other rules: said, applied by the form's button (a keyboard's arrow key reloaded the
    # page at once, its focus lost: WCAG 3.2.2)
    page.evaluate("window.carteLoaded = true")
    page.select_option("#politique", "ami-2019")
    assert page.evaluate("window.carteLoaded") is True
    assert "Appliquer les filtres" in page.locator("#carte-politique-note").inner_text()
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url("**politique=ami-2019**")
    page.wait_for_selector(READY, timeout=120_000)
    assert page.locator("#politique").input_value() == "ami-2019"


def test_the_territory_buttons_follow_the_map_in_tab_order(live_server, page):
    """« Aller à » moves the map: after the map's own controls, Tab reaches it, before the
    search and the filters (it came after the filters' button)."""
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/carte")
    page.wait_for_selector(READY, timeout=120_000)
    page.focus(".leaflet-control-layers-selector >> nth=-1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "France métropolitaine"
    page.focus("#recherche")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Saint-Martin"


def test_search_shows_the_nearest_fabriques(live_server, page, shoot):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/carte")
    page.wait_for_selector(READY, timeout=120_000)
    page.fill("#recherche", "15000")  # Aurillac's postal code, and Ytrac's
    page.get_by_role("button", name="Chercher").click()
    page.wait_for_selector("#carte-recherche-choix")
    assert page.evaluate("document.activeElement.id") == "carte-recherche-choix"
    page.get_by_role("link", name="Aurillac (15014), Cantal (15)").click()
    page.wait_for_selector("#carte-proches li")
    page.wait_for_selector(READY, timeout=120_000)
    items = page.locator("#carte-proches li")
    assert items.count() == 5
    assert "Vic-sur-Cère" in items.first.inner_text() and "km" in items.first.inner_text()
    assert "recherche=Aurillac+%2815014%29" in page.url
    assert page.locator(".fabriques-lieu-cherche").count() == 1
    assert page.evaluate("window.fabriquesMaps.carte.map.getZoom()") >= 8
    shoot("carte-recherche", full_page=False)


def test_a_search_takes_the_focus_to_its_answer(live_server, page):
    """After the search's reload, the focus was on <body>, the title unchanged and, on a
    phone, the list below the map, off the screen; an error was not tied to its field."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/carte?recherche=15014&action=chercher")
    page.wait_for_selector(READY, timeout=120_000)
    assert page.evaluate("document.activeElement.id") == "proches-titre"
    assert on_screen(page, "#proches-titre")
    assert page.title().startswith("Fabriques les plus proches d")  # de, d', du
    page.goto(f"{live_server}/carte?recherche=zzzzqqq&action=chercher")
    page.wait_for_selector(READY, timeout=120_000)
    assert page.evaluate("document.activeElement.id") == "recherche"
    assert page.locator("#recherche").get_attribute("aria-invalid") == "true"
    assert page.title().startswith("Erreur dans la recherche")


def test_the_list_pages_without_reloading(live_server, page, shoot):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/carte")
    page.wait_for_selector(READY, timeout=120_000)
    shown = page.locator("#carte-liste tbody tr:not([hidden])")
    assert shown.count() == 50
    first = shown.first.get_attribute("data-id")
    page.evaluate("window.carteLoaded = true")
    page.locator('#carte-pages a[data-page="2"]').first.click()
    assert page.evaluate("window.carteLoaded") is True  # same page: no reload
    assert shown.count() == 50 and shown.first.get_attribute("data-id") != first
    assert "page=2" in page.url
    # the link followed is rebuilt: the focus fell to <body>; it goes to where the page begins
    assert page.evaluate("document.activeElement.id") == "liste-titre"
    assert page.locator("#carte-page-etat").get_attribute("role") == "status"
    page.focus('#carte-pages a[data-page="3"]')
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "liste-titre"
    assert "Page 3 sur" in page.locator("#carte-page-etat").inner_text()
    page.select_option("#region", "84")
    assert shown.count() == 48 and "page=" not in page.url
    assert page.locator("#carte-pages a[data-page]").count() == 1
    height = page.evaluate("document.body.scrollHeight")
    assert height < 20_000, height
    shoot("carte-liste-telephone")


def test_a_bubble_opened_from_the_list_fits_a_phone_s_map(live_server, page, shoot):
    """Opened from the list on a phone, a Fabrique's bubble ran past the map's right edge,
    its close button off the screen: it is no wider than the map leaves it."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/carte")
    page.wait_for_selector(READY, timeout=120_000)
    page.locator("#carte-liste .carte-voir").first.click()
    bubble = page.locator(".leaflet-popup")
    bubble.wait_for(state="visible")
    page.wait_for_timeout(500)  # the pan that brings it into view
    shown, frame = bubble.bounding_box(), page.locator(".folium-map").bounding_box()
    shoot("carte-bulle-telephone")
    assert shown["x"] >= frame["x"] and shown["x"] + shown["width"] <= frame["x"] + frame["width"]
    close = page.locator(".leaflet-popup-close-button").bounding_box()
    assert close["x"] + close["width"] <= frame["x"] + frame["width"]
