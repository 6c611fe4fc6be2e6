"""Who did what to a dossier, as its pages say it: an account by its email, the command line
as the service's operator, its system account said in words (stored as « ligne de commande
(root) », which a prefecture read as is). On both backends, with the hand-made wave of
``tests/data/dossiers``."""

from __future__ import annotations

import html

import pytest

from geodata.dossiers.actors import actor_said, command_line_actor
from geodata.storage.dossiers import list_dossiers, move_dossiers
from tests.app.test_dossiers_avis import avis
from tests.app.test_dossiers_pages import (  # noqa: F401 - the two fixtures
    prefecture,
    two_departements_fixture,
    wave_fixture,
)
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data

SAID = "l'exploitant du service (ligne de commande, compte système root)"


def test_the_command_line_is_said_as_the_operator():
    assert command_line_actor().startswith("ligne de commande (")  # stored: for an audit
    assert actor_said("ligne de commande (root)") == SAID
    assert actor_said("instructrice@exemple.gouv.fr") == "instructrice@exemple.gouv.fr"
    assert actor_said(None) == ""


def test_a_prefecture_reads_who_asked_its_avis_again(wave, client, login):
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "ligne de commande (root)")
    prefecture(client, login, "13")
    assert avis(client, number).status_code == 302
    move_dossiers(wave, [number], "avis-demande", "ligne de commande (root)",
                  "Préciser le bail")
    page = html.unescape(client.get(f"/instruction/dossiers/{number}").text)
    said = " ".join(page.split())
    assert f"par {SAID} : « Préciser le bail »" in said  # the avis asked again
    assert f"<td>{SAID}</td>" in said  # the history
    assert "ligne de commande (root)" not in said
