"""The ministry's quota dashboard in Debian's Chromium (Playwright): log in through the real
form, read the charts (inline SVG, visible) and their tables, change the grouping, then
simulate a wave and watch the counts move when a candidate is unticked.

The live server runs over the session's ``reference_engine`` (the real laureates). The
ministry and instructor accounts and the instructor's three kept checks (real places, in a
wave of a unique name) are created there for the test and removed afterwards. Nothing is
requested outside 127.0.0.1; the screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete

from app.access import create_user
from geodata.checks import check_point
from geodata.storage.history import record_check
from geodata.storage.models import CheckRecord, User
from tests.app.conftest import PASSWORD

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

PLACES = (("TDB-1", "Fabrique du Grand Saint-Barthélémy", 5.4034, 43.3305, True),
          ("TDB-2", "Fabrique des Alpes", 6.10, 44.55, False),
          ("TDB-3", "Fabrique de Paris", 2.35, 48.85, None))


@pytest.fixture
def live_config() -> dict:
    return {"SESSION_COOKIE_SECURE": False}  # the live server speaks plain http


@pytest.fixture
def accounts(reference_engine):
    """A ministry account, and an instructor's checks of a new wave; removed afterwards."""
    tag = uuid.uuid4().hex[:8]
    ministry = create_user(reference_engine, f"ministere-{tag}@exemple.gouv.fr", PASSWORD,
                           "ministry")
    instructor = create_user(reference_engine, f"instruction-{tag}@exemple.gouv.fr", PASSWORD,
                             "instructor")
    wave = f"essai-{tag}"
    checks = {}
    try:
        for reference, name, lon, lat, fnt in PLACES:
            check = check_point(reference_engine, "current", lon, lat)
            checks[reference] = (record_check(
                reference_engine, instructor.id, check, "current", f"{lon}, {lat}",
                {"dossier_ref": reference, "project_name": name, "wave": wave, "fnt": fnt,
                 "funding_eur": 100000}), check.verdict.row["category"])
        yield {"email": ministry.email, "wave": wave, "checks": checks}
    finally:
        with reference_engine.begin() as connection:
            connection.execute(delete(CheckRecord).where(CheckRecord.user_id == instructor.id))
            connection.execute(delete(User).where(User.id.in_([ministry.id, instructor.id])))


def log_in(page, live_server: str, email: str, path: str) -> None:
    """Open a dashboard page, get sent to the login form, fill it, come back."""
    page.goto(f"{live_server}{path}")
    assert "/connexion?next=" in page.url
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server}{path}")


def count(page, category: str, when: str) -> int:
    return int(page.locator(f"#tableau-simulation tr[data-category='{category}']")
               .get_attribute(f"data-{when}"))


def test_the_ministry_reads_its_charts_and_tables(live_server, page, accounts, shoot):
    log_in(page, live_server, accounts["email"], "/tableau-de-bord")
    chart = page.locator("svg#graphique-ensemble")
    assert chart.is_visible() and chart.get_attribute("role") == "img"
    box = chart.bounding_box()
    assert box["width"] > 400 and box["height"] > 150
    bars = chart.locator("rect.bar")
    assert bars.count() == 6
    lines = chart.locator("line.target")
    assert lines.count() == 4  # a vertical line has no width: Playwright never calls it visible
    assert all(lines.nth(n).bounding_box()["height"] > 20 for n in range(4))
    assert page.get_by_role("img", name="Fabriques par catégorie face aux cibles").is_visible()
    shown = {row.get_attribute("data-category"): int(row.get_attribute("data-count"))
             for row in page.locator("#tableau-ensemble tbody tr").all()}
    drawn = {bar.locator("..").get_attribute("data-category"): int(bar.get_attribute(
        "data-value")) for bar in bars.all()}
    assert drawn == shown and shown["total"] > 300
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


def test_unticking_a_candidate_moves_the_counts(live_server, page, accounts, shoot):
    wave = accounts["wave"]
    log_in(page, live_server, accounts["email"],
           f"/tableau-de-bord/simulation?policy=current&wave={wave}")
    summary = page.locator("#selection-resume")
    assert summary.locator("strong").inner_text() == "3"
    total_before = count(page, "total", "before")
    assert count(page, "total", "after") == total_before + 3
    chart = page.locator("svg#graphique-simulation")
    assert chart.is_visible() and chart.locator("rect.bar").count() == 12

    check_id, category = accounts["checks"]["TDB-2"]
    before = {kind: count(page, kind, "after") for kind in (category, "total")}
    box = page.get_by_label("TDB-2 — Fabrique des Alpes")
    assert box.is_checked()
    page.locator(f"label[for='candidat-{check_id}']").click()  # the DSFR box is its label
    assert not box.is_checked()
    page.get_by_role("button", name="Simuler avec la sélection").click()
    page.wait_for_load_state()
    assert summary.locator("strong").inner_text() == "2"
    assert count(page, "total", "after") == before["total"] - 1
    assert count(page, category, "after") == before[category] - 1
    assert count(page, "total", "before") == total_before
    assert not page.get_by_label("TDB-2 — Fabrique des Alpes").is_checked()
    assert page.get_by_label("TDB-1 — Fabrique du Grand Saint-Barthélémy").is_checked()
    after_bar = chart.locator(f"g.row[data-category='{category}'] rect[data-series='après']")
    assert int(after_bar.get_attribute("data-value")) == before[category] - 1

    shoot("tableau-de-bord-simulation")
