"""A jury session in Debian's Chromium: an instructor opens the wave's jury from the header,
ticks two dossiers and sees the quotas "after the selection" move, decides with a
motivation, confirms on the page that shows the quotas the decision makes, then closes the
session with the members present. The app serves its own embedded database (the hand-made
wave of ``tests/data/dossiers``, the real outlines of the Bouches-du-Rhône communes);
nothing leaves 127.0.0.1."""

from __future__ import annotations

import re

import pytest

from app.access import create_user
from app.db import EXTENSION
from geodata.geocoder import BanClient
from geodata.storage.database import upgrade
from geodata.storage.dossiers import move_dossiers
from loaders.dossiers import import_dossiers
from loaders.pipeline import load_source
from tests.app.conftest import PASSWORD
from tests.browser.conftest import follow, log_in, on_screen, served
from tests.loaders.test_dossiers_import import WAVE
from tests.support import contours_of, make_app

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

EMAIL = "presidente@exemple.gouv.fr"
MARSEILLE = [1234505, 1234509, 1234515]


def jury_wave_app(tmp_path, data_dir, ban_url: str, instructor: str,
                  published: bool = False):
    """An app on an embedded database holding the hand-made wave, its Marseille dossiers
    sent to the jury, and ``instructor``'s account (and the published laureates, where two
    of those dossiers are, with the density grid: Marseille is a large urban centre, so its
    dossiers « à vérifier » may fall in two categories only: ``published``)."""
    app = make_app("", tmp_path / "instance", data_dir, GEOCODER_URL=ban_url,
                   RATELIMIT="off", SESSION_COOKIE_SECURE=False)
    engine = app.extensions[EXTENSION]
    upgrade(engine)
    if published:
        for name in ("laureates", "densite"):
            load_source(engine, name, data_dir=data_dir, progress=False)
    load_source(engine, "commune-contours",
                str(contours_of(data_dir, ["13"], tmp_path / "contours_13.geojson")),
                progress=False)
    with BanClient(ban_url, max_retries=0) as ban:
        import_dossiers(engine, ban, WAVE, data_dir=data_dir, actor="test")
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(engine, MARSEILLE, target, "instructrice")
    create_user(engine, instructor, PASSWORD, "instructor")
    return app


@pytest.fixture
def live_server(tmp_path, data_dir, ban_server):
    yield from served(jury_wave_app(tmp_path, data_dir, ban_server.url, EMAIL))


def after(page, line: str) -> int:
    cell = page.locator(f'#quotas-jury tr[data-ligne="{line}"] .jury-apres')
    return int(re.sub(r"\D", "", cell.inner_text()))


def test_a_jury_selects_sees_the_quotas_move_decides_and_closes(live_server, page, shoot):
    log_in(page, live_server, EMAIL)
    page.get_by_role("link", name="Jury", exact=True).click()
    page.wait_for_url(re.compile(r"/instruction/jury$"))
    assert page.locator("h1").inner_text() == "Jury de la vague 2"  # the one at the jury
    total, wave = after(page, "total"), after(page, "vague")

    page.get_by_label("Choisir le dossier 1234505").check()
    summary = page.locator("#jury-bilan")
    assert summary.inner_text().startswith("1 dossier coché\u202f; Fabriques après la "
                                           "sélection\u00a0: total ")  # French: 1, not 1(s)
    page.get_by_label("Choisir le dossier 1234509").check()
    assert (after(page, "total"), after(page, "vague")) == (total + 2, wave + 2)
    page.locator("#dossiers-jury tbody tr").last.scroll_into_view_if_needed()
    assert on_screen(page, "#jury-bilan")  # the count stays in sight, the table at the top
    assert summary.inner_text().startswith("2 dossiers cochés\u202f; ")
    page.get_by_label("Décision").select_option("refuse-recandidater")
    assert after(page, "total") == total  # a refusal adds no Fabrique
    page.get_by_label("Décision").select_option("laureat")
    page.get_by_label("Motivation").fill("Ancrage fort dans le quartier")
    shoot("jury-selection", full_page=False)
    follow(page, page.get_by_role("button", name="Vérifier la décision"))

    heading = page.locator("h1").inner_text()
    assert "Confirmer\u00a0: «\u00a0Lauréat\u00a0» pour 2 dossiers" in heading
    assert after(page, "total") == total + 2
    page.get_by_role("button", name="Confirmer la décision").click()
    page.wait_for_url(re.compile(r"/instruction/jury\?vague=2$"))
    status = page.get_by_role("status").first.inner_text()
    assert "2 dossiers\u00a0: «\u00a0Lauréat\u00a0»" in status
    assert page.locator("#decisions tr[data-numero]").count() == 2

    page.get_by_label("Membres présents").fill("Mme A (DGCL), M. B (ANCT)")
    page.locator("label[for=confirme-cloture]").click()  # the DSFR draws the box on it
    page.get_by_role("button", name="Clore la session").click()
    page.wait_for_url(re.compile(r"/instruction/jury\?vague=2$"))
    assert "Session de la vague 2 close" in page.get_by_role("status").first.inner_text()
    assert "close le" in page.locator("#session-etat").inner_text()
    assert page.locator("#cloture").count() == 0
    shoot("jury-close", full_page=False)
    assert page.outside_requests == []


@pytest.fixture
def published_server(tmp_path, data_dir, ban_server):
    yield from served(jury_wave_app(tmp_path, data_dir, ban_server.url, EMAIL,
                                    published=True))


def test_a_dossier_already_published_takes_its_place(published_server, page):
    """La Fabulerie's dossier is the published fabt-117: ticked, it completes it (wave, amounts)
    and is no Fabrique more, as the confirmation and the closing count it; its category
    replaces the published one's in every line, live as on the confirmation."""
    log_in(page, published_server, EMAIL)
    page.goto(f"{published_server}/instruction/jury?vague=2")
    assert "déjà publiée\u00a0: fabt-117" in page.locator(
        '#dossiers-jury tr[data-numero="1234505"]').text_content()
    total, wave = after(page, "total"), after(page, "vague")
    page.get_by_label("Choisir le dossier 1234505").check()
    assert (after(page, "total"), after(page, "vague")) == (total, wave + 1)
    page.get_by_label("Choisir le dossier 1234515").check()  # a new Fabrique
    assert (after(page, "total"), after(page, "vague")) == (total + 1, wave + 2)
    page.get_by_label("Motivation").fill("Ancrage fort dans le quartier")
    live = every_line(page)
    follow(page, page.get_by_role("button", name="Vérifier la décision"))
    assert after(page, "total") == total + 1  # the server's count, the same
    # every line as the server counts it: the published Fabrique's category out, the
    # dossier's in (the page said « de 0 à 229 » where the confirmation said « de 1 à 229 »;
    # then « hors grands centres urbains » for dossiers in Marseille)
    assert every_line(page) == live
    assert page.locator("#choix-1234515").count() == 0  # the confirmation's own table



def every_line(page) -> dict[str, str]:
    """The quotas table's « after » figures, line by line, as shown."""
    rows = page.locator("#quotas-jury tr[data-ligne]")
    return {rows.nth(i).get_attribute("data-ligne"):
            " ".join(rows.nth(i).locator(".jury-apres").inner_text().split())
            for i in range(rows.count())}
