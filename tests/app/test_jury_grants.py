"""A laureate decision grants at most what the rules allow, on both backends: the hand-made
wave of ``tests/data/dossiers`` as ``test_jury_pages`` imports it, with Villeurbanne's
Fabrique de Territoire (1234510: 60 000 € asked in year 1, over the 50 000 € a year) sent
to the jury. The confirmation page says what is capped; the decision, the letter and the
laureate written at the closing keep the capped amounts."""

from __future__ import annotations

import re

import pytest

from geodata.storage.dossiers import dossier_events, move_dossiers
from geodata.storage.jury import ASKED, CAPPED, DECIDED
from geodata.storage.jury_laureates import GRANTED
from tests.app.conftest import followed
from tests.app.test_jury_pages import bouches_du_rhone, post, text  # noqa: F401
from tests.app.test_jury_pages import wave as jury_wave  # noqa: F401
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data

VILLEURBANNE = 1234510


def test_a_grant_above_the_yearly_cap_is_capped_and_said(jury_wave, client, login):  # noqa: F811
    wave = jury_wave
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [VILLEURBANNE], target, "instructrice")
    login(client)
    fields = {"numero": str(VILLEURBANNE), "vers": "laureat",
              "motivation": "Projet solide"}

    confirmation = text(post(client, "/instruction/jury/decisions", **fields))
    assert "Montants accordés dans les limites des règles" in confirmation
    assert (f"Dossier {VILLEURBANNE} : 145 000 € demandés, 135 000 € accordés au plus selon "
            "les règles (année 1 : 60 000 € → 50 000 €)." in confirmation)  # spaces collapsed

    decided = post(client, "/instruction/jury/decisions", **fields, confirme="oui")
    assert decided.status_code in (302, 303)
    event = next(e for e in dossier_events(wave, VILLEURBANNE) if e.kind == DECIDED)
    assert event.details[GRANTED] == [50_000, 45_000, 40_000]
    assert event.details[ASKED] == [60_000, 45_000, 40_000] and "60\u202f000" in \
        event.details[CAPPED]
    history = text(client.get(f"/instruction/dossiers/{VILLEURBANNE}"))
    assert "décision du jury : Lauréat (145 000 € demandés, 135 000 € accordés" in history
    letter = text(client.get(f"/instruction/dossiers/{VILLEURBANNE}/courrier"))
    assert re.search(r"Le soutien de l'État porte sur 135 000 € sur trois ans.*"
                     r"50 000 € la première année", letter)
    assert "<dt>Montants demandés</dt><dd>60 000 €, 45 000 €, 40 000 €</dd> <dt>Montants " \
        "accordés</dt><dd>50 000 €, 45 000 €, 40 000 €</dd>" in letter


@pytest.mark.parametrize(("fields", "wrong", "said"), [
    ({"membres": "   ", "confirme": "oui"}, "membres", "les membres présents sont obligatoires"),
    ({"membres": "Mme A (DGCL)"}, "confirme", "cochez la case qui confirme la clôture"),
    ({"membres": ",;", "confirme": "oui"}, "membres",  # what was typed, quoted
     "les membres présents : au moins un nom (« ,; »"),
    ({"membres": "X", "confirme": "oui"}, "membres",
     "les membres présents : au moins un nom (« X »"),
])
def test_a_closing_refused_says_why_on_its_field(jury_wave, client, login, fields, wrong,  # noqa: F811
                                                  said):
    """A closing without members came back with a banner at the top of a long page, the
    field unmarked and the confirmation unticked."""
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         motivation="Motif du jury", vague="2", confirme="oui")

    seen = re.search(r'name="decisions_vues" value="(\w+)"', client.get(
        "/instruction/jury?vague=2").text).group(1)
    answer = post(client, "/instruction/jury/cloture", vague="2", decisions_vues=seen, **fields)

    page = followed(client, answer, "/instruction/jury?vague=2#cloture").text
    field = re.search(r'<(?:textarea|input)[^>]*aria-describedby="' + wrong
                      + r'-erreur"[^>]*>', page)
    assert field and "autofocus" in field.group(0)
    assert f'id="{wrong}-erreur">{said}' in page
    box = re.search(r'<input type="checkbox" id="confirme-cloture"[^>]*>', page).group(0)
    assert ("checked" in box) == (fields.get("confirme") == "oui")  # as it was sent
    assert "Mme A (DGCL)" in page or wrong == "membres"  # the members as typed
