"""What Démarches Simplifiées writes in an export's cells, imported on both backends: an
empty « nombre décimal » field as 0 (the hand-made wave of ``tests/data/dossiers``, as
``test_dossiers_import`` imports it).

DS's code (demarches-simplifiees.fr, ``TypesDeChamp::DecimalNumberTypeDeChamp``) exports a
blank decimal champ as ``champ_default_export_value``, which is 0.
"""

from __future__ import annotations

import pandas as pd
import pytest

from geodata.storage.dossiers import list_dossiers
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import (  # noqa: F401 - the fixture
    WAVE,
    ban_fixture,
    imported,
)

pytestmark = pytest.mark.shared_data

YEARS = ("Montant demandé 1re année", "Montant demandé 2e année", "Montant demandé 3e année")


def test_an_amount_of_0_is_read_as_not_given(engine, ban, data_dir, tmp_path):
    """A year left empty on the form, exported as 0, was judged a request of 0 € (« total
    demandé … hors de l'intervalle »)."""
    frame = pd.read_csv(WAVE, dtype=str, keep_default_na=False)
    numbers = frame["ID"]
    frame.loc[numbers == "1234502", YEARS[2]] = "0"  # as a DS .csv writes it
    frame.loc[numbers == "1234505", list(YEARS)] = "0.0"
    zeros = tmp_path / "vague.csv"
    frame.to_csv(zeros, index=False)

    report = imported(engine, ban, data_dir, path=zeros)

    dossiers = {d.number: d for d in list_dossiers(engine, whole=True)}
    first, second = dossiers[1234502], dossiers[1234505]
    assert (first.amount_1, first.amount_2, first.amount_3) == (40000, 35000, None)
    assert first.checks["financement"] == {
        "value": None, "reason": "montant non renseigné pour l'année 3"}
    assert (second.amount_1, second.amount_2, second.amount_3) == (None, None, None)
    assert second.checks["financement"]["reason"] == \
        "montant non renseigné pour l'année 1, 2, 3"
    assert dossiers[1234501].amount_1 == 50000
    assert "2 dossier(s) avec un montant demandé à 0, lu comme non renseigné (Démarches " \
        "Simplifiées écrit 0 pour un champ nombre laissé vide) : 1234502, 1234505" \
        in report.intake.notes

