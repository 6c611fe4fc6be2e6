"""A Démarches Simplifiées export as a workbook (.xlsx, .ods): every cell as text.

An .xlsx is first streamed with openpyxl (read-only) to bound what it holds: a 6.6 KB file
with one cell at XFD1048576 made pandas build a sheet of a million rows by 16,384 columns
and the kernel killed the import at 22 GB. Beyond ``MAX_ROWS`` rows or ``MAX_COLUMNS``
columns of content, the file is refused, naming its farthest cell. A formula whose value
was never computed (a file written by a program, not saved by a spreadsheet) reads as an
empty cell and silently erased the stored value: it is refused, naming its cell. Rows with
no value at all are left out, as in a CSV, keeping each other row's line.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from geodata.french import number
from loaders.errors import LoadError
from loaders.read import CsvTable

__all__ = ["MAX_COLUMNS", "MAX_ROWS", "read_workbook"]

MAX_ROWS = 100_000
"""The most rows of content (header included) an export may have."""

MAX_COLUMNS = 1_000
"""The most columns of content an export may have (a DS export has about a hundred)."""

SHEET = "Dossiers"


def read_workbook(path: Path) -> CsvTable:
    """The export's sheet « Dossiers » (else its first) with every cell as text."""
    kind = path.suffix.lower().lstrip(".")
    formulas = _bounded_formulas(path) if kind == "xlsx" else []
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as error:  # noqa: BLE001 - openpyxl and odfpy raise many kinds
        raise _unreadable(path, kind) from error
    frame = sheets.get(SHEET, next(iter(sheets.values()), None))
    if frame is None:
        raise LoadError("classeur sans feuille", path=str(path))
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


def _bounded_formulas(path: Path) -> list[tuple[int, int, str]]:
    """The formulas of the sheet read, ``(row, column, text)``, once its content is known
    to fit in ``MAX_ROWS`` by ``MAX_COLUMNS`` (a LoadError naming its farthest cell)."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
        raise _unreadable(path, "xlsx") from error
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()  # the declared extent may lie: read the cells
        formulas, last_row, last_column = [], 0, 0
        for cells in sheet.iter_rows():
            for cell in cells:
                if getattr(cell, "value", None) is None:
                    continue
                last_row, last_column = cell.row, max(last_column, cell.column)
                if cell.data_type == "f":
                    formulas.append((cell.row, cell.column, str(cell.value)))
            if last_row > MAX_ROWS or last_column > MAX_COLUMNS:
                raise LoadError(
                    f"le classeur a du contenu jusqu'à la cellule "
                    f"{get_column_letter(last_column)}{last_row} : au plus "
                    f"{number(MAX_ROWS)} lignes et {number(MAX_COLUMNS)} colonnes (une "
                    "cellule remplie loin du tableau ?)", path=str(path))
        return formulas
    finally:
        book.close()


def _unreadable(path: Path, kind: str) -> LoadError:
    return LoadError(f"classeur illisible : le fichier n'est pas un classeur .{kind} valide "
                     "(abîmé, ou d'un autre format renommé) ; ouvrez-le dans le tableur et "
                     f"enregistrez-le de nouveau en .{kind} ou en CSV UTF-8", path=str(path))
