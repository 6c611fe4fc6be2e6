"""CSV for French spreadsheets: UTF-8 with a byte order mark, ``;`` between cells, and no
formula from data (CSV injection).

A spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) as a formula: a name typed by an applicant or published in a dataset must not do
that, so such text gets a leading apostrophe. A number written as text (``-1.5``,
``-1,5``) is left as it is. Text that already begins with an apostrophe before such a
character gets one more, so that ``shown_cell`` gives back exactly what was written: a page
showing a file written for a spreadsheet shows the applicant's text, not the apostrophe.

Pure: the standard library only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

__all__ = ["BOM", "FORMULA_START", "french_value", "safe_cell", "shown_cell", "spreadsheet_csv"]

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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
