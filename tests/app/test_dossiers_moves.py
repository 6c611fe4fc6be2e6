"""Changing the state of several dossiers from their list, on both backends: the
confirmation, the moves signed, the list's filters kept, and a refused or changed move
given back ticked and typed.

The wave is that of ``tests.app.test_dossiers_pages`` (its two fixtures).
"""

from __future__ import annotations

import html
import re

import pytest

from app.access import create_user
from geodata.storage.dossiers import dossier_events, list_dossiers, move_dossiers
from tests.app.conftest import PASSWORD, csrf_token, followed
from tests.app.test_dossiers_pages import (  # noqa: F401 - the two fixtures
    two_departements_fixture,
    wave_fixture,
)
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data

# --- bulk moves ----------------------------------------------------------------------------

MOVE = "/instruction/dossiers/etat"


def move(client, numbers, target, motivation="Pièces complètes", confirmed=False):
    token = csrf_token(client, "/instruction/dossiers?vague=2")
    data = {"csrf_token": token, "numero": [str(n) for n in numbers], "vers": target,
            "motivation": motivation, "vague": "2"}
    if confirmed:
        data["confirme"] = "oui"
    return client.post(MOVE, data=data)


def states(engine) -> dict[int, str]:
    return {d.number: d.state for d in list_dossiers(engine)}


def test_a_bulk_move_is_confirmed_then_done_and_signed(wave, client, login):
    email = login(client)
    before = states(wave)
    asked = move(client, [1234505, 1234506], "en-instruction")
    page = html.unescape(asked.text)
    assert asked.status_code == 200
    assert "Confirmer\u00a0: 2 dossiers vers «\u00a0En instruction\u00a0»" in page
    assert "Confirmer et appliquer" in page and states(wave) == before  # nothing yet

    done = move(client, [1234505, 1234506], "en-instruction", confirmed=True)

    assert done.status_code == 302 and done.headers["Location"].endswith("vague=2")
    after = states(wave)
    assert after[1234505] == after[1234506] == "en-instruction"
    assert {n: s for n, s in after.items() if n not in (1234505, 1234506)} == \
        {n: s for n, s in before.items() if n not in (1234505, 1234506)}
    last = dossier_events(wave, 1234505)[-1]
    assert (last.actor, last.from_state, last.to_state, last.motivation) == (
        email, "depose", "en-instruction", "Pièces complètes")
    listing = html.unescape(client.get(done.headers["Location"]).text)
    assert "2 dossiers passés à «\u00a0En instruction\u00a0»." in listing


def test_a_bulk_move_leads_back_to_the_list_as_it_was_filtered(wave, client, login):
    """After a move, the list lost its filters (« vague=2 » only): the instructor filtering
    the Bouches-du-Rhône's « Recevable » started again. A path off the list, or off the
    site, leads to the wave's list."""
    login(client)
    listing = "/instruction/dossiers?vague=2&departement=13&tri=categorie"
    page = client.get(listing).text
    assert f'name="retour" value="{html.escape(listing)}"' in page
    deposited = [n for n, state in states(wave).items() if state == "depose"]
    for number, (retour, back) in zip(deposited, (
            (listing, listing),
            ("https://ailleurs.example/x", "/instruction/dossiers?vague=2"),
            ("/instruction/jury", "/instruction/dossiers?vague=2")), strict=False):
        token = csrf_token(client, "/instruction/dossiers?vague=2")
        done = client.post(MOVE, data={
            "csrf_token": token, "numero": [str(number)], "vers": "en-instruction",
            "motivation": "Pièces complètes", "vague": "2", "retour": retour,
            "confirme": "oui"})
        assert done.status_code == 302 and done.headers["Location"] == back, retour


def kept_move(page: str) -> tuple[set[str], str | None, str]:
    """What the list page has ticked, chosen as new state and typed as motivation."""
    ticked = set(re.findall(r'name="numero" value="(\d+)" id="coche-\d+" checked', page))
    target = re.search(r'<select class="fr-select" id="vers".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)" selected', target)
    motivation = re.search(r'id="motivation" name="motivation"[^>]* value="([^"]*)"', page)
    return ticked, chosen and chosen.group(1), motivation.group(1)


def test_a_bulk_move_the_rules_refuse_moves_nothing_and_keeps_the_selection(wave, client,
                                                                             login):
    """« Revenir à la liste » lost the ticks and the motivation while the page said to
    untick the refused dossiers: « Modifier la sélection » gives the list back with them."""
    login(client)
    before = states(wave)
    asked = html.unescape(move(client, [1234505, 1234506], "recevable").text)
    assert "2 changements refusés par les règles" in asked
    assert ("refusé\u00a0: de «\u00a0Déposé\u00a0», on ne passe pas à "
            "«\u00a0Recevable\u00a0»") in asked
    assert "décochez les dossiers refusés (1234505, 1234506)" in " ".join(asked.split())
    assert "Confirmer et appliquer" not in asked and "Modifier la sélection" in asked
    token = csrf_token(client, "/instruction/dossiers?vague=2")
    changed = followed(client, client.post(MOVE, data={
        "csrf_token": token, "numero": ["1234505", "1234506"], "vers": "recevable",
        "motivation": "Pièces « complètes »", "vague": "2", "confirme": "modifier",
        "retour": "/instruction/dossiers?vague=2&tri=categorie"}),
        "/instruction/dossiers?vague=2&tri=categorie")
    page = html.unescape(changed.text)
    assert 'id="changement-garde"' in page
    assert kept_move(page) == ({"1234505", "1234506"}, "recevable", "Pièces « complètes »")
    assert 'name="retour" value="/instruction/dossiers?vague=2&tri=categorie"' in page
    forced = followed(client, move(client, [1234505, 1234506], "recevable", confirmed=True),
                      "/instruction/dossiers?vague=2")
    page = html.unescape(forced.text)
    assert states(wave) == before
    assert "Aucun dossier n'a changé d'état\u00a0: dossier 1234505" in page
    assert kept_move(page) == ({"1234505", "1234506"}, "recevable", "Pièces complètes")


@pytest.mark.parametrize(("numbers", "target", "motivation", "said"), [
    ([1234505], "en-instruction", "", "motivation obligatoire"),
    ([], "en-instruction", "motif", "cochez au moins un dossier"),
    ([1234505], "laureat", "motif", "«\u00a0Lauréat\u00a0» est une décision du jury"),
    ([1234505], "gagne", "motif", "état visé\u00a0: choisissez dans la liste"),
    (["12a"], "en-instruction", "motif", "numéro de dossier invalide"),
])
def test_a_bad_bulk_move_says_why_and_keeps_what_was_typed(wave, client, login, numbers,
                                                            target, motivation, said):
    login(client)
    before = states(wave)
    answer = followed(client, move(client, numbers, target, motivation, confirmed=True))
    page = html.unescape(answer.text)
    assert states(wave) == before  # refused by the rules or the form
    assert said in page and 'role="alert" id="changement-garde"' in page
    ticked, _, typed = kept_move(page)
    assert ticked == {str(n) for n in numbers if str(n).isdigit()} and typed == motivation


def test_the_confirmation_already_refuses_a_jury_decision(wave, client, login):
    """« Transmis au jury → Lauréat » was shown allowed, then refused once confirmed."""
    login(client)
    asked = html.unescape(move(client, [1234505], "laureat", "motif").text)
    assert "1 changement refusé par les règles" in asked
    assert "«\u00a0Lauréat\u00a0» est une décision du jury" in asked


def test_only_instructors_move_dossiers(wave, client, login):
    assert client.post(MOVE, data={}).status_code in (302, 400)  # anonymous: no CSRF token
    login(client, "ministry")
    page = client.get("/instruction/dossiers?vague=2").text
    assert 'id="changer-etat"' not in page
    token = csrf_token(client, "/verifier")
    answer = client.post(MOVE, data={"csrf_token": token, "numero": ["1234505"],
                                     "vers": "en-instruction", "motivation": "x"})
    assert answer.status_code == 403 and states(wave)[1234505] == "depose"


def test_a_dossier_page_leads_its_instructor_to_change_its_state(wave, client, login):
    """The dossier's page had no next action: its instructor went back to the list and
    looked for its row. A link opens the wave's list holding it alone, at the form."""
    login(client)
    page = html.unescape(client.get("/instruction/dossiers/1234505").text)
    link = re.search(r'id="changer-etat-lien"><a [^>]*href="([^"]+)"', page).group(1)
    assert link.endswith("#changer-etat-champs")
    listing = client.get(link.split("#")[0]).text
    assert re.findall(r'<tr data-numero="(\d+)">', listing) == ["1234505"]
    assert 'id="changer-etat-champs"' in listing
    # ticked on arrival: the instructor only chooses the state (it was left to tick)
    assert 'value="1234505" id="coche-1234505" checked' in listing
    assert 'id="coche-1234505" checked' not in client.get("/instruction/dossiers?vague=2").text
    reader = client.application.test_client()  # the ministry reads, moves nothing
    login(reader, "ministry")
    assert 'id="changer-etat-lien"' not in reader.get("/instruction/dossiers/1234505").text


def test_the_confirmation_warns_of_an_avis_no_prefecture_can_give(wave, client, login):
    """Asking the avis of a département without a prefecture account (or of a dossier
    without a département) left it waiting for ever, unannounced. The confirmation page
    names them; the move stays possible."""
    login(client)
    chosen = {d.departement_code: d.number for d in list_dossiers(wave)}
    numbers = [chosen["13"], chosen["67"]]
    for target in ("en-instruction", "recevable"):
        move_dossiers(wave, numbers, target, "instructrice")
    page = " ".join(html.unescape(move(client, numbers, "avis-demande").text).split())
    assert "2 avis qu'aucun compte de préfecture ne peut donner" in page
    assert f"{chosen['67']} (département 67 : aucun compte de préfecture actif)" in page
    assert "transmettez le dossier recevable au jury, l'avis écrit dans la motivation" in page
    assert "Confirmer et appliquer" in page
    create_user(wave, "pref13@exemple.gouv.fr", PASSWORD, "prefecture", departements=["13"])
    page = " ".join(html.unescape(move(client, numbers, "avis-demande").text).split())
    assert "1 avis qu'aucun compte de préfecture ne peut donner" in page
    assert f"{chosen['13']} (département 13" not in page
    assert 'id="sans-prefecture"' not in move(client, numbers, "irrecevable", "motif").text
