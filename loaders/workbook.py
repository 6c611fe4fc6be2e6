"""A Démarches Simplifiées export as a workbook (.xlsx, .ods): every cell as text.

DS writes a workbook's dossiers in its sheet « Dossiers », and their SIRET and legal form in
the sheet « Etablissements » (``ESTABLISHMENTS``; a CSV export has them among the dossiers'
columns). A workbook is first streamed to bound what it holds, then only the sheet asked
(« Dossiers »: else its first) is read: a 6.6 KB .xlsx with one cell at XFD1048576 made
pandas build a sheet of a million rows by 16,384 columns (the kernel killed the import at
22 GB), and an 832-byte .ods of repeated rows and columns asked for 125 GiB. Beyond
``MAX_ROWS`` rows or ``MAX_COLUMNS`` columns of content (repeats counted), the file is
refused, naming its farthest cell. An .xlsx formula whose value was never computed (a file
written by a program, not saved by a spreadsheet) reads as an empty cell and silently
erased the stored value: it is refused, naming its cell; a formula whose text result is
empty (``t="str"``) was computed, and is read as empty. Rows with no value at all are left
out, as in a CSV, keeping each other row's line.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from defusedxml import ElementTree
from openpyxl.utils import get_column_letter

from geodata.french import number
from loaders.errors import LoadError
from loaders.read import CsvTable

__all__ = ["ESTABLISHMENTS", "MAX_COLUMNS", "MAX_ROWS", "SHEET", "read_workbook"]

MAX_ROWS = 100_000
"""The most rows of content (header included) an export may have."""

MAX_COLUMNS = 1_000
"""The most columns of content an export may have (a DS export has about a hundred)."""

SHEET = "Dossiers"
ESTABLISHMENTS = "Etablissements"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def read_workbook(path: Path, wanted: str = SHEET) -> CsvTable | None:
    """The export's sheet ``wanted`` with every cell as text: the sheet « Dossiers », else
    the first; another sheet, or None when the workbook has none of that name."""
    kind = path.suffix.lower().lstrip(".")
    sheet, formulas = _bounded_xlsx(path, wanted) if kind == "xlsx" \
        else (_bounded_ods(path, wanted), [])
    if sheet is None:
        return None
    try:  # that sheet only: pandas makes every sheet it reads as wide as its content
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False)
    except Exception as error:  # noqa: BLE001 - openpyxl and odfpy raise many kinds
        raise _unreadable(path, kind) from error
    columns = [str(c) for c in frame.columns]
    rows = [{str(k): ("" if v is None else str(v)) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]
    for row, column, formula in formulas:  # row 2 of the sheet is the frame's first
        if 0 <= row - 2 < len(rows) and column <= len(columns) \
                and not rows[row - 2][columns[column - 1]].strip():
            raise LoadError(
                f"cellule {get_column_letter(column)}{row} : formule {formula[:40]!r} sans "
                "valeur calculée (le fichier n'a pas été enregistré par un tableur) : "
                "ouvrez-le dans le tableur et enregistrez-le, ou tapez la valeur",
                path=str(path), row=row, field=columns[column - 1])
    kept = [(row, line) for line, row in enumerate(rows, start=2)
            if any(value.strip() for value in row.values())]
    return CsvTable(path, columns, [row for row, _ in kept], [line for _, line in kept])


def _sheet_named(names: list[str], wanted: str) -> str | None:
    """The sheet to read of a workbook with sheets ``names`` (``read_workbook``)."""
    if wanted in names:
        return wanted
    return names[0] if wanted == SHEET else None


def _bounded_xlsx(path: Path, wanted: str) -> tuple[str | None, list[tuple[int, int, str]]]:
    """The sheet to read (``_sheet_named``) and its formulas not known to be computed,
    ``(row, column, text)``, once its content is known to fit in ``MAX_ROWS`` by
    ``MAX_COLUMNS``."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
        raise _unreadable(path, "xlsx") from error
    try:
        if not book.sheetnames:
            raise LoadError("classeur sans feuille", path=str(path))
        name = _sheet_named(book.sheetnames, wanted)
        if name is None:
            return None, []
        sheet = book[name]
        sheet.reset_dimensions()  # the declared extent may lie: read the cells
        formulas, last_row, last_column = [], 0, 0
        for cells in sheet.iter_rows():
            for cell in cells:
                if getattr(cell, "value", None) is None:
                    continue
                last_row, last_column = cell.row, max(last_column, cell.column)
                if cell.data_type == "f":
                    formulas.append((cell.row, cell.column, str(cell.value)))
            _bounded(path, last_row, last_column)
        if formulas:
            strings = _string_formulas(path, sheet._worksheet_path)  # noqa: SLF001 - its part
            formulas = [(row, column, text) for row, column, text in formulas
                        if f"{get_column_letter(column)}{row}" not in strings]
        return sheet.title, formulas
    finally:
        book.close()


def _string_formulas(path: Path, part: str) -> set[str]:
    """The cells of the sheet ``part`` whose formula gives a text (``t="str"``): an empty
    value there was computed (``=SI(…;"";…)``), not missing."""
    found = set()
    with zipfile.ZipFile(path) as archive, archive.open(part) as xml:
        for _, element in ElementTree.iterparse(xml):
            if element.tag.endswith("}c"):
                if element.get("t") == "str":
                    found.add(element.get("r"))
                element.clear()
    return found


def _bounded_ods(path: Path, wanted: str) -> str | None:
    """The sheet to read of an .ods (``_sheet_named``), once every sheet's content, repeated
    rows and columns counted, is known to fit in ``MAX_ROWS`` by ``MAX_COLUMNS``."""
    names, row, column, last_row, last_column = [], 0, 0, 0, 0
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as xml:
            for event, element in ElementTree.iterparse(xml, events=("start", "end")):
                if event == "start":
                    if element.tag == f"{TABLE}table":
                        names.append(element.get(f"{TABLE}name"))
                        row = last_row = last_column = 0
                elif element.tag in (f"{TABLE}table-cell", f"{TABLE}covered-table-cell"):
                    column += int(element.get(f"{TABLE}number-columns-repeated", "1"))
                    if len(element) or element.get(f"{OFFICE}value-type"):
                        last_row, last_column = row + 1, max(last_column, column)
                    element.clear()
                elif element.tag == f"{TABLE}table-row":
                    repeated = int(element.get(f"{TABLE}number-rows-repeated", "1"))
                    if last_row == row + 1:  # content in this row: each repeat has it
                        last_row = row + repeated
                    row, column = row + repeated, 0
                    _bounded(path, last_row, last_column)
                    element.clear()
    except LoadError:
        raise
    except Exception as error:  # noqa: BLE001 - zipfile, XML and number errors alike
        raise _unreadable(path, "ods") from error
    if not names:
        raise LoadError("classeur sans feuille", path=str(path))
    return _sheet_named(names, wanted)


def _bounded(path: Path, last_row: int, last_column: int) -> None:
    """A LoadError naming the farthest cell of content when it lies out of bounds."""
    if last_row > MAX_ROWS or last_column > MAX_COLUMNS:
        raise LoadError(
            f"le classeur a du contenu jusqu'à la cellule {get_column_letter(last_column)}"
            f"{last_row} : au plus {number(MAX_ROWS)} lignes et {number(MAX_COLUMNS)} "
            "colonnes (une cellule remplie loin du tableau ?)", path=str(path))


def _unreadable(path: Path, kind: str) -> LoadError:
    return LoadError(f"classeur illisible : le fichier n'est pas un classeur .{kind} valide "
                     "(abîmé, ou d'un autre format renommé) ; ouvrez-le dans le tableur et "
                     f"enregistrez-le de nouveau en .{kind} ou en CSV UTF-8", path=str(path))
