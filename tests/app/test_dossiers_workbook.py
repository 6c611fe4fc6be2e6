"""The dossiers' export as a workbook: the CSV's SIRET, code commune and département read as
numbers in a spreadsheet (20007198300015 as 2,0007E+13, 02361 as 2361); the .xlsx keeps
them as text cells, the amounts as numbers, and says the same rows as the CSV."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
import pytest

from geodata.dossiers.export import export_csv, export_rows
from geodata.eligibility.sentences import PRECISION_LABELS
from geodata.spreadsheet import XLSX_MIMETYPE
from geodata.storage.dossiers import list_dossiers
from tests.app.test_dossiers_pages import two_departements_fixture, wave_fixture  # noqa: F401
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.forms_sent import sent

pytestmark = pytest.mark.shared_data


def test_the_workbook_keeps_the_codes_as_text(wave, client, login):
    login(client)
    answer = client.get("/instruction/dossiers.xlsx?vague=2")
    assert answer.status_code == 200 and answer.mimetype == XLSX_MIMETYPE
    assert "dossiers-vague-2.xlsx" in answer.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    header, *rows = [list(row) for row in sheet.iter_rows()]
    exported = client.get("/instruction/dossiers.csv?vague=2").text.removeprefix("\ufeff")
    csv_header, *csv_rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert [cell.value for cell in header] == csv_header
    assert [row[0].value for row in rows] == [int(row[0]) for row in csv_rows]
    column = {cell.value: i for i, cell in enumerate(header)}
    codes = [row[column[name]] for row in rows
             for name in ("SIRET", "Code commune", "Département") if row[column[name]].value]
    assert codes and all(cell.data_type == "s" for cell in codes)
    assert any(cell.value == "13" for cell in codes)
    amounts = [row[column["Montant total demandé (€)"]] for row in rows]
    assert any(isinstance(cell.value, int) for cell in amounts)
    page = client.get("/instruction/dossiers?vague=2").text
    assert 'formaction="/instruction/dossiers.xlsx"' in page
    assert 'formaction="/instruction/dossiers.csv"' in page


def exported_numbers(answer) -> list[int]:
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    return [int(row[0]) for row in rows[1:]]


@pytest.mark.parametrize("changed, kept", [
    ({"vague": "1"}, lambda wave: list_dossiers(wave, "1")),
    ({"recherche": "fabulerie"}, lambda wave: [d for d in list_dossiers(wave, "2")
                                               if d.number == 1234505]),
    ({"vague": "1", "tri": "raison_sociale"}, None),
])
def test_the_exports_take_the_filters_on_screen_not_those_last_applied(
        wave, client, login, changed, kept):
    """On ``?vague=2``, wave 1 chosen (or a name typed) and « Exporter » pressed without
    « Filtrer »: the file was wave 2's 20 dossiers. The exports send the form as it stands,
    every field of it (the page's own fields are the export's)."""
    login(client)
    page = html.unescape(client.get("/instruction/dossiers?vague=2").text)
    listed = client.get(sent(page, "filtres", "Filtrer", **changed))
    expected = [int(n) for n in re.findall(r'<tr data-numero="(\d+)">', listed.text)]
    if kept is not None:
        assert sorted(expected) == sorted(d.number for d in kept(wave))
    assert expected
    answer = client.get(sent(page, "filtres", "Exporter en CSV", **changed))
    assert answer.status_code == 200 and exported_numbers(answer) == expected
    wave_asked = changed.get("vague", "2")
    assert f"dossiers-vague-{wave_asked}.csv" in answer.headers["Content-Disposition"]
    workbook = client.get(sent(page, "filtres", "Exporter (tableur, .xlsx)", **changed))
    assert f"dossiers-vague-{wave_asked}.xlsx" in workbook.headers["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(workbook.data)).active.iter_rows())[1:]
    assert [row[0].value for row in rows] == expected


def test_the_exports_ignore_a_field_they_do_not_know(wave, client, login):
    """A field some future form or an old bookmark adds is no reason to refuse a file."""
    login(client)
    answer = client.get("/instruction/dossiers.csv?vague=1&plus-de-filtres=on&page=2&x=1")
    assert answer.status_code == 200
    assert sorted(exported_numbers(answer)) == sorted(d.number for d in list_dossiers(wave, "1"))


def test_the_precision_is_said_as_the_checker_says_it(wave, client, login):
    """« point » in the spreadsheet's « Précision » and « (point) » on the dossier's page:
    the checker's words (« coordonnées exactes », « adresse »...); the plain CSV keeps the
    codes, for programs."""
    login(client)
    said = set(PRECISION_LABELS.values())
    sheet = openpyxl.load_workbook(io.BytesIO(
        client.get("/instruction/dossiers.xlsx?vague=2").data)).active
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    column = header.index("Précision")
    in_workbook = {row[column] for row in rows} - {None}
    assert in_workbook and in_workbook <= said
    exported = client.get("/instruction/dossiers.csv?vague=2").text.removeprefix("\ufeff")
    csv_header, *csv_rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert {row[column] for row in csv_rows} - {""} == in_workbook
    plain = list(csv.DictReader(io.StringIO(export_csv(list_dossiers(wave, "2")))))
    assert {row["precision"] for row in plain} - {""} <= set(PRECISION_LABELS)
    located = next(d for d in list_dossiers(wave, "2") if d.precision)
    page = html.unescape(client.get(f"/instruction/dossiers/{located.number}").text).replace(
        "\u00a0", " ")
    coordinates = page.split("<dt>Coordonnées</dt>")[1].split("</dd>")[0]
    assert coordinates.endswith(f"(précision : {PRECISION_LABELS[located.precision]})")


def test_an_undecided_check_is_said_to_check_not_left_empty(wave, client, login):
    """« Financement conforme » was an empty cell where the page says « à vérifier » (an
    amount not given): read in a spreadsheet as a check not made. So for each check."""
    login(client)
    rows = export_rows(list_dossiers(wave, "2"))
    sheet = openpyxl.load_workbook(io.BytesIO(
        client.get("/instruction/dossiers.xlsx?vague=2").data)).active
    header, *cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    seen = 0
    for column, title in (("forme_juridique_eligible", "Forme juridique admise"),
                          ("financement_conforme", "Financement conforme"),
                          ("hors_grands_centres_urbains", "Hors des grands centres urbains")):
        said = {row[0]: row[header.index(title)] for row in cells}
        for row in rows:
            expected = {True: "oui", False: "non", None: "à vérifier"}[row[column]]
            assert said[row["numero"]] == expected, (column, row["numero"])
            seen += row[column] is None
    assert seen  # the hand-made wave has undecided checks (dossiers not located)
