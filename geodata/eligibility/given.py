"""The uploaded file's own columns, kept in the batch page's result file.

The page promises a file that keeps every row: it keeps every column too, as typed, in
their order, before the service's columns (``Locations.given``, written by
``geodata.eligibility.batch.write_chunks``). A column whose name the service writes too
(``id``, ``lon`` read as ``longitude``, ``commune``...) takes ``GIVEN_SUFFIX``, so that the
file never has two columns of one name and can be read again. Columns without a name (a
spreadsheet's trailing separators) are left out.

The API's CSV and JSON do not have these columns: their columns are a contract
(docs/api.md), and a program that sent the file has its columns already.
"""

from __future__ import annotations

from geodata.eligibility.french_csv import FRENCH_HEADERS, GIVEN_SUFFIX
from geodata.eligibility.reading import Locations, column_name, read_table

__all__ = ["given_columns"]

SERVICE = {column_name(name) for pair in FRENCH_HEADERS.items() for name in pair}
"""The service's columns, English and French, as ``reading`` names them."""


def given_columns(data: bytes | str, locations: Locations) -> dict[str, list[str | None]]:
    """The file's own columns (name as typed -> cell of each row of ``locations``, None
    when the row is short of it), the rows matched by their line."""
    table = read_table(data)
    by_line = dict(table.records)
    rows = [by_line.get(line, {}) for line in locations.lines]
    kept = {}
    for name, column in zip(table.names, table.columns, strict=True):
        if column:
            header = f"{name}{GIVEN_SUFFIX}" if column in SERVICE else name
            kept[header] = [row.get(column) or None for row in rows]  # "" written empty
    return kept
