"""CSV for French spreadsheets: BOM, semicolons, and no formula from data."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from geodata.spreadsheet import BOM, safe_cell, shown_cell, spreadsheet_csv, spreadsheet_xlsx


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+33 1 23", "-fin", "@SUM(A1)",
                                  "\tcaché", "\rretour"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-1.5", "-1,5", "-12", "Le Hublot", "", 3, -2.5, None, True])
def test_numbers_and_plain_values_are_left_alone(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "'=déjà", "''+33", "'-1", "-1,5",
                                  "'apostrophe", "Le Hublot", "", "'"])
def test_a_page_shows_the_text_the_spreadsheet_cell_was_made_of(text):
    written = safe_cell(text)
    assert shown_cell(written) == text
    assert not written.lstrip("'").startswith(("=", "+", "@")) or written.startswith("'")


def test_file_has_a_bom_semicolons_crlf_and_reads_back():
    text = spreadsheet_csv(["id", "nom", "lon"],
                           [["fabt-01", "=1+1", "-1,5"], ["fabt-02", "Café; bar", 4.8]])
    assert text.startswith(BOM)
    assert "\r\n" in text and text.count("\r\n") == 3
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline=""), delimiter=";"))
    assert rows == [["id", "nom", "lon"], ["fabt-01", "'=1+1", "-1,5"],
                    ["fabt-02", "Café; bar", "4.8"]]


def test_the_workbook_keeps_codes_as_text_and_numbers_as_numbers():
    """The CSV's 02361, 02 and 20007198300015 read as 2361, 2 and 2,0007E+13 in a
    spreadsheet: the workbook says each cell's type."""
    book = openpyxl.load_workbook(io.BytesIO(spreadsheet_xlsx(
        ["code commune", "département", "SIRET", "montant", "nom", "conforme", "vide"],
        [["02361", "02", "20007198300015", 30000, "=HYPERLINK(\"x\")", True, None],
         ["2A004", "2A", None, 4.5, "a\x01b", False, float("nan")]], "Vague 2")))
    sheet = book["Vague 2"]
    rows = [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
    assert [value for value, _ in rows[0]][:3] == ["code commune", "département", "SIRET"]
    assert rows[1][:6] == [("02361", "s"), ("02", "s"), ("20007198300015", "s"), (30000, "n"),
                           ("=HYPERLINK(\"x\")", "s"), ("oui", "s")]  # never a formula
    assert rows[1][6][0] is None and rows[2][6][0] is None
    assert rows[2][:5] == [("2A004", "s"), ("2A", "s"), (None, "n"), (4.5, "n"), ("ab", "s")]
    assert sheet.freeze_panes == "A2"
