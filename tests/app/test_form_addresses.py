"""The addresses the instruction's forms are posted to, opened with a GET (the address bar
after a refused avis, « Précédent », a login's « next »): each leads to its page, at its
form, never to a 405 « Méthode non permise »; a dossier of another département stays
« introuvable ». On both backends, with the hand-made wave of ``tests/data/dossiers``."""

from __future__ import annotations

import html

import pytest

from geodata.storage.dossiers import list_dossiers, move_dossiers
from tests.app.conftest import followed
from tests.app.test_dossiers_avis import avis
from tests.app.test_dossiers_pages import (  # noqa: F401 - the two fixtures
    prefecture,
    two_departements_fixture,
    wave_fixture,
)
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data


def test_after_a_refused_avis_its_address_leads_back_to_the_avis(wave, client, login):
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    strasbourg = next(d.number for d in list_dossiers(wave) if d.departement_code == "67")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    prefecture(client, login, "13")
    refused = followed(client, avis(client, number, text="  "))  # the dossier's page
    assert "texte de l'avis est obligatoire" in html.unescape(refused.text)

    again = client.get(f"/instruction/dossiers/{number}/avis")
    assert again.status_code == 303
    assert again.location == f"/instruction/dossiers/{number}#avis-prefecture"
    assert client.get(again.location).status_code == 200
    assert client.get(f"/instruction/dossiers/{strasbourg}/avis").status_code == 404
    assert client.get(f"/instruction/dossiers/{strasbourg}/reverifier").status_code == 404
    assert client.get("/instruction/jury/decisions").status_code == 403  # not its page


@pytest.mark.parametrize(("address", "page"), [
    ("/instruction/dossiers/etat", "/instruction/dossiers"),
    ("/instruction/jury/decisions", "/instruction/jury#jury-selection"),
    ("/instruction/jury/cloture", "/instruction/jury#cloture"),
    ("/instruction/jury/annulation", "/instruction/jury"),
    ("/instruction/jury/correspondance", "/instruction/jury"),
])
def test_the_instructors_form_addresses_lead_to_their_pages(wave, client, login, address,
                                                            page):
    login(client, "instructor")
    answer = client.get(address)
    assert (answer.status_code, answer.location) == (303, page)


def test_a_dossiers_recheck_address_leads_to_its_checks(wave, client, login):
    number = list_dossiers(wave)[0].number
    login(client, "instructor")
    answer = client.get(f"/instruction/dossiers/{number}/reverifier")
    assert (answer.status_code, answer.location) == (
        303, f"/instruction/dossiers/{number}#verifications")
    assert client.get("/instruction/dossiers/999999999/reverifier").status_code == 404


def test_a_login_asked_by_a_form_address_comes_back_to_its_page(wave, client, login):
    """A session ended while the avis was written: the login's « next » is the POST
    address, which now leads to the dossier."""
    number = list_dossiers(wave)[0].number
    address = f"/instruction/dossiers/{number}/avis"
    answer = client.get(address)
    assert answer.status_code == 302 and answer.location.startswith("/connexion?next=")
    login(client, "instructor")
    after = client.get(f"/connexion?next={address}")  # logged in: to « next »
    assert after.location == address
    assert client.get(address).location == f"/instruction/dossiers/{number}#avis-prefecture"
