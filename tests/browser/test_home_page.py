"""The home page and the data page in Debian's Chromium, on a laptop (1366×768) and a phone
(390×844): the first screen says what the service is for and shows the way to the first
audiences' pages; /donnees is reached from the menu and speaks French. Screenshots in
``test-artifacts/``."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

SIZES = {"ordinateur": (1366, 768), "telephone": (390, 844)}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_first_screen_says_what_the_service_is_for(live_server, page, shoot, size):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server)
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Fabriques de Territoire\xa0: éligibilité et carte"
    assert heading.is_visible() and heading.bounding_box()["y"] < height
    first = page.locator("#acces-verifier a")
    assert first.get_attribute("href") == "/verifier"
    assert first.bounding_box()["y"] + 20 < height  # the first way in is on the first screen
    shoot(f"accueil-{size}", full_page=False)
    shoot(f"accueil-{size}-entier")


def test_the_data_page_is_reached_from_the_menu(live_server, page, shoot):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(live_server)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Données chargées").click()
    page.wait_for_url(f"{live_server}/donnees")
    text = " ".join(page.locator("main").inner_text().split())
    assert "Fabriques lauréates" in text and " laureates" not in text
    shoot("donnees-ordinateur", full_page=False)
