"""The networks and coverage pages in Debian's Chromium (Playwright), over the real data.

A person looks for a Fabrique, asks for the places within 5 km, and sees the Fabrique, its
places and the lines to them; every count in the table matches the markers drawn. Then the
coverage page, national and for one département. No request leaves 127.0.0.1; the
screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import follow
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
