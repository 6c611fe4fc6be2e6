"""A plain CSV read in polars gives exactly what the csv module reads, row for row.

The files are synthetic (hypothesis): the property is about reading text, not about places.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.eligibility.engine import PRECISIONS
from geodata.eligibility.plain_csv import read_plain
from geodata.eligibility.reading import BatchError, read_locations, read_records, read_table

CELLS = ["", " ", "1.5", " 2,25 ", "-0.5", "+3", ".5", "7.", "1e2", "nan", "inf", "200",
         "-91", "1_0", "٣", "abc", "45,0,1", "--1", "0.00001"]
IDS = st.text(alphabet="aéÀ z0-9_'#&ñ\t", max_size=6)


@st.composite
def csv_files(draw) -> str:
    delimiter = draw(st.sampled_from([",", ";"]))
    header = ["Id", " LON", "lat"]
    if draw(st.booleans()):
        header.append("Précision")
    if draw(st.booleans()):
        header.append("nom")
    lines = [delimiter.join(header)]
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["point", "point", "point", "junk", "blank", "empty",
                                     "short", "long"]))
        if kind == "blank":
            lines.append("")
            continue
        if kind == "empty":
            lines.append(delimiter * (len(header) - 1))
            continue
        lon = draw(st.floats(-10, 60, allow_nan=False))
        lat = draw(st.floats(-30, 55, allow_nan=False))
        decimals = draw(st.integers(0, 7))
        cells = [draw(IDS).replace(delimiter, " "), f"{lon:.{decimals}f}", f"{lat:.{decimals}f}"]
        if delimiter == ";" and draw(st.booleans()):
            cells[1:3] = [cell.replace(".", ",") for cell in cells[1:3]]
        if kind == "junk":
            cells[draw(st.integers(1, 2))] = draw(st.sampled_from(CELLS)).replace(delimiter, "")
        if len(header) > 3:
            cells.append(draw(st.sampled_from([*PRECISIONS, "", " commune ", "rue"])))
        if len(header) > 4:
            cells.append(draw(IDS).replace(delimiter, " "))
        if kind == "short":
            cells = cells[:draw(st.integers(1, len(cells) - 1))]
        if kind == "long":
            cells.append("en trop")
        lines.append(delimiter.join(cells))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(lines) + (end if draw(st.booleans()) else "")


def same(fast, slow) -> None:
    assert fast.lines == slow.lines
    assert fast.ids == slow.ids
    assert fast.raw == slow.raw
    np.testing.assert_array_equal(fast.lon, slow.lon)  # NaN where NaN
    np.testing.assert_array_equal(fast.lat, slow.lat)
    assert fast.precision.tolist() == slow.precision.tolist()
    assert fast.errors == slow.errors


@settings(max_examples=300, deadline=None)
@given(csv_files())
def test_plain_reading_equals_the_csv_module(text):
    same(read_locations(text), read_records(read_table(text)))


def test_a_plain_file_is_read_in_polars_and_a_quoted_one_is_not():
    plain = "id;lon;lat\np1;2,35;48,85\n;;\np2;x;48\n"
    table = read_table(plain)
    rows = read_plain(table.text, table.delimiter, table.columns)
    assert rows is not None and rows.lines == [2, 4] and rows.to_check == [1]
    quoted = 'id;lon;lat\n"p;1";2,35;48,85\n'
    table = read_table(quoted)
    assert read_plain(table.text, table.delimiter, table.columns) is None
    assert read_locations(quoted).ids == ["p;1"]


def test_a_row_with_more_cells_than_columns_is_its_own_error():
    """« 5,4034 » unquoted in a comma-separated file shifts the row's cells: read as they
    stand, it would be lon 5, lat 4034 or worse. Blank cells past the last column are the
    trailing separators spreadsheets write, and harmless."""
    text = "id,lon,lat\np1,5,4034,43,3305\np2,2.3,48.8,,\np3,2.3,48.8,note\n,,,x\n"
    found = read_locations(text.encode())
    assert found.ids == ["p1", "p2", "p3", ""]  # every row kept, none read shifted
    assert sorted(found.errors) == [0, 2, 3]
    assert found.errors[0] == ("ligne 2 : 5 cellules pour 3 colonnes : une valeur contient "
                               "sans doute le séparateur sans être entre guillemets")
    assert found.errors[3].startswith("ligne 5 : 4 cellules pour 3 colonnes")
    assert np.isnan(found.lon[[0, 2, 3]]).all() and (found.lon[1], found.lat[1]) == (2.3, 48.8)


def test_line_numbers_count_blank_lines_and_multiline_cells():
    text = 'id,lon,lat\n"a\nb",2.3,48.8\n\np2,2.3,x\n'
    locations = read_locations(text)
    assert locations.lines == [2, 5]
    assert locations.errors == {1: "ligne 5 : lat non numérique : 'x'"}


LIMIT = csv.field_size_limit()
OVER_THE_LIMIT = {
    "plain id": ("id;lon;lat\np1;2,35;48,85\n" + "x" * (LIMIT + 1) + ";2,35;48,85\n", 3),
    "plain coordinate": ("id,lon,lat\n\np1,2.35," + "4" * (LIMIT + 1) + "\n", 3),
    "unclosed quote": ('id,lon,lat\np1,2.35,48.85\n"p2,2.35,48.85\n' + "p,1,2\n" * LIMIT, 3),
    "header": ("id,lon,lat," + "n" * (LIMIT + 1) + "\np1,2.35,48.85\n", 1),
}


@pytest.mark.parametrize("name", OVER_THE_LIMIT)
def test_a_cell_over_the_csv_module_limit_is_refused_by_both_readings_naming_its_line(name):
    """Polars has no limit, the csv module has one: both readings refuse such a file alike."""
    text, line = OVER_THE_LIMIT[name]
    messages = []
    for read in (read_locations, lambda text: read_records(read_table(text))):
        with pytest.raises(BatchError) as refused:
            read(text)
        messages.append(str(refused.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith(f"ligne {line} : une cellule dépasse 131\u202f072 caractères")


def test_a_cell_at_the_limit_is_read_alike():
    text = "id,lon,lat\n" + "x" * LIMIT + ",2.35,48.85\n"
    table = read_table(text)
    assert read_plain(table.text, table.delimiter, table.columns) is not None  # polars' path
    fast = read_locations(text)
    same(fast, read_records(read_table(text)))
    assert fast.ids == ["x" * LIMIT] and not fast.errors


UNCLOSED = "une cellule entre guillemets court jusqu'à la ligne"


@pytest.mark.parametrize(("text", "error_at", "line", "last"), [
    ('id,lon,lat\n1,5.4034,43.3305\n"2,5.4034,43.3305\n3,5.4034,43.3305\n', 1, 3, 4),
    ('id,lon,lat\n1,5.4034,"43.3305\n2,5.4034,43.3305\n3,5.4034,43.3305\n', 0, 2, 4),
])
def test_an_unclosed_quote_is_said_with_the_lines_it_took(text, error_at, line, last):
    """The rows after an unclosed quote went into its cell: 2 rows for 3, the only error
    « lon vide » (or none), nothing saying that lines were taken."""
    found = read_locations(text.encode())
    assert found.errors[error_at] == (
        f"ligne {line} : {UNCLOSED} {last} (guillemet jamais refermé ?) : les lignes qu'elle "
        "englobe n'ont pas été lues comme des lignes ; refermez le guillemet")


def test_a_quoted_cell_on_two_lines_is_no_unclosed_quote():
    """A spreadsheet's cell on two lines, quoted and closed: read as one value."""
    text = 'id,lon,lat\n"site A\nbâtiment 2",5.4034,43.3305\n"b",5.4034,43.3305\n'
    found = read_locations(text.encode())
    assert found.ids == ["site A\nbâtiment 2", "b"] and found.errors == {}
