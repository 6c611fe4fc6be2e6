# ruff: noqa: F811 - the fixtures of test_jury_pages, imported, are named as arguments
"""The dossiers' export says the jury's decision in force, for the minutes of its session:
the decision, its motivation, its session (number, closing day) and the amounts granted,
appended after the columns that were there (the hand-made wave of ``tests/data/dossiers``,
the BAN local, as ``test_jury_pages``)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from geodata.dossiers.export import COLUMNS, FRENCH_HEADERS
from geodata.french import in_paris
from geodata.storage.jury import jury_sessions
from tests.app.test_jury_pages import bouches_du_rhone, close, post, wave  # noqa: F401
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data

BEFORE = 27
"""The export's columns before the jury's (their order is kept: programs read by position)."""


def decide(client, number: str, decision: str, motivation: str) -> None:
    post(client, "/instruction/jury/decisions", numero=[number], vers=decision,
         motivation=motivation, vague="2", confirme="oui")


def test_the_export_says_each_decision_with_its_session(wave, client, login, runner, tmp_path):
    """The export of /instruction/dossiers?vague=2 had no column for the jury's decision:
    the secretary wrote the minutes from the session page, with no closing date."""
    login(client)
    decide(client, "1234505", "laureat", "Ancrage dans le quartier")
    decide(client, "1234509", "refuse-recandidater", "Budget à préciser")
    close(client, membres="Mme A (DGCL)", confirme="oui")
    decide(client, "1234515", "laureat", "Décision annulée ensuite")
    post(client, "/instruction/jury/annulation", numero=["1234515"], vague="2",
         motivation="Erreur de saisie")
    decide(client, "1234515", "refuse-accompagnement", "À accompagner")  # session 2, open
    day = f"{in_paris(jury_sessions(wave, '2')[0].closed_at):%d/%m/%Y}"

    exported = client.get("/instruction/dossiers.csv?vague=2").text.removeprefix("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert header[BEFORE - 1] == "État sur Démarches Simplifiées"  # kept, in its place
    assert header[BEFORE:] == ["Décision du jury", "Motivation de la décision",
                               "Session du jury (n°)", "Session close le",
                               "Montant accordé 1re année (€)", "Montant accordé 2e année (€)",
                               "Montant accordé 3e année (€)"]
    said = {row[0]: row[BEFORE:] for row in rows}
    assert said["1234505"] == ["Lauréat", "Ancrage dans le quartier", "1", day,
                               "50000", "50000", "50000"]
    assert said["1234509"] == ["Refusé, invité à recandidater", "Budget à préciser", "1", day,
                               "", "", ""]
    assert said["1234515"] == ["Refusé, invité à se faire accompagner", "À accompagner", "2",
                               "", "", "", ""]  # the reversed decision is not said
    assert said["1234506"] == [""] * 7  # undecided
    sheet = openpyxl.load_workbook(io.BytesIO(
        client.get("/instruction/dossiers.xlsx?vague=2").data)).active
    cells = {row[0]: row[BEFORE:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells[1234505] == ("Lauréat", "Ancrage dans le quartier", 1, day,
                              50000, 50000, 50000)

    written = runner.invoke(args=["dossiers", "exporter", "--vague", "2", "-o",
                                  str(tmp_path / "vague-2.csv")])
    assert written.exit_code == 0, written.output
    plain = {row["numero"]: row for row in csv.DictReader(io.StringIO(
        (tmp_path / "vague-2.csv").read_text(encoding="utf-8")))}
    assert list(plain["1234505"])[:BEFORE] == list(COLUMNS[:BEFORE])
    assert [plain["1234509"][c] for c in COLUMNS[BEFORE:]] == [
        "refuse-recandidater", "Budget à préciser", "1",
        f"{in_paris(jury_sessions(wave, '2')[0].closed_at):%Y-%m-%d}", "", "", ""]
    assert len(FRENCH_HEADERS) == len(COLUMNS)
