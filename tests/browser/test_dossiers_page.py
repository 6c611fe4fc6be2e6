"""A bulk move of dossiers in Debian's Chromium: an instructor logs in through the real form,
opens the wave's dossiers from the header, ticks two, picks a state, writes the motivation,
reads the confirmation page, confirms, and sees the new states in the table and in a
dossier's history. The app serves its own embedded database (the hand-made wave of
``tests/data/dossiers`` imported, no reference layers); nothing leaves 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.access import create_user
from app.db import EXTENSION
from geodata.geocoder import BanClient
from geodata.storage.database import upgrade
from loaders.dossiers import import_dossiers
from tests.app.conftest import PASSWORD
from tests.browser.conftest import follow, log_in, served
from tests.loaders.test_dossiers_import import WAVE
from tests.support import make_app

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

EMAIL = "instructrice@exemple.gouv.fr"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live_server(tmp_path, data_dir, ban_server):
    app = make_app("", tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url,
                   RATELIMIT="off", SESSION_COOKIE_SECURE=False)
    engine = app.extensions[EXTENSION]
    upgrade(engine)
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(engine, ban, WAVE, data_dir=data_dir, actor="test")
    create_user(engine, EMAIL, PASSWORD, "instructor")
    yield from served(app)


def state_of(page, number: int) -> str:
    """The « État » cell of a dossier's row, found by its column's header."""
    headers = [text.strip() for text in page.locator("#dossiers thead th").all_inner_texts()]
    cells = page.locator(f'#dossiers tr[data-numero="{number}"] > :is(td, th)')
    return cells.nth(headers.index("État")).inner_text()


def test_an_instructor_moves_two_dossiers_with_a_motivation(live_server, page, shoot):
    log_in(page, live_server, EMAIL)
    page.get_by_role("link", name="Dossiers", exact=True).click()
    page.wait_for_url(re.compile(r"/instruction/dossiers$"))
    page.get_by_label("Vague").select_option("2")
    follow(page, page.get_by_role("button", name="Filtrer"))
    assert state_of(page, 1234505) == "Déposé"

    page.get_by_label("Cocher le dossier 1234505").check()
    page.get_by_label("Cocher le dossier 1234506").check()
    page.get_by_label("Nouvel état").select_option("en-instruction")
    page.get_by_label("Motivation").fill("Dossiers complets, instruction ouverte")
    follow(page, page.get_by_role("button", name="Vérifier puis confirmer…"))

    heading = page.locator("h1").inner_text()
    assert "Confirmer\u00a0: 2 dossiers vers «\u00a0En instruction\u00a0»" in heading
    shoot("dossiers-confirmation", full_page=False)
    page.get_by_role("button", name="Confirmer et appliquer").click()

    page.wait_for_url(re.compile(r"/instruction/dossiers\?vague=2"))  # the list as filtered
    status = page.get_by_role("status").inner_text()
    assert "2 dossiers passés à «\u00a0En instruction\u00a0»." in status
    assert state_of(page, 1234505) == state_of(page, 1234506) == "En instruction"
    assert state_of(page, 1234507) == "Déposé"
    shoot("dossiers-vague-2", full_page=False)

    follow(page, page.get_by_role("link", name="1234505", exact=True))
    page.wait_for_selector('#carte[data-ready="true"]')  # the verdict's map is drawn
    history = page.locator("#evenements").inner_text()
    assert "Déposé → En instruction" in history and EMAIL in history
    assert "Dossiers complets, instruction ouverte" in history


def test_on_a_phone_the_filters_fold_away_under_filtres_et_tri(live_server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, EMAIL)
    page.goto(f"{live_server}/instruction/dossiers?vague=2")
    state = page.get_by_label("État", exact=True)
    assert page.get_by_label("Vague").is_visible() and not state.is_visible()
    assert page.locator("#dossiers").bounding_box()["y"] < 844  # the table on the first screen
    page.get_by_text("Filtres et tri").click()
    assert state.is_visible()
    page.set_viewport_size({"width": 1366, "height": 768})
    assert page.get_by_label("Type", exact=True).is_visible()  # unfolded stays unfolded


def test_on_a_desktop_the_first_screen_shows_dossiers_not_filters(live_server, page):
    """At 1366x768 the eight filters, all unfolded, pushed the table's first row below the
    first screen (a prefecture with three dossiers saw none)."""
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, EMAIL)
    page.goto(f"{live_server}/instruction/dossiers?vague=2")
    first_row = page.locator("#dossiers tbody tr").first.bounding_box()
    assert first_row["y"] + first_row["height"] < 768
    assert not page.get_by_label("État", exact=True).is_visible()
    page.get_by_text("Filtres et tri").click()
    assert page.get_by_label("État", exact=True).is_visible()
    page.goto(f"{live_server}/instruction/dossiers?vague=2&etat=depose")  # a filter chosen
    assert page.get_by_label("État", exact=True).is_visible()
    assert "Filtres et tri (1 choisi)" in page.locator(".fabriques-filtres__libelle").inner_text()


def test_the_guide_says_the_filters_fold_on_every_screen():
    """docs/instruction.md said the filters fold away « Sur un téléphone »: they fold on
    every screen (the test above at 1366x768), as a person reading the guide should expect."""
    guide = " ".join((ROOT / "docs" / "instruction.md").read_text(encoding="utf-8").split())
    sentence = next(part for part in guide.split(". ") if "« Filtres et tri »" in part)
    assert "Sur un téléphone" not in sentence and "Sur tout écran" in sentence


def test_on_a_phone_a_dossiers_checks_are_stacked_to_be_read(live_server, page, shoot):
    """The « Motif » column was 150 px wide on a phone: the territory's explanation ran
    over a whole screen of single words. Each check is stacked, its motif the screen's
    width; a desktop keeps the three columns."""
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, EMAIL)
    page.goto(f"{live_server}/instruction/dossiers/1234505")
    motif = page.locator("#verifications tbody tr:first-child td").last
    assert motif.bounding_box()["width"] >= 300
    named = motif.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert named.startswith('"Motif')  # each part named: the header row is not seen
    shoot("dossier-verifications-telephone", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 768})
    cells = page.locator("#verifications tbody tr:first-child > *").all()
    boxes = [cell.bounding_box() for cell in cells]
    assert len({round(box["y"]) for box in boxes}) == 1  # one row, three columns
    assert boxes[-1]["width"] >= 600
