# ruff: noqa: F811 - the fixtures imported are named as arguments
"""A refused form of the instruction redirects to its page (Post/Redirect/Get): « Précédent »
or a reload no longer ask the browser to send the form again. The page says why once, with
what was typed; a text too long for the session answers in place, as before. A form's
address opened with a GET leads to the page of its wave. On both backends, with the
hand-made wave of ``tests/data/dossiers``."""

from __future__ import annotations

import html
import random
import re

import pytest

from geodata.storage.dossiers import dossier_events, list_dossiers, move_dossiers
from geodata.storage.jury import decide, jury_sessions, reverse_decisions
from tests.app.conftest import followed
from tests.app.test_dossiers_avis import avis, avis_form
from tests.app.test_dossiers_moves import kept_move, move, states
from tests.app.test_dossiers_pages import (  # noqa: F401 - the two fixtures
    prefecture,
    two_departements_fixture,
    wave_fixture,
)
from tests.app.test_jury_pages import JURY, bouches_du_rhone, close, post, ticked  # noqa: F401
from tests.app.test_jury_pages import wave as jury_wave  # noqa: F401
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data


def asked_avis(wave) -> int:
    """A dossier of the Bouches-du-Rhône whose avis is asked."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    return number


def test_a_refused_avis_redirects_to_the_dossier_which_says_why_once(wave, client, login):
    """The refusal answered at the POST address: « Précédent » or a reload asked to send the
    form again. The dossier's page now says why, the text kept, then forgets it."""
    number = asked_avis(wave)
    prefecture(client, login, "13")
    written = "Projet solide <b>mais</b> bail précaire\n(à revoir)"
    refused = avis(client, number, code="", text=written)
    assert (refused.status_code, refused.location) == (
        303, f"/instruction/dossiers/{number}#avis-prefecture")

    page = client.get(refused.location)
    assert page.status_code == 200
    assert avis_form(page.text) == (None, written)
    said = html.unescape(page.text)
    assert "Avis non enregistré\u00a0: choisissez favorable" in said
    assert 'id="avis-erreur">choisissez favorable' in said
    assert re.search(r'id="avis-favorable" name="avis" value="favorable" required autofocus',
                     page.text)

    blank = followed(client, avis(client, number, text="  "))
    assert re.search(r'<textarea[^>]*aria-describedby="texte-erreur" autofocus', blank.text)
    assert "texte de l'avis est obligatoire" in html.unescape(blank.text)

    again = client.get(f"/instruction/dossiers/{number}")  # a reload: said once
    assert "Avis non enregistré" not in html.unescape(again.text)
    assert 'id="texte-erreur"' not in again.text and 'id="avis-erreur"' not in again.text
    assert avis_form(again.text) == (None, "")
    assert [e.kind for e in dossier_events(wave, number)].count("avis") == 0


def test_an_avis_refused_on_one_dossier_is_not_shown_on_another(wave, client, login):
    number = asked_avis(wave)
    other = next(d.number for d in list_dossiers(wave)
                 if d.departement_code == "13" and d.number != number)
    prefecture(client, login, "13")
    avis(client, number, text="Texte à garder", code="")
    assert "Texte à garder" not in client.get(f"/instruction/dossiers/{other}").text


def test_an_avis_too_long_for_the_session_answers_in_place(wave, client, login):
    """A browser drops a session cookie over 4 KB (the text with it): a text that does not
    fit is given back by the answer to the POST itself, as before."""
    number = asked_avis(wave)
    prefecture(client, login, "13")
    letters = "abcdefghijklmnopqrstuvwxyzéèàçù ,.'"
    draw = random.Random(2019)
    pasted = "".join(draw.choice(letters) for _ in range(6000)).strip()  # not compressible
    answer = avis(client, number, text=pasted)
    assert answer.status_code == 400
    assert avis_form(answer.text) == ("favorable", pasted)
    assert "4 000 caractères au plus" in re.sub(r"[\u00a0\u202f]", " ",
                                                 html.unescape(answer.text))
    assert "Avis non enregistré" not in html.unescape(
        client.get(f"/instruction/dossiers/{number}").text)  # nothing left for later


def test_a_refused_move_redirects_to_the_list_which_keeps_it_once(wave, client, login):
    login(client)
    before = states(wave)
    answer = move(client, [1234505], "en-instruction", "", confirmed=True)
    assert (answer.status_code, answer.location) == (303, "/instruction/dossiers?vague=2")
    page = html.unescape(client.get(answer.location).text)
    assert 'role="alert" id="changement-garde"' in page and "motivation obligatoire" in page
    assert kept_move(page) == ({"1234505"}, "en-instruction", "")
    assert states(wave) == before
    again = html.unescape(client.get(answer.location).text)
    assert 'id="changement-garde"' not in again
    assert kept_move(again)[0] == set() and kept_move(again)[2] == ""


def test_a_refused_jury_decision_redirects_to_its_wave_once(jury_wave, client, login):
    login(client)
    refused = post(client, "/instruction/jury/decisions", numero=["1234505", "1234509"],
                   vers="refuse-recandidater", motivation="", vague="2", confirme="oui")
    assert (refused.status_code, refused.location) == (303, JURY)  # its message at the top
    page = client.get(refused.location)
    said = html.unescape(page.text)
    assert "Aucune décision enregistrée\u00a0: motivation obligatoire" in said
    assert ticked(page.text) == [1234505, 1234509]
    assert re.search(r'<option value="refuse-recandidater"[^>]*selected', page.text)
    again = client.get(JURY)
    assert "Aucune décision enregistrée" not in html.unescape(again.text)
    assert ticked(again.text) == []


def test_a_refused_closing_redirects_to_its_form_once(jury_wave, client, login):
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         motivation="Motif du jury", vague="2", confirme="oui")
    refused = close(client, membres="Mme A (DGCL)")
    assert (refused.status_code, refused.location) == (303, "/instruction/jury?vague=2#cloture")
    page = client.get(refused.location).text
    assert re.search(r'id="membres"[^>]*>Mme A \(DGCL\)</textarea>', page)
    assert re.search(r'id="confirme-cloture"[^>]*aria-describedby="confirme-erreur" autofocus',
                     page)
    assert 'id="confirme-erreur"' not in client.get(JURY).text
    assert jury_sessions(jury_wave, "2")[0].closed_at is None


@pytest.mark.parametrize(("address", "page"), [
    ("/instruction/jury/decisions", "/instruction/jury?vague=1#jury-selection"),
    ("/instruction/jury/cloture", "/instruction/jury?vague=1#cloture"),
    ("/instruction/jury/annulation", "/instruction/jury?vague=1"),
    ("/instruction/jury/correspondance", "/instruction/jury?vague=1"),
    ("/instruction/dossiers/etat", "/instruction/dossiers?vague=1"),
])
def test_a_form_address_leads_to_the_page_of_its_wave(jury_wave, client, login, address,
                                                      page):
    """Wave 2 is the jury's default (its dossiers are « transmis au jury »): the address of
    a form of wave 1 led to wave 2's page."""
    login(client)
    answer = client.get(f"{address}?vague=1")
    assert (answer.status_code, answer.location) == (303, page)
    assert re.search(r"<h1>[^<]*vague 1</h1>", client.get(page).text)


def test_the_wave_forms_name_their_wave_in_their_address(jury_wave, client, login):
    """The address a form is posted to is the one left in the address bar and the history."""
    login(client)
    assert 'action="/instruction/jury/decisions?vague=2"' in client.get(JURY).text
    assert 'action="/instruction/dossiers/etat?vague=2"' in client.get(
        "/instruction/dossiers?vague=2").text


def reversal_field(page: str, number: int) -> str:
    """The motivation field of dossier ``number``'s reversal, as the page shows it."""
    return re.search(rf'<input [^>]*id="annuler-{number}"[^>]*>', page).group(0)


def test_a_refused_reversal_keeps_its_motivation_by_its_row(jury_wave, client, login):
    """A reversal refused (a colleague decided the dossier again since the page was shown)
    lost the motivation typed, and said why only at the top of the page: the row's field
    gives it back, the error next to it, focused; once."""
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234515"], vers="refuse-recandidater",
         motivation="Motif du jury", vague="2", confirme="oui")
    shown = dossier_events(jury_wave, 1234515)[-1].id
    reverse_decisions(jury_wave, [1234515], "Erreur", "collegue@exemple.gouv.fr")
    decide(jury_wave, [1234515], "laureat", "Projet solide", "collegue@exemple.gouv.fr")
    written = "Avis de la préfecture <à attendre>"
    refused = post(client, "/instruction/jury/annulation", numero=["1234515"], vague="2",
                   motivation=written, decision_vue=str(shown))
    page = followed(client, refused, JURY).text
    field = reversal_field(page, 1234515)
    assert f'value="{html.escape(written)}"' in field
    assert 'aria-describedby="annuler-1234515-erreur"' in field and "autofocus" in field
    said = html.unescape(page)
    assert "Aucune décision annulée\u00a0: dossier 1234515\u00a0: la décision a changé" in said
    assert re.search(r'id="annuler-1234515-erreur">la décision a changé', said)
    assert {d.number: d.state for d in list_dossiers(jury_wave)}[1234515] == "laureat"

    blank = followed(client, post(client, "/instruction/jury/annulation", numero=["1234515"],
                                  vague="2", motivation="   "))
    assert "autofocus" in reversal_field(blank.text, 1234515)
    assert 'id="annuler-1234515-erreur">motivation obligatoire pour annuler' in blank.text
    again = client.get(JURY).text  # said once
    assert "autofocus" not in reversal_field(again, 1234515)
    assert 'id="annuler-1234515-erreur"' not in again and "Aucune décision annulée" not in again
