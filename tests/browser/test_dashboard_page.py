"""The ministry's quota dashboard in Debian's Chromium (Playwright): log in through the real
form, see the targets' ranges on the first screen (desktop and phone), read the chart
(inline SVG, visible: each range a solid then dotted bar) and its table, change the grouping.

The live server runs over the session's ``reference_engine`` (the real published laureates).
The ministry account is created there for the test and removed afterwards. Nothing is
requested outside 127.0.0.1; the screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete

from app.access import create_user
from geodata.storage.models import User
from tests.app.conftest import PASSWORD

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]


@pytest.fixture
def live_config() -> dict:
    return {"SESSION_COOKIE_SECURE": False}  # the live server speaks plain http


@pytest.fixture
def accounts(reference_engine):
    """A ministry account; removed afterwards."""
    ministry = create_user(reference_engine, f"ministere-{uuid.uuid4().hex[:8]}@exemple.gouv.fr",
                           PASSWORD, "ministry")
    try:
        yield {"email": ministry.email}
    finally:
        with reference_engine.begin() as connection:
            connection.execute(delete(User).where(User.id == ministry.id))


def log_in(page, live_server: str, email: str, path: str) -> None:
    """Open a dashboard page, get sent to the login form, fill it, come back."""
    page.goto(f"{live_server}{path}")
    assert "/connexion?next=" in page.url
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server}{path}")


def test_the_targets_are_on_the_first_screen(live_server, page, accounts, shoot):
    log_in(page, live_server, accounts["email"], "/tableau-de-bord")
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        items = page.locator(".fabriques-headline__item")
        assert items.count() == 4
        for n in range(4):
            box = items.nth(n).bounding_box()
            assert box["y"] + box["height"] <= height, (width, n)
        qpv = page.locator(".fabriques-headline__item[data-category='qpv']")
        low, high = int(qpv.get_attribute("data-min")), int(qpv.get_attribute("data-max"))
        assert high > low  # the published list leaves laureates to check: a range
        assert f"de {low} à {high} sur 150" in " ".join(qpv.inner_text().split())
        shoot(f"tableau-de-bord-{width}x{height}")


def test_the_ministry_reads_its_charts_and_tables(live_server, page, accounts, shoot):
    log_in(page, live_server, accounts["email"], "/tableau-de-bord")
    chart = page.locator("svg#graphique-ensemble")
    assert chart.is_visible() and chart.get_attribute("role") == "img"
    box = chart.bounding_box()
    assert box["width"] > 400 and box["height"] > 150
    bars = chart.locator("rect.bar")
    assert bars.count() == 6
    assert chart.locator("rect.bar-possible").count() >= 3  # QPV, outside, not eligible
    lines = chart.locator("line.target")
    assert lines.count() == 4  # a vertical line has no width: Playwright never calls it visible
    assert all(lines.nth(n).bounding_box()["height"] > 20 for n in range(4))
    assert page.get_by_role("img", name="Fabriques par catégorie face aux cibles").is_visible()
    shown = {row.get_attribute("data-category"): (int(row.get_attribute("data-min")),
                                                  int(row.get_attribute("data-max")))
             for row in page.locator("#tableau-ensemble tbody tr").all()}
    drawn = {bar.locator("..").get_attribute("data-category"): (
        int(bar.get_attribute("data-value")), int(bar.get_attribute("data-max")))
        for bar in bars.all()}
    assert drawn == shown and shown["total"][0] > 300
    page.set_viewport_size({"width": 1366, "height": 768})  # its last column was cut off
    table, frame = page.evaluate("""() => {const t = document.querySelector('#tableau-ensemble');
        return [t.scrollWidth, t.closest('.fr-table').clientWidth];}""")
    assert table <= frame, (table, frame)
    shoot("tableau-de-bord")

    page.get_by_label("Regroupement").select_option("region")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**by=region**")
    group_charts = page.locator("svg[id^='graphique-groupe-']")
    regions = page.locator("#tableau-groupes tbody tr")
    assert group_charts.count() == regions.count() > 10
    assert group_charts.first.is_visible()
    assert "Provence-Alpes-Côte d'Azur" in page.locator("#tableau-groupes").inner_text()
    shoot("tableau-de-bord-regions")


@pytest.mark.parametrize("by", ["wave", "region"])
def test_a_grouped_dashboard_is_no_wider_than_a_phone(live_server, page, accounts, by):
    """The groups' charts sat in columns of at least 34rem: 560 px on a 390 px phone."""
    log_in(page, live_server, accounts["email"], "/tableau-de-bord")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/tableau-de-bord?by={by}")
    assert page.locator(".fabriques-chart-group").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_export_takes_the_choices_on_screen(live_server, page, accounts):
    """Chosen, not yet « Afficher »: the export was the rules and grouping shown before."""
    log_in(page, live_server, accounts["email"], "/tableau-de-bord")
    page.get_by_label("Règles appliquées").select_option("ami-2019")
    page.get_by_label("Regroupement").select_option("wave")
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter le tableau en CSV (tableur)").click()
    assert info.value.suggested_filename == "quotas-ami-2019-par-vague.csv"
    assert page.url == f"{live_server}/tableau-de-bord"  # the page stays as it was
