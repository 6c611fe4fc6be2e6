"""What a prefecture's first screen says of the dossiers awaiting its avis: every wave that
has some, not only the wave it lands on (the latest where it sees dossiers)."""

from __future__ import annotations

import html
import re

import pytest

from geodata.storage.dossiers import list_dossiers, move_dossiers
from tests.app.test_dossiers_pages import (  # noqa: F401 - the two fixtures
    prefecture,
    two_departements_fixture,
    wave_fixture,
)
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data


def ask_avis(engine, numbers) -> None:
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(engine, numbers, target, "instructrice@exemple.gouv.fr")


def test_the_first_screen_leads_to_every_avis_asked(wave, client, login):
    """A prefecture landed on the latest wave: a dossier of an earlier wave awaiting its
    avis was nowhere on the screen (hidden behind the wave selector)."""
    by_place = {(d.departement_code, d.wave): d.number for d in list_dossiers(wave)}
    strasbourg, marseille = by_place[("67", "1")], by_place[("13", "2")]
    ask_avis(wave, [strasbourg, marseille])
    prefecture(client, login, "13", "67")

    landing = client.get("/instruction/dossiers")
    assert landing.status_code == 200
    assert "Dossiers de la vague 2" in landing.text
    notice = html.unescape(re.search(r'<div[^>]*id="avis-attendus".*?</div>', landing.text,
                                     re.S).group(0))
    assert "2 dossiers attendent votre avis\u00a0:" in notice
    assert 'href="/instruction/dossiers?vague=1&etat=avis-demande"' in notice
    assert 'href="/instruction/dossiers?vague=2&etat=avis-demande"' in notice
    assert "vague 1 (1)" in notice and "vague 2 (1)" in notice

    wave_1 = client.get("/instruction/dossiers?vague=1&etat=avis-demande").text
    assert f'data-numero="{strasbourg}"' in wave_1


def test_no_notice_when_no_avis_is_asked_and_none_for_others(wave, client, login):
    """Nothing asked of this prefecture: no notice (the others' dossiers do not count)."""
    other = next(d.number for d in list_dossiers(wave) if d.departement_code == "67")
    ask_avis(wave, [other])
    prefecture(client, login, "13")
    assert 'id="avis-attendus"' not in client.get("/instruction/dossiers").text
    instructor = client.application.test_client()
    login(instructor)  # the list's filters are the instructors' way
    assert 'id="avis-attendus"' not in instructor.get("/instruction/dossiers").text
