"""CSV for French spreadsheets: UTF-8 with a byte order mark, ``;`` between cells, and no
formula from data (CSV injection).

A spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) as a formula: a name typed by an applicant or published in a dataset must not do
that, so such text gets a leading apostrophe. A number written as text (``-1.5``,
``-1,5``) is left as it is. Text that already begins with an apostrophe before such a
character gets one more, so that ``shown_cell`` gives back exactly what was written: a page
showing a file written for a spreadsheet shows the applicant's text, not the apostrophe.

The same table as a workbook (``spreadsheet_xlsx``, with openpyxl, already a dependency
for reading Démarches Simplifiées exports): what a CSV cannot say, each cell's type. A
code (commune ``02361``, département ``02``, SIRET) is a text cell that a spreadsheet
keeps as typed, a number a number, and text starting with ``=`` text, never a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from numbers import Real

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

__all__ = ["BOM", "FORMULA_START", "XLSX_MIMETYPE", "french_value", "safe_cell", "shown_cell",
           "spreadsheet_csv", "spreadsheet_xlsx"]

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def _disarmed(text: str) -> bool:
    """Whether ``safe_cell`` puts an apostrophe before ``text``."""
    runs = text.lstrip("'").startswith(FORMULA_START)
    return runs and not NUMBER.fullmatch(text)


def safe_cell(value):
    """``value``, with a leading apostrophe when it is text a spreadsheet would run (or such
    text behind apostrophes)."""
    if isinstance(value, str) and _disarmed(value):
        return "'" + value
    return value


def shown_cell(text: str) -> str:
    """The text ``safe_cell`` was given, from what it wrote: ``'=HYPERLINK(…)`` is shown as
    ``=HYPERLINK(…)``, which a page escapes and never runs."""
    if text.startswith("'") and _disarmed(text[1:]):
        return text[1:]
    return text


def french_value(value) -> str:
    """A value as a French spreadsheet reads it: empty for None (or NaN), oui/non, decimal
    commas."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """The whole file: BOM, header, then the rows (CRLF line ends, as spreadsheets write)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()


def spreadsheet_xlsx(header: Sequence[str], rows: Iterable[Sequence], title: str) -> bytes:
    """The whole workbook: one sheet named ``title``, the header in bold and frozen, then
    the rows; numbers as numbers, oui/non, and any other value as a text cell."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_cell(sheet, name, bold) for name in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet, value, font: Font | None = None) -> WriteOnlyCell:
    """One cell: a number stays a number; anything else is text, never a formula."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return WriteOnlyCell(sheet, value=value if value == value else None)  # NaN: empty
    if value is None:
        return WriteOnlyCell(sheet)
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", french_value(value)))
    cell.data_type = "s"  # openpyxl reads a text starting with « = » as a formula
    if font is not None:
        cell.font = font
    return cell
