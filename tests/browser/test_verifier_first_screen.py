"""The checker's first screen, as a person sees it in Debian's Chromium, on a laptop
(1366×768) and on a phone (390×844): the verdict (or what went wrong) first, focused; the
field in error marked; the fallback on the commune when the address service is down; the
verdict's map a picture with nothing focusable inside. Screenshots in ``test-artifacts/``.
"""

from __future__ import annotations

import pytest

from tests.ban_server import FakeBan
from tests.browser.conftest import SCREENS, first_screen, follow, served
from tests.support import make_app

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]


@pytest.mark.parametrize("screen", SCREENS)
def test_the_verdict_is_the_first_thing_on_screen(live_server, page, shoot, screen):
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server}/verifier?lon=5.4034&lat=43.3305")
    page.locator("#carte[data-ready='true']").wait_for()
    first_screen(page, "#verdict")
    verdict = page.locator("#verdict")
    assert "fr-alert--success" in verdict.get_attribute("class")
    assert "Territoire éligible\u00a0: en QPV ou à sa proximité immédiate" in verdict.inner_text()
    assert "à 81,8 m du QPV QN01352M" in " ".join(verdict.inner_text().split())
    shoot(f"verifier-verdict-{screen}", full_page=False)
    # the measures and the full explanation follow the verdict
    table = page.locator("table").first.bounding_box()
    assert table["y"] > verdict.bounding_box()["y"]
    # each measure reads in a few lines: the table scrolls sideways on a phone rather than
    # squeezing the data sources a word a line (the commune's row was 18 lines high)
    rows = page.locator("table.fabriques-mesures tbody tr")
    line = float(page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.fabriques-mesures td'))"
        ".lineHeight)"))
    heights = [rows.nth(n).bounding_box()["height"] for n in range(rows.count())]
    assert len(heights) >= 7 and max(heights) < 8 * line, (heights, line)


@pytest.mark.parametrize("screen", SCREENS)
def test_an_undetermined_verdict_says_which_condition_and_why(live_server, page, shoot,
                                                              screen):
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server}/verifier?lon=2.5734&lat=44.3506")  # Rodez, Occitanie
    page.locator("#carte[data-ready='true']").wait_for()
    first_screen(page, "#verdict")
    text = " ".join(page.locator("#verdict").inner_text().split())
    # Rodez is no large urban centre: eligible either way, only its category open
    assert "fr-alert--info" in page.locator("#verdict").get_attribute("class")
    assert "Éligible dans les deux cas" in text
    assert "QPV : indéterminé, les contours des QPV 2024 ne sont pas tous chargés pour Occitanie " \
           "(région 76)" in text
    assert "Rodez compte au moins un QPV" in text
    assert "qpv2024-paca" not in page.content()  # never cited for a point it does not cover
    # the map still shows the commune around the point, not a lone dot
    assert page.locator("#carte path").count() >= 2
    shoot(f"verifier-a-verifier-{screen}", full_page=False)


@pytest.fixture
def live_config() -> dict:
    """A contact address as long as a real one may be: the « Que faire » of an « à
    vérifier » verdict gives it, and must leave the verdict whole on a phone."""
    return {"CONTACT_EMAIL": "fabriques-de-territoire@anct.gouv.fr"}


@pytest.mark.parametrize("screen", SCREENS)
def test_an_undecided_verdict_says_what_to_do_and_stays_whole(live_server, page, shoot,
                                                              screen):
    """Castelnau-le-Lez under the current rules, the longest « à vérifier » summary found
    (no 2024 QPV outline for Occitanie, none in the commune, a neighbour may have one)."""
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server}/verifier?lon=3.9&lat=43.63&policy=current")
    page.locator("#carte[data-ready='true']").wait_for()
    first_screen(page, "#verdict")
    text = " ".join(page.locator("#verdict").inner_text().split())
    assert "Éligibilité à vérifier" in text and "Castelnau-le-Lez ne compte aucun QPV" in text
    assert "Que faire : joignez l'attestation à votre dossier" in text
    assert "écrivez à fabriques-de-territoire@anct.gouv.fr" in text
    links = page.locator("#verdict a[href^='/aide#aide-mot-']")
    assert links.count() == 2  # named as definitions for a screen reader
    assert page.get_by_role("link", name="QPV (définition)", exact=True).count() == 1
    shoot(f"verifier-que-faire-{screen}", full_page=False)


@pytest.mark.parametrize("screen", SCREENS)
def test_an_invalid_field_is_said_at_the_top_and_marked(live_server, page, shoot, screen):
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server}/verifier?lon=abc&lat=43.3")
    first_screen(page, "#verdict")
    assert "La longitude doit être un nombre" in page.locator("#verdict").inner_text()
    assert "cliquez sur la carte" in page.locator("#verdict").inner_text()
    field = page.locator("#lon")
    assert field.get_attribute("aria-invalid") == "true"
    described = page.locator(f"#{field.get_attribute('aria-describedby')}")
    assert "fr-error-text" in described.get_attribute("class")
    assert "La longitude doit être un nombre" in described.inner_text()
    assert page.locator(".fr-input-group--error #lon").count() == 1
    assert page.locator("#lat").get_attribute("aria-invalid") is None
    shoot(f"verifier-erreur-{screen}", full_page=False)


def test_the_verdict_map_is_a_picture_with_nothing_focusable_inside(live_server, page):
    """axe-core's nested-interactive rule, checked directly: a role="img" has presentational
    children, so nothing inside may take the focus (Leaflet's zoom buttons did)."""
    page.goto(f"{live_server}/verifier?lon=5.4034&lat=43.3305")
    page.locator("#carte[data-ready='true']").wait_for()
    assert page.locator("#carte").get_attribute("role") == "img"
    focusable = page.evaluate("""() => {
        const map = document.getElementById('carte');
        const inside = map.querySelectorAll(
            'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])');
        return [map.hasAttribute('tabindex') && map.tabIndex >= 0, inside.length];
    }""")
    assert focusable == [False, 0]
    assert page.locator("#carte path").count() >= 4  # commune, band, QPV, location


@pytest.fixture
def ban_down_server(reference_engine, tmp_path, data_dir):
    """The app whose BAN is the local fake server, stopped: its port is closed."""
    ban = FakeBan().start()
    url = ban.url
    ban.stop()
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, GEOCODER_URL=url, RATELIMIT="off")
    yield from served(app)


@pytest.mark.parametrize("screen", SCREENS)
def test_an_unreachable_ban_falls_back_on_the_commune(ban_down_server, page, shoot, screen):
    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{ban_down_server}/verifier")
    page.get_by_label("Adresse").fill("2 place d'Armes 12000 RODEZ")
    follow(page, page.get_by_role("button", name="Vérifier"))
    page.locator("#verdict").wait_for()
    first_screen(page, "#verdict")
    text = " ".join(page.locator("#verdict").inner_text().split())
    assert ("Base Adresse Nationale injoignable : lieu pris au centre de la commune Rodez "
            "(12202), précision commune") in text
    assert "le lieu n'est connu qu'à la commune Rodez" in text
    shoot(f"verifier-repli-commune-{screen}", full_page=False)


def test_homonyms_are_listed_for_the_person_to_choose(ban_down_server, page, shoot):
    page.set_viewport_size(SCREENS["telephone"])
    page.goto(f"{ban_down_server}/verifier?address=Saint-Denis")
    first_screen(page, "#verdict")
    choices = page.locator("#verdict li a")
    names = choices.all_inner_texts()
    assert any("Saint-Denis (93066), Seine-Saint-Denis" in n for n in names)
    assert any("Saint-Denis (97411), La Réunion" in n for n in names)
    shoot("verifier-homonymes-telephone", full_page=False)
    follow(page, page.get_by_role("link", name="Saint-Denis (93066), Seine-Saint-Denis (93)"))
    page.locator("#carte[data-ready='true']").wait_for()
    first_screen(page, "#verdict")
    assert "Saint-Denis" in page.locator("#verdict").inner_text()
    assert "commune=93066" in page.url


def test_the_attestation_reads_as_a_record(live_server, page, shoot):
    page.set_viewport_size(SCREENS["ordinateur"])
    page.goto(f"{live_server}/verifier?lon=5.4034&lat=43.3305")
    page.get_by_label("Référence du dossier").fill("FT-2026-042")
    page.get_by_label("Nom du projet").fill("La Fabrique du Grand Saint-Barthélémy")
    follow(page, page.get_by_role("button", name="Attestation avec ces références"))
    page.get_by_role("heading", level=1, name="Attestation").wait_for()
    text = " ".join(page.locator("main").inner_text().split())
    assert "FT-2026-042" in text and "Marseille (code INSEE 13055)" in text
    assert "QN01352M « Grand Saint Barthélémy », à 81,8 m du lieu" in text
    shoot("verifier-attestation")
