"""A file read from disk by chunks gives the rows, lines and errors of the whole file read in
memory, whatever the chunk size, and refuses what the whole reading refuses.

The files are synthetic (hypothesis, and a few written by hand): the property is about
reading text, not about places.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.eligibility.addresses import batch_chunks, read_batch
from geodata.eligibility.chunks import (
    TextChunk,
    location_chunks,
    opened_table,
    parsed,
    survey,
    text_chunks,
)
from geodata.eligibility.reading import BatchError, Locations, read_locations
from tests.geodata.test_plain_csv import LIMIT, OVER_THE_LIMIT, csv_files


def joined(parts: list[Locations]) -> Locations:
    """The chunks as one Locations, positions renumbered from 0."""
    errors, offset = {}, 0
    for part in parts:
        errors.update({offset + p: m for p, m in part.errors.items()})
        offset += len(part.ids)
    return Locations(
        [line for part in parts for line in part.lines],
        [i for part in parts for i in part.ids],
        [r for part in parts for r in part.raw],
        np.concatenate([part.lon for part in parts]) if parts else np.empty(0),
        np.concatenate([part.lat for part in parts]) if parts else np.empty(0),
        np.concatenate([part.precision for part in parts]) if parts else np.empty(0),
        errors)


def same(chunked: Locations, whole: Locations) -> None:
    assert chunked.lines == whole.lines
    assert chunked.ids == whole.ids
    assert chunked.raw == whole.raw
    np.testing.assert_array_equal(chunked.lon, whole.lon)  # NaN where NaN
    np.testing.assert_array_equal(chunked.lat, whole.lat)
    assert chunked.precision.tolist() == whole.precision.tolist()
    assert chunked.errors == whole.errors


def read_chunks(path: Path, rows: int) -> Locations:
    with opened_table(path) as table:
        return joined(list(location_chunks(table, rows)))


def written(folder: Path, data: bytes | str) -> Path:
    path = folder / "lieux.csv"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@settings(max_examples=150, deadline=None)
@given(csv_files(), st.sampled_from([1, 2, 3, 7, 1000]), st.booleans())
def test_chunked_reading_equals_the_whole_reading(text, rows, quoted):
    if quoted:  # a quote anywhere: records may span lines, the csv module reads them all
        text += '\nq"uote,1,2\n"multi\nline",3,4\n'
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), text)
        same(read_chunks(path, rows), read_locations(text.encode()))


@settings(max_examples=100, deadline=None)
@given(csv_files(), st.sampled_from([1, 2, 7, 1000]), st.booleans())
def test_chunks_left_unread_read_alike_where_they_are_read(text, rows, quoted):
    """What a worker process reads: each unread chunk pickled and read there."""
    if quoted:
        text += '\nq"uote,1,2\n"multi\nline",3,4\n'
    with tempfile.TemporaryDirectory() as folder:
        path = written(Path(folder), text)
        with opened_table(path) as table:
            chunks = list(text_chunks(table, rows))
        assert all(isinstance(chunk, TextChunk) != quoted for chunk in chunks)
        read = [parsed(pickle.loads(pickle.dumps(chunk))) for chunk in chunks]
        same(joined([part for part in read if part.ids]), read_locations(text.encode()))


FILES = {
    "latin-1": "id;lon;lat\nCréteil;5,4034;43,3305\nÉvry;x;48\n".encode("latin-1"),
    "utf-8 with bom": "\ufeffid,lon,lat\nSégur,2.3,48.8\n".encode(),
    "windows-1252": "id;lon;lat\nœuvre;2,3;48,8\n".encode("cp1252"),
    "quoted multiline": b'id,lon,lat\n"a\nb",2.3,48.8\n\np2,2.3,x\n"c ""d""",3,45\n',
    "crlf and blank lines": b"id,lon,lat\r\n\r\np1,2.3,48.8\r\n\r\np2,,\r\n",
    "lone carriage returns": b"id,lon,lat\rp1,2.3,48.8\rp2,x,1\r",
    "no newline at the end": b"id,lon,lat\np1,2.3,48.8",
    "header only": b"id,lon,lat\n",
    "more cells than columns": b"id,lon,lat\np1,5,4034,43,3305\np2,2.3,48.8,,\n,,,x\n",
    "a long header line": ("id,lon,lat," + "n" * 70_000 + "\np1,2.3,48.8\n").encode(),
}
LATE = b"id,lon,lat\n" + b"p,2.3,48.8\n" * 200_000 + b"\xe9t\xe9,1,2\n"
"""A byte that is not UTF-8 two megabytes in: the whole file is read as Windows-1252."""


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("rows", [1, 2, 50_000])
def test_files_written_by_hand_read_alike(tmp_path, name, rows):
    data = FILES[name]
    same(read_chunks(written(tmp_path, data), rows), read_locations(data))


def test_a_file_of_mixed_encodings_is_refused_both_ways(tmp_path):
    """One line in Latin-1 among UTF-8 ones made the whole file Windows-1252: the UTF-8
    names came back changed (« CafÃ© »), without a word."""
    mixed = "id;lon;lat\nCafé;5,4;43,3\n".encode() + "Hélène;5,4;43,3\n".encode("latin-1")
    with pytest.raises(BatchError, match="encodages mélangés.*ligne 3"):
        read_locations(mixed)
    with pytest.raises(BatchError, match="encodages mélangés"):
        survey(written(tmp_path, mixed))


def test_the_encoding_is_that_of_the_whole_file(tmp_path):
    same(read_chunks(written(tmp_path, LATE), 50_000), read_locations(LATE))
    assert survey(written(tmp_path, FILES["latin-1"])) == ("cp1252", False)
    assert survey(written(tmp_path, FILES["quoted multiline"])) == ("utf-8-sig", True)
    assert survey(written(tmp_path, b"id,lon,lat\n\x81,1,2\n")) == ("latin-1", False)


REFUSED = {
    "empty": (b"", "fichier vide"),
    "blank": (b"\n \r\n\t\n", "fichier vide"),
    "workbook": (b"PK\x03\x04" + b"x" * 100, "classeur"),
    "utf-16": ("id,lon,lat\n".encode("utf-16"), "UTF-16"),
    "geojson": (b'\xef\xbb\xbf\n{"type": "FeatureCollection", "features": []}\n',
                "est du JSON (un GeoJSON ?), pas un CSV"),
    "tabs": (b"id\tlon\tlat\n1\t2\t3\n", "séparateur non reconnu"),
    "control characters": (b"id,lon,lat\n\x01,2,3\n", "fichier binaire"),
    "columns": (b"identifiant,x,y\n1,2,3\n", "il manque les colonnes id (l'identifiant"),
    "blank lines before the header": (b"\r\n\r\nid,lon,lat\r\np1,2.3,48.8\r\n",
                                      "les colonnes du fichier : aucune"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_a_file_refused_whole_is_refused_alike(tmp_path, name):
    data, message = REFUSED[name]
    with pytest.raises(BatchError, match=re.escape(message)) as whole:
        read_locations(data)
    with pytest.raises(BatchError) as chunked:
        read_chunks(written(tmp_path, data), 10)
    assert str(chunked.value) == str(whole.value)


@pytest.mark.parametrize("name", OVER_THE_LIMIT)
def test_an_over_long_cell_is_refused_naming_its_line(tmp_path, name):
    text, line = OVER_THE_LIMIT[name]
    with pytest.raises(BatchError) as chunked:
        read_chunks(written(tmp_path, text), 2)
    assert str(chunked.value).startswith(f"ligne {line} : une cellule dépasse")
    assert LIMIT > 0


def test_an_address_file_is_read_by_chunks_as_in_memory(tmp_path):
    data = ("id;adresse;ville;lon;lat\n"
            "a;20 avenue de Ségur;Paris;;\n"
            "b;;;2,3;48,8\n"
            "c;;;;\n"
            '"d;1";"1 rue ""X""";Lyon;;\n')
    whole = read_batch(data)
    with opened_table(written(tmp_path, data)) as table:
        parts = list(batch_chunks(table, 2))
    assert [len(part.ids) for part in parts] == [2, 2]
    assert [q for part in parts for q in part.queries] == whole.queries
    assert [line for part in parts for line in part.lines] == whole.lines == [2, 3, 4, 5]
    assert {p + 2 * k: m for k, part in enumerate(parts) for p, m in part.errors.items()} == \
        whole.errors
