"""The networks and coverage pages in Debian's Chromium (Playwright), over the real data.

A person looks for a Fabrique, asks for the places within 5 km, and sees the Fabrique, its
places and the lines to them; every count in the table matches the markers drawn. Then the
coverage page, national and for one département. No request leaves 127.0.0.1; the
screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import SCREENS, follow, on_screen
from tests.networks_data import places_engine  # noqa: F401

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]


@pytest.fixture
def live_config(places_engine):  # noqa: F811
    """The live app reads the real places as well as the reference layers."""
    return {"DATABASE_URL": places_engine.url.render_as_string(hide_password=False)}


def number(text: str) -> int:
    return int("".join(text.split()))


def test_a_network_shows_the_fabrique_its_places_and_their_counts(live_server, page, shoot):
    page.goto(f"{live_server}/reseaux")
    page.get_by_label("Chercher une Fabrique").fill("Hublot")
    follow(page, page.get_by_role("button", name="Chercher"))
    page.get_by_role("heading", level=2, name="Le Hublot").wait_for()
    assert page.locator("#fabrique option[value^='fabt-']").count() == 1

    page.locator("label[for='rule-distance']").click()  # DSFR draws the radio in the label
    assert page.get_by_label("Les lieux à moins d'une distance de la Fabrique").is_checked()
    page.get_by_label("Distance (km)").fill("5")
    follow(page, page.get_by_role("button", name="Afficher le réseau"))

    heading = page.get_by_role("heading", level=2, name="Le Hublot — lieux à moins de 5 km")
    heading.wait_for()
    page.locator(".folium-map[data-ready='true']").wait_for()
    counts = {row.get_attribute("data-kind"): number(row.locator("td").inner_text())
              for row in page.locator("#comptes tbody tr").all()}
    total = number(page.locator("#comptes tfoot td").inner_text())
    assert counts and sum(counts.values()) == total
    for kind, count in counts.items():
        assert page.locator(f"#contenu path.fabriques-lieu--{kind}").count() == count, kind
    assert page.locator("#contenu path.fabriques-centre").count() == 1
    assert page.locator("#contenu path.fabriques-lien").count() == total
    assert page.locator("#membres tbody tr").count() == total
    drawn = json.loads(page.locator(".folium-map").get_attribute("data-counts"))
    assert {k: v for k, v in drawn.items() if k != "liens"} == counts
    page.locator("#contenu path.fabriques-centre").hover()
    assert "Le Hublot" in page.locator(".leaflet-tooltip").inner_text()

    shoot("reseaux-hublot-5km")


def test_coverage_by_departement_then_one_departement(live_server, page, shoot):
    page.goto(f"{live_server}/reseaux/couverture?distance_km=20")
    page.locator(".folium-map[data-ready='true']").wait_for()
    rows = page.locator("#departements tbody tr").all()
    with_people_far = sum(1 for row in rows if number(row.locator("td").nth(3).inner_text()))
    assert with_people_far > 50
    assert page.locator("#contenu path.fabriques-departement").count() == with_people_far
    assert page.locator("#contenu path.fabriques-fabrique").count() == 381

    follow(page, page.get_by_role("link", name="15 — Cantal"))
    page.get_by_role("heading", level=2, name="Cantal (15)").wait_for()
    page.locator(".folium-map[data-ready='true']").wait_for()
    listed = page.locator("#communes tbody tr").count()
    cantal = number(page.locator("#departements tr[data-departement='15'] td").nth(2)
                    .inner_text())
    assert listed == cantal > 0
    assert page.locator("#contenu path.fabriques-commune").count() == listed
    assert page.locator("#contenu path.fabriques-rayon").count() > 0

    shoot("reseaux-couverture-cantal")


@pytest.mark.parametrize("screen", SCREENS)
def test_the_coverage_figures_come_on_the_first_screen_before_the_form(live_server, page,
                                                                       shoot, screen):
    """The figures of the default question (communes and people beyond 20 km) start on the
    first screen of a phone as of a laptop; the form to ask another question follows them."""
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server}/reseaux/couverture")
    figures = page.locator("#synthese strong").first
    first_line = figures.bounding_box()
    assert number(figures.inner_text()) > 0
    assert first_line["y"] + first_line["height"] <= SCREENS[screen]["height"]
    assert "à plus de 20 km de toute Fabrique" in page.locator("#synthese").inner_text()
    form = page.locator("#couverture-formulaire").bounding_box()
    assert form["y"] > first_line["y"]
    shoot(f"reseaux-couverture-premier-ecran-{screen}", full_page=False)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_network_asked_for_is_the_first_thing_on_screen(live_server, page, shoot, screen):
    """The page's title, the network's heading and description and the top of its map on
    the first screen, the network focused; the form to ask for another comes after."""
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server}/reseaux?fabrique=fabt-02&rule=distance&distance_km=5")
    page.locator(".folium-map[data-ready='true']").wait_for()
    assert page.evaluate("() => window.scrollY") == 0
    assert page.evaluate("() => document.activeElement.id") == "reseau-resultat"
    assert on_screen(page, "h1") and on_screen(page, "#reseau-titre")
    assert "à moins de 5" in page.locator("#reseau-resultat p").first.inner_text()
    map_top = page.locator(".folium-map").bounding_box()["y"]
    assert map_top < SCREENS[screen]["height"] - 150  # its top, with points, is on screen
    form_top = page.locator("#reseau-formulaire").bounding_box()["y"]
    assert form_top > map_top
    shoot(f"reseaux-premier-ecran-{screen}", full_page=False)

    # The list of layers, open on a computer; on a phone folded behind its button, so that
    # it hides neither the zoom buttons nor the map, and opened from that button (a tap, a
    # pointer over it, or the keyboard, as here).
    control = page.locator(".folium-map .leaflet-control-layers")
    zoom = page.locator(".folium-map .leaflet-control-zoom").bounding_box()
    folded = screen == "telephone"
    assert control.evaluate(EXPANDED) is not folded
    box = control.bounding_box()
    assert box["x"] > zoom["x"] + zoom["width"] or box["y"] > zoom["y"] + zoom["height"]
    if folded:
        assert box["width"] < 60 and box["height"] < 60
        toggle = page.locator(".folium-map .leaflet-control-layers-toggle")
        assert toggle.get_attribute("title") == "Couches de la carte"
        icon = "e => getComputedStyle(e).backgroundSize"  # not the DSFR's underline (0 wide)
        assert toggle.evaluate(icon) == "26px 26px"
        toggle.focus()
        page.keyboard.press("Enter")
        assert control.evaluate(EXPANDED)
        assert page.get_by_label("France services", exact=False).first.is_visible()


EXPANDED = "element => element.classList.contains('leaflet-control-layers-expanded')"


@pytest.mark.parametrize("screen", SCREENS)
def test_a_network_that_cannot_be_shown_says_so_first(live_server, page, screen):
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server}/reseaux?fabrique=fabt-9999&rule=distance&distance_km=5")
    assert page.evaluate("() => document.activeElement.id") == "reseau-resultat"
    assert on_screen(page, "#reseau-resultat")
    assert "Réseau introuvable" in page.locator("#reseau-resultat").inner_text()
