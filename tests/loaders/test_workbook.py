"""A workbook export is bounded, its formulas without value refused, its blank rows left out
(``loaders.workbook``), on the real path of an import where the store is involved.

The workbooks are written with openpyxl from the fixture wave (``tests/data/dossiers``,
synthetic dossiers), each altered as its test says: a cell at XFD1048576 (6.6 KB, it took
22 GB), a formula no spreadsheet computed (it erased the stored project name), blank rows.
"""

from __future__ import annotations

import csv
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from geodata.storage.dossier_models import Dossier
from loaders.errors import LoadError
from loaders.workbook import read_workbook
from tests.ban_server import ban_server_fixture  # noqa: F401
from tests.loaders.test_dossiers_import import WAVE, ban_fixture, imported  # noqa: F401

pytestmark = pytest.mark.shared_data


def workbook(tmp_path, rows: int, edit=None):
    """The wave's header and first ``rows`` rows in a sheet « Dossiers », then ``edit``."""
    with open(WAVE, encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))[:rows + 1]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Dossiers"
    for line in lines:
        sheet.append(line)
    if edit:
        edit(sheet, lines[0])
    path = tmp_path / "export.xlsx"
    book.save(path)
    return path


def test_a_cell_far_from_the_table_is_refused_naming_it(tmp_path):
    path = workbook(tmp_path, 3, lambda sheet, _: sheet.cell(1_048_576, 16_384, "x"))

    with pytest.raises(LoadError) as error:
        read_workbook(path)

    assert "le classeur a du contenu jusqu'à la cellule XFD1048576 : au plus 100" \
        in str(error.value)


def formula_in_project_name(sheet, header):
    sheet.cell(2, header.index("Nom du projet") + 1, "=1+1")


def test_a_formula_without_value_is_refused_naming_its_cell(tmp_path):
    with pytest.raises(LoadError) as error:
        read_workbook(workbook(tmp_path, 3, formula_in_project_name))

    assert (error.value.row, error.value.field) == (2, "Nom du projet")
    assert "cellule M2 : formule '=1+1' sans valeur calculée" in str(error.value)


def test_blank_rows_are_left_out_and_the_others_keep_their_line(tmp_path):
    def blank_rows(sheet, header):
        sheet.insert_rows(3, amount=2)  # rows 3 and 4 blank, the second dossier on row 5

    table = read_workbook(workbook(tmp_path, 3, blank_rows))

    assert table.lines == [2, 5, 6]
    assert [row["ID"] for row in table.rows] == ["1234501", "1234502", "1234503"]


def test_a_refused_formula_leaves_the_stored_dossiers_as_they_were(engine, ban, data_dir,
                                                                     tmp_path):
    imported(engine, ban, data_dir)
    with engine.connect() as connection:
        before = dict(connection.execute(select(Dossier.number, Dossier.project_name)).all())

    with pytest.raises(LoadError):
        imported(engine, ban, data_dir, path=workbook(tmp_path, 7, formula_in_project_name))

    with engine.connect() as connection:
        assert dict(connection.execute(select(Dossier.number, Dossier.project_name))
                    .all()) == before
    assert before[1234501]  # the name the formula would have erased


def test_a_formula_whose_text_result_is_empty_was_computed(tmp_path):
    """``=SI(1=1;"";"x")`` saved by a spreadsheet: ``t="str"`` and an empty value, read as
    empty (the file was refused as « sans valeur calculée »). Synthetic: the cell's XML
    written as LibreOffice writes it."""
    path = workbook(tmp_path, 3, formula_in_project_name)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'<c r="M2"[^>]*>.*?</c>',
                          b'<c r="M2" t="str"><f>IF(1=1,"","x")</f><v></v></c>', parts[sheet])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)

    table = read_workbook(path)

    assert table.rows[0]["Nom du projet"] == "" and table.rows[0]["ID"] == "1234501"


def test_an_ods_of_repeated_rows_is_refused_before_it_is_read(tmp_path):
    """An 832-byte .ods whose one row repeated 1,048,000 times asked for 125 GiB. Synthetic:
    the smallest such file, its content.xml written by hand."""
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
        f'office:1.0" xmlns:table="{table}" xmlns:text="urn:oasis:names:tc:opendocument:'
        'xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Dossiers">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>ID</text:p>'
        '</table:table-cell></table:table-row><table:table-row table:number-rows-repeated='
        '"1048000"><table:table-cell office:value-type="string"><text:p>1</text:p>'
        '</table:table-cell></table:table-row></table:table></office:spreadsheet>'
        '</office:body></office:document-content>')
    path = tmp_path / "export.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)

    with pytest.raises(LoadError) as error:
        read_workbook(path)

    assert "le classeur a du contenu jusqu'à la cellule A1048001 : au plus 100" \
        in str(error.value)
