"""A cell over the csv module's limit (131,072 characters): the quote is blamed only when the
record holds one left open. The audit's file had 3 million digits and no quote at all, and
was told « guillemet jamais refermé ? »."""

from __future__ import annotations

import pytest

from geodata.eligibility.addresses import read_batch
from geodata.eligibility.chunks import opened_table
from geodata.eligibility.reading import BatchError, read_locations

DIGITS = "9" * 3_000_000
QUOTE_HINT = "(guillemet jamais refermé ?)"


def refusal(data: str) -> str:
    with pytest.raises(BatchError) as error:
        list(read_locations(data).ids)
    return str(error.value)


@pytest.mark.parametrize("data", [
    f"id;lon;lat\np1;5,4034;43,3305\np2;{DIGITS};43\n",  # the audit's huge.csv
    f'id;lon;lat\n"p1";5,4034;43,3305\np2;{DIGITS};43\n',  # quotes elsewhere, closed
])
def test_a_long_cell_without_quotes_is_not_blamed_on_a_quote(data):
    assert refusal(data) == "ligne 3 : une cellule dépasse 131\u202f072 caractères"
    with pytest.raises(BatchError, match="^ligne 3 : une cellule dépasse 131\u202f072 "
                                         "caractères$"):
        read_batch(data)  # the batch page's reading


@pytest.mark.parametrize("data", [
    f'id;lon;lat\np1;5,4034;43,3305\np2;"{DIGITS};43\n',  # opened on its line, never closed
    f'id;lon;lat\np1;"5,4034;43,3305\np2;6;43\n{DIGITS}\n',  # opened, took the next lines
])
def test_a_quote_left_open_is_named(data):
    assert QUOTE_HINT in refusal(data)


def test_a_file_on_disk_says_the_same(tmp_path):
    path = tmp_path / "lot.csv"
    path.write_text(f'id;lon;lat\n"p1";5,4034;43,3305\np2;{DIGITS};43\n', encoding="utf-8")
    with opened_table(path) as table, pytest.raises(BatchError) as error:
        list(table.records())
    assert str(error.value).startswith("ligne 3 : une cellule dépasse")
    assert QUOTE_HINT not in str(error.value)
    path.write_text(f'id;lon;lat\np1;"5,4034;43,3305\np2;6;43\n{DIGITS}\n', encoding="utf-8")
    with opened_table(path) as table, pytest.raises(BatchError) as error:
        list(table.records())
    assert QUOTE_HINT in str(error.value)
