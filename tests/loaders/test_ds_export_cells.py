"""What a Démarches Simplifiées export's cells hold, imported on both backends: an empty
« nombre décimal » field as 0, and an .ods with date cells (the hand-made wave of
``tests/data/dossiers``, as ``test_dossiers_import`` imports it).

DS's code (demarches-simplifiees.fr, ``TypesDeChamp::DecimalNumberTypeDeChamp``) exports a
blank decimal champ as ``champ_default_export_value``, which is 0.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime

import pandas as pd
import pytest

from geodata.dossiers.calendar import load_calendar
from geodata.storage.dossiers import list_dossiers
from loaders.ds_export import load_mapping, read_dossiers
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import (  # noqa: F401 - the fixture
    BAD_LINES,
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
    assert "2 dossiers avec un montant demandé à 0, lu comme non renseigné (Démarches " \
        "Simplifiées écrit 0 pour un champ nombre laissé vide) : 1234502, 1234505" \
        in report.intake.notes


def test_an_ods_export_with_date_cells_is_imported(engine, ban, data_dir, tmp_path):
    """A DS export as .ods, its dates as date cells (Paris time), as LibreOffice keeps them,
    one to the nanosecond (a day's fraction in binary does not stop at the microsecond:
    « date illisible : '2019-10-02 16:47:55.000000001' »); the numbers as number cells."""
    frame = pd.read_csv(WAVE, dtype=str, keep_default_na=False)
    for column in ("Déposé le", "Passé en instruction le", "Traité le"):
        moments = pd.to_datetime(frame[column], format="%Y-%m-%d %H:%M:%S %z", utc=True,
                                 errors="coerce")
        frame[column] = moments.dt.tz_convert("Europe/Paris").dt.tz_localize(None) \
            .astype("datetime64[ns]")
    frame.loc[frame["ID"] == "1234502", "Déposé le"] += pd.Timedelta(nanoseconds=1)
    frame["ID"] = pd.to_numeric(frame["ID"], errors="coerce")
    export = tmp_path / "export-ds.ods"
    with pd.ExcelWriter(str(export), engine="odf") as writer:  # a Path would write an .xlsx
        frame.to_excel(writer, sheet_name="Dossiers", index=False)
    with zipfile.ZipFile(export) as archive:
        cells = archive.read("content.xml")
    assert b'office:date-value="2019-09-12T10:14:03"' in cells
    assert b'office:date-value="2019-10-02T16:47:55.000000001"' in cells  # a serial's rest

    report = imported(engine, ban, data_dir, path=export)

    assert len(report.stored.created) == 24
    assert {error.line for error in report.intake.errors} == set(BAD_LINES)
    expected = read_dossiers(WAVE, load_mapping("ami-2019"), load_calendar()).dossiers
    assert [(d.number, d.filed_at, d.wave) for d in report.intake.dossiers] == \
        [(d.number, d.filed_at, d.wave) for d in expected]
    stored = {d.number: d for d in list_dossiers(engine)}
    assert stored[1234501].filed_at == datetime(2019, 9, 12, 8, 14, 3, tzinfo=UTC)


@pytest.mark.parametrize(("written", "moment"), [
    ("2019-09-12 10:14:03 +0200", datetime(2019, 9, 12, 8, 14, 3, tzinfo=UTC)),  # DS's CSV
    ("2019-09-12 08:14:03+00:00", datetime(2019, 9, 12, 8, 14, 3, tzinfo=UTC)),  # an offset
    ("2019-09-12 10:14:03.483000001", datetime(2019, 9, 12, 8, 14, 3, 483000, tzinfo=UTC)),
    ("12/09/2019 10:14", datetime(2019, 9, 12, 8, 14, tzinfo=UTC)),  # as shown in French
])
def test_a_filing_date_is_read_in_each_form_a_cell_gives(tmp_path, written, moment):
    frame = pd.read_csv(WAVE, dtype=str, keep_default_na=False)
    frame.loc[frame["ID"] == "1234501", "Déposé le"] = written
    export = tmp_path / "vague.csv"
    frame.to_csv(export, index=False)

    intake = read_dossiers(export, load_mapping("ami-2019"), load_calendar())

    assert next(d for d in intake.dossiers if d.number == 1234501).filed_at == moment
