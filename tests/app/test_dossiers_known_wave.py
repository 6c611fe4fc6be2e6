"""A wave the service knows (of its calendar, or with dossiers of other départements) where
the account sees no dossier is an empty list that says so, not « Vague inconnue »: a
prefecture of the Bouches-du-Rhône asking for wave 1 (dossiers of other départements only)
got a 404 « Aucun dossier dans la vague « 1 » (vagues des dossiers : 2) »."""

from __future__ import annotations

import html
import re

import pytest

from tests.app.test_dossiers_pages import (  # noqa: F401 - the two fixtures
    ROWS,
    prefecture,
    two_departements_fixture,
    wave_fixture,
)
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data


def said(page) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def chosen_wave(page) -> str:
    select = re.search(r'<select[^>]*name="vague".*?</select>', page.text, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


@pytest.mark.parametrize("asked", ["1", "3"])  # 1: other départements' dossiers; 3: calendar
def test_a_known_wave_without_dossiers_of_the_prefecture_is_an_empty_list(
        wave, client, login, asked):
    prefecture(client, login, "13")
    page = client.get(f"/instruction/dossiers?vague={asked}")
    assert page.status_code == 200
    assert "Aucun dossier de vos départements (13) dans cette vague." in said(page)
    assert "Vague inconnue" not in said(page)
    assert ROWS.findall(page.text) == [] and chosen_wave(page) == asked
    assert "ne répond à ces filtres" not in said(page)  # no filter was chosen
    export = client.get(f"/instruction/dossiers.csv?vague={asked}")
    assert export.status_code == 200 and export.text.removeprefix("\ufeff").count("\n") == 1
    unknown = client.get("/instruction/dossiers?vague=99")  # a wave nobody knows
    assert unknown.status_code == 404 and "Vague inconnue" in said(unknown)


def test_a_calendar_wave_without_any_dossier_is_an_empty_list(wave, client, login):
    login(client, "ministry")
    page = client.get("/instruction/dossiers?vague=3")
    assert page.status_code == 200 and "Aucun dossier dans cette vague." in said(page)
    assert chosen_wave(page) == "3"
