"""A finished batch as an instructor first sees it in Debian's Chromium, on a laptop
(1366×768) and on a phone (390×844).

When the job ends, ``lot.js`` reloads the page, which opens at its top with the result's
title focused. What must be on that first screen, without scrolling:

- at both sizes: the result's summary (counts and rules), the download button, the rows'
  filter and the caption of their table (what is shown, which page);
- on a laptop, also the table's header and its first row (a phone shows them next).

After a filter or a page of rows, the page opens at the rows (``#lignes``): the filter, the
caption and the first rows are on screen, at both sizes.

Sixty rows (four addresses geocoded by the local BAN server, one of them not found; 56
coordinates in Marseille) make two pages of 50. Screenshots in ``test-artifacts/``.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENS, first_screen, follow, log_in, on_screen
from tests.support import temporary_account

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

ROWS = ["id;adresse;code_postal;lon;lat",
        "seg;20 avenue de Ségur;75007;;", "ami;8 bd du port;;;",
        "nul;rue qui n'existe pas;;;", "pel;Pelleautier;05000;;"]
ROWS += [f"m{n:02d};;;{5.36 + (n % 8) * 0.007:.4f};{43.29 + (n // 8) * 0.008:.4f}"
         .replace(".", ",") for n in range(56)]
FILE = ("\n".join(ROWS) + "\n").encode("utf-8")
ROW = "#lot-lignes tbody tr:nth-child({})"
AT_ONCE = ["#lot-bilan", "#lot-telechargement", "#afficher", "#lot-lignes caption"]
LAPTOP_TOO = ["#lot-lignes thead", ROW.format(1)]


@pytest.fixture
def live_config() -> dict:
    return {"SESSION_COOKIE_SECURE": False}  # the live server speaks plain http


@pytest.fixture
def instructor(reference_engine):
    with temporary_account(reference_engine, "instructor", "lot-ecran") as email:
        yield email


def off_screen(page, selectors: list[str]) -> list[str]:
    """Those of ``selectors`` not whole in the viewport as it is scrolled."""
    return [selector for selector in selectors if not on_screen(page, selector)]


def row_ids(page) -> list[str]:
    return page.locator("#lot-lignes tbody tr td:nth-of-type(1)").all_inner_texts()


def caption(page) -> str:
    return page.locator("#lot-lignes caption").inner_text()


@pytest.mark.parametrize("screen", SCREENS)
def test_a_finished_batch_shows_its_summary_and_first_rows(live_server, page, instructor,
                                                           shoot, screen):
    log_in(page, live_server, instructor)
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server}/verifier/lot")
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "projets.csv", "mimeType": "text/csv", "buffer": FILE})
    page.get_by_role("button", name="Vérifier le lot").click()
    page.wait_for_url(f"{live_server}/verifier/lot/*")
    page.get_by_role("heading", level=2, name="Résultat", exact=True).wait_for(timeout=120_000)

    # the job has ended: its result first, focused, and the rows under it
    first_screen(page, "#resultat")
    summary = " ".join(page.locator("#lot-bilan").inner_text().split())
    assert "60 lignes lues, 59 classées, 1 en erreur" in summary
    assert "règles : Règles actuelles" in summary
    assert caption(page) == "Toutes les lignes\u00a0: 60 lignes, page 1 sur 2"
    assert row_ids(page)[:5] == ["seg", "ami", "nul", "pel", "m00"]
    assert off_screen(page, AT_ONCE + (LAPTOP_TOO if screen == "ordinateur" else [])) == []
    shoot(f"lot-termine-{screen}", full_page=False)

    # the rows in error, chosen in the filter: the page opens on them
    page.get_by_label("Lignes à afficher").select_option("erreurs")
    follow(page, page.get_by_role("button", name="Afficher"))
    assert page.url.endswith("afficher=erreurs#lignes")
    assert page.locator("#afficher").input_value() == "erreurs"
    assert caption(page) == "En erreur\u00a0: 1 ligne"
    assert row_ids(page) == ["nul"]
    assert off_screen(page, ["#afficher", "#lot-lignes caption", ROW.format(1)]) == []
    shoot(f"lot-termine-erreurs-{screen}", full_page=False)

    # every row again, then their second page
    page.get_by_label("Lignes à afficher").select_option("")
    follow(page, page.get_by_role("button", name="Afficher"))
    follow(page, page.get_by_role("link", name="Page suivante"))
    assert caption(page) == "Toutes les lignes\u00a0: 60 lignes, page 2 sur 2"
    assert row_ids(page) == [f"m{n:02d}" for n in range(46, 56)]
    assert page.locator("#lot-lignes tbody th").first.inner_text() == "52"  # its file line
    assert off_screen(page, ["#afficher", "#lot-lignes caption", ROW.format(1),
                             ROW.format(2)]) == []
    assert page.outside_requests == []
