"""CSV for French spreadsheets: BOM, semicolons, and no formula from data."""

from __future__ import annotations

import csv
import io

import pytest

from geodata.spreadsheet import BOM, safe_cell, shown_cell, spreadsheet_csv


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
