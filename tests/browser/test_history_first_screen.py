"""The history of checks, filtered, as the ministry first sees it in Debian's Chromium, on a
laptop (1366×768) and on a phone (390×844).

Filtered (here by category and author), the page opens at its list (``#verifications``):
the first screen says which filters are applied and how many checks they keep, offers to
clear them, and shows the table's header and its first rows; the filter form above keeps
the values chosen.

The app serves its own embedded database: the real PACA QPV 2024 outlines, two instructors
and 70 checks kept by them, a minute apart, in four categories and two waves. Screenshots
in ``test-artifacts/``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.access import create_user
from app.db import EXTENSION
from geodata.checks import check_point
from geodata.policy import CATEGORIES
from geodata.storage.database import upgrade
from geodata.storage.history import record_check
from geodata.storage.models import CheckRecord
from loaders.pipeline import load_source
from tests.app.conftest import PASSWORD
from tests.browser.conftest import SCREENS, follow, log_in, on_screen, served
from tests.support import make_app

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

LON, LAT = 5.4034, 43.3305  # 82 m from the QPV QN01352M « Grand Saint Barthélémy »
MINISTRY = "ministere@exemple.gouv.fr"
ORDER = list(CATEGORIES)  # the categories, in turn
FIRST = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def history_server(tmp_path, data_dir, ban_server):
    """The app on an embedded database holding 70 checks by Ana Ferré and Bob Martin."""
    app = make_app("", tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url,
                   RATELIMIT="off", SESSION_COOKIE_SECURE=False)
    engine = app.extensions[EXTENSION]
    upgrade(engine)
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    ana = create_user(engine, "ana@anct.gouv.fr", PASSWORD, "instructor", name="Ana Ferré")
    bob = create_user(engine, "bob@anct.gouv.fr", PASSWORD, "instructor", name="Bob Martin")
    create_user(engine, MINISTRY, PASSWORD, "ministry")
    check = check_point(engine, "current", LON, LAT)
    for n in range(70):
        owner = ana if n % 2 else bob
        number = record_check(engine, owner.id, check, "current", f"{LON}, {LAT}", {
            "dossier_ref": f"FT-2025-{n:04d}", "project_name": f"Projet numéro {n}",
            "wave": "5" if n < 40 else "6", "fnt": n % 3 == 0, "funding_eur": 50_000 + n})
        with engine.begin() as connection:
            connection.execute(update(CheckRecord).where(CheckRecord.id == number).values(
                checked_at=FIRST + timedelta(minutes=n), category=ORDER[n // 2 % 4]))
    yield from served(app)


def off_screen(page, selectors: list[str]) -> list[str]:
    """Those of ``selectors`` not whole in the viewport as it is scrolled."""
    return [selector for selector in selectors if not on_screen(page, selector)]


@pytest.mark.parametrize("screen", SCREENS)
def test_a_filtered_history_shows_its_filters_and_first_rows(history_server, page, shoot,
                                                             screen):
    log_in(page, history_server, MINISTRY)
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{history_server}/instruction/historique")
    assert page.locator("#verifications tbody tr").count() == 50  # a page of 70

    page.get_by_label("Catégorie").select_option("qpv")
    page.get_by_label("Auteur").select_option(label="Ana Ferré (ana@anct.gouv.fr)")
    follow(page, page.get_by_role("button", name="Filtrer"))

    # what the filters kept: Ana's checks (odd n) in the first category (n // 2 % 4 == 0)
    kept = [n for n in range(70) if n % 2 and n // 2 % 4 == 0][::-1]  # newest first
    rows = page.locator("#verifications tbody tr")
    assert rows.count() == len(kept) == 9
    assert rows.locator("td:nth-child(3)").all_inner_texts() == [
        f"FT-2025-{n:04d}" for n in kept]
    assert set(rows.locator("td:nth-child(2)").evaluate_all(
        "cells => cells.map(c => c.innerText.split('\\n')[0])")) == {"Ana Ferré"}
    assert set(rows.locator(".fabriques-category").evaluate_all(
        "marks => marks.map(m => m.dataset.category)")) == {"qpv"}
    assert page.locator("#categorie").input_value() == "qpv"  # the form keeps the choice
    filters = " ".join(page.locator("#filtres-actifs").inner_text().split())
    assert f"Catégorie : {CATEGORIES['qpv']}" in filters and "Auteur : Ana Ferré" in filters
    assert "9 vérifications" in page.locator("#verifications-titre").inner_text()

    assert off_screen(page, ["#verifications-titre", "#filtres-actifs",
                             "#effacer-filtres", "#verifications thead",
                             "#verifications tbody tr:nth-child(1)",
                             "#verifications tbody tr:nth-child(2)"]) == []
    shoot(f"historique-filtre-{screen}", full_page=False)

    follow(page, page.locator("#effacer-filtres"))
    assert page.locator("#verifications tbody tr").count() == 50
    assert page.locator("#filtres-actifs").count() == 0
    assert page.locator("#categorie").input_value() == ""
    page.wait_for_load_state("networkidle")  # its last requests served before the end
    assert page.outside_requests == []
