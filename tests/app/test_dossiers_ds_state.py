"""A dossier's state on Démarches Simplifiées, in the dossiers' list and its export: each
settled state has its badge (« refusé sur DS », « classé sans suite sur DS », « accepté sur
DS »), and the export has a column of it.

The wave is the one ``test_dossiers_pages`` imports (``tests/data/dossiers``).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import update

from geodata.storage.dossier_models import Dossier
from tests.app.test_dossiers_pages import (  # noqa: F401 - the wave's fixtures
    two_departements_fixture,
    wave_fixture,
)
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data


def accepted(engine) -> str:
    """A dossier of wave 2 made « accepté » on DS (the fixture has one, of wave 1)."""
    with engine.begin() as connection:
        connection.execute(update(Dossier).where(Dossier.number == 1234507)
                           .values(ds_state="accepte", wave="2"))
    return "1234507"


def test_an_accepted_dossier_has_its_badge_as_a_refused_one(wave, client, login):
    """An accepted dossier (1234501 on the audit's instance) said « Déposé » and nothing
    else, its page « accepté » on DS."""
    number = accepted(wave)
    login(client)
    listed = client.get("/instruction/dossiers?vague=2").text
    rows = dict(re.findall(r'<tr data-numero="(\d+)">(.*?)</tr>', listed, re.S))
    assert re.search(r'fr-badge--success[^"]*">accepté sur DS<', rows[number])
    assert re.search(r'fr-badge--warning[^"]*">refusé sur DS<', rows["1234516"])
    assert "sur DS" not in rows["1234505"]  # en instruction: nothing to say


def test_the_export_has_the_state_on_demarches_simplifiees_after_the_amounts(wave, client,
                                                                            login):
    number = accepted(wave)
    login(client, "ministry")
    exported = client.get("/instruction/dossiers.csv?vague=2").text.removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert rows[0][:3] == ["Numéro", "Vague", "État"]  # the columns before are kept
    ds = rows[0].index("État sur Démarches Simplifiées")  # the jury's columns come after it
    assert rows[0][ds - 1:ds + 2] == ["Montant 3e année (€)", "État sur Démarches Simplifiées",
                                      "Décision du jury"]
    states = {row[0]: row[ds] for row in rows[1:]}
    assert (states[number], states["1234516"], states["1234505"]) == (
        "accepté", "refusé", "en instruction")
