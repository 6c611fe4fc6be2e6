"""``loaders.read.read_csv``: the header as people wrote it, and the file's encoding, on
small files written here (each shape is what a spreadsheet or another system writes)."""

from __future__ import annotations

import unicodedata

import pytest

from loaders.errors import LoadError
from loaders.read import read_csv

HEADER = "ID,Déposé le,Nom du projet"
ROW = "1234501,2019-09-12,La Fabrique"


def written(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_trailing_unnamed_columns_are_read_as_empty_ones(tmp_path):
    """Three trailing separators on every line (a spreadsheet's) made the three unnamed
    columns one key: « 22 valeur(s) pour 24 colonnes : ligne coupée », the file refused."""
    table = read_csv(written(tmp_path, f"{HEADER},,,\n{ROW},,,\n"), required=["ID"])
    assert table.columns[:3] == ["ID", "Déposé le", "Nom du projet"]
    assert len(table.columns) == 6 and table.rows[0]["Nom du projet"] == "La Fabrique"


def test_header_names_are_compared_as_people_read_them(tmp_path):
    """A macOS file writes « é » in two characters, and a name may carry spaces: « Déposé
    le » was said absent while the list of columns found showed it."""
    decomposed = unicodedata.normalize("NFD", " Déposé le ")
    assert decomposed != " Déposé le "
    path = written(tmp_path, f"ID,{decomposed},Nom du projet \n{ROW}\n")
    table = read_csv(path, required=["ID", "Déposé le", "Nom du projet"])
    assert table.rows[0]["Déposé le"] == "2019-09-12"


def test_a_column_named_twice_is_refused(tmp_path):
    with pytest.raises(LoadError, match="colonne en double dans l'en-tête : ID") as error:
        read_csv(written(tmp_path, f"ID,ID,Nom du projet\n{ROW}\n"), required=["ID"])
    assert error.value.field == "ID"


def test_a_file_in_windows_1252_is_refused_with_its_line_and_what_to_do(tmp_path):
    path = written(tmp_path, f"{HEADER}\n{ROW}\n1234502,2019-10-02,Café numérique\n",
                   encoding="cp1252")
    with pytest.raises(LoadError) as error:
        read_csv(path, required=["ID"])
    message = str(error.value)
    assert "ligne 1 : encodage invalide" in message  # « é » of « Déposé » in the header
    assert "Windows-1252" in message and "« CSV UTF-8 »" in message
    assert error.value.row == 1
    path = written(tmp_path, "ID,Nom\n1,La Fabrique\n2,Café\n", encoding="cp1252")
    with pytest.raises(LoadError, match="ligne 3 : encodage invalide"):
        read_csv(path, required=["ID"])
