"""Read a CSV of locations (``id``, ``lon``, ``lat``; or addresses, ``addresses``).

French spreadsheets are accepted as they come: UTF-8 (with or without BOM), Windows-1252 or
Latin-1, comma or semicolon (read from the header line), decimal comma. A UTF-16 export or a
workbook saved as is (.xlsx, .ods, .xls) is refused whole with a clear message
(``BatchError``). A row that cannot be read is never dropped: its line number and reason are
kept (``Locations.errors``); only rows with every cell blank (the ``;;;`` lines spreadsheets
leave at the end) are skipped.

A plain file (no quotes: what scripts and most exports write) is read in polars
(``geodata.eligibility.plain_csv``), any other with the ``csv`` module (``read_records``);
both read alike. A file on disk can be read a chunk at a time instead, with the same rows
and errors (``geodata.eligibility.chunks``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields

import numpy as np

from geodata.eligibility.engine import PRECISIONS
from geodata.eligibility.plain_csv import PlainRows, read_plain
from geodata.eligibility.required import missing_message
from geodata.french import TYPED_DECIMAL, number
from geodata.territories import coordinate_hint

__all__ = [
    "ENCODINGS",
    "UTF8_SEQUENCE",
    "BatchError",
    "Locations",
    "RecordLines",
    "Table",
    "column_name",
    "delimiter_of",
    "header_columns",
    "mixed_encodings",
    "missing_columns",
    "overflow_error",
    "parse_point",
    "plain_locations",
    "read_locations",
    "read_records",
    "read_table",
    "records_of",
    "refuse_non_csv",
]

REQUIRED = ("id", "lon", "lat")
ALIASES = {"longitude": "lon", "latitude": "lat"}
MAX_COLUMNS = 1_000
"""The most columns a file may have: 50,000 held a worker 30 s before it was killed."""

SNIFF_CHARS = 65_536


class BatchError(ValueError):
    """A file that cannot be read as a CSV of locations (the whole file, not one row)."""


@dataclass
class Locations:
    """Parsed input rows: what the engine needs, and the errors of the unreadable ones."""

    lines: list[int]
    ids: list[str]
    raw: list[tuple[str | None, str | None]]  # lon, lat as given (None: none given)
    lon: np.ndarray
    lat: np.ndarray
    precision: np.ndarray
    errors: dict[int, str]  # position -> message
    commune_codes: list[str | None] | None = None  # a geocoder's commune, per position
    extra: dict[str, list] = field(default_factory=dict)  # more output columns, per position
    given: dict[str, list] = field(default_factory=dict)  # the file's own, written first

    def part(self, start: int, stop: int) -> Locations:
        """Positions ``start:stop`` as locations of their own, numbered from 0."""
        values = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "errors":
                value = {p - start: m for p, m in value.items() if start <= p < stop}
            elif item.name in ("extra", "given"):
                value = {name: column[start:stop] for name, column in value.items()}
            elif isinstance(value, list | np.ndarray):
                value = value[start:stop]
            values[item.name] = value
        return type(self)(**values)


@dataclass
class Table:
    """A CSV file's normalised column names and its records, read lazily with their line."""

    columns: list[str]
    delimiter: str
    records: Iterator[tuple[int, dict[str, str]]]
    text: str = ""  # the decoded file, for the fast reading of plain files
    names: list[str] = field(default_factory=list)  # the header as typed, in order


def refuse_non_csv(head: bytes) -> None:
    """Raise a BatchError when a file's first bytes are a workbook's, UTF-16, binary or JSON
    (a GeoJSON given for a CSV: its header would read as one column named « { »)."""
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise BatchError("ce fichier est un classeur (Excel, LibreOffice), pas un CSV : "
                         "enregistrez-le au format CSV (séparateur point-virgule ou virgule)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise BatchError("encodage non pris en charge (UTF-16 ou fichier binaire) : "
                         "enregistrez le fichier en CSV UTF-8 ou Latin-1")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        raise BatchError("ce fichier est du JSON (un GeoJSON ?), pas un CSV : exportez-le au "
                         "format CSV (séparateur point-virgule ou virgule)")


ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
"""Tried in this order: the first that decodes the whole file is its encoding."""


UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                           rb"|[\xf0-\xf4][\x80-\xbf]{3}")
"""An accented character written in UTF-8 (« é » is C3 A9): in a file that is not UTF-8
as a whole, it says that some of its lines are, and some not."""


def mixed_encodings(line: int | None = None) -> BatchError:
    """The error of a file whose lines are not all in one encoding: read as Windows-1252,
    its UTF-8 lines' accents would change (« Café » read « CafÃ© ») without a word."""
    where = f" (ligne {line})" if line else ""
    return BatchError(f"encodages mélangés : des lignes sont en UTF-8, d'autres non{where} ; "
                      "lu d'une seule façon, le fichier changerait des noms : enregistrez-le "
                      "entièrement en CSV UTF-8")


def _decode(data: bytes) -> str:
    refuse_non_csv(data[:SNIFF_CHARS])
    nul = data.find(b"\x00", SNIFF_CHARS)  # past the first bytes, it went into an id
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise BatchError(f"ligne {line} : caractère nul (octet 00), "
                         "qu'aucun CSV ne contient : retirez-le, ou enregistrez le fichier en "
                         "CSV UTF-8")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            if encoding == "utf-8-sig" and UTF8_SEQUENCE.search(data):
                raise mixed_encodings(data.count(b"\n", 0, error.start) + 1) from None
            continue
    raise BatchError("encodage illisible (UTF-8 ou Latin-1 attendu)")  # pragma: no cover


def column_name(name: str) -> str:
    """``Code postal`` -> ``code_postal``: case, spaces and dashes do not matter;
    ``longitude`` and ``latitude`` (the batch page's French result file) are ``lon``, ``lat``."""
    name = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return ALIASES.get(name, name)


def read_table(data: bytes | str) -> Table:
    """Decode ``data``, find its delimiter from the header line, and read it lazily."""
    text = _decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    delimiter = delimiter_of(text)
    lines = RecordLines(io.StringIO(text, newline=""))
    reader = csv.reader(lines, delimiter=delimiter)
    names: list[str] = []
    columns = header_columns(reader, names)
    return Table(columns, delimiter, records_of(reader, columns, lines=lines), text, names)


def delimiter_of(text: str) -> str:
    """The delimiter of a file from its decoded start (the whole header line, and its
    first SNIFF_CHARS characters at least); a BatchError when it is blank, binary, or
    delimited otherwise."""
    if not text.strip():
        raise BatchError("fichier vide")
    if re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f]", text[:SNIFF_CHARS]):
        raise BatchError("fichier binaire ou encodage illisible : un CSV UTF-8 ou Latin-1 "
                         "est attendu")
    header = text.lstrip("\r\n").partition("\n")[0]
    if ";" not in header and "," not in header and re.search(r"[\t|]", header):
        raise BatchError("séparateur non reconnu (tabulation ou barre verticale) : "
                         "utilisez la virgule ou le point-virgule")
    return ";" if header.count(";") > header.count(",") else ","


def header_columns(reader, given: list[str] | None = None) -> list[str]:
    """The normalised column names of the first record of a ``csv.reader`` (at most
    ``MAX_COLUMNS`` named ones: the empty names after the last are not counted); a BatchError
    when two name one column (« lon » and « longitude », « id » twice): one would be read
    and the other silently dropped. ``given``: filled with the names as typed."""
    try:
        names = next(reader, [])
    except csv.Error as error:
        raise _unreadable(error, 1) from None
    named = len(names)
    while named and not names[named - 1].strip():  # a spreadsheet's trailing separators
        named -= 1
    if named > MAX_COLUMNS:
        raise BatchError(f"{number(named)} colonnes dans l'en-tête : au plus "
                         f"{number(MAX_COLUMNS)} (id, lon, lat ou adresse, et vos colonnes)")
    columns = [column_name(c) for c in names]
    if given is not None:
        given.extend(name.strip() for name in names)
    counts = Counter(columns)
    repeated = sorted(c for c, n in counts.items() if c and n > 1)
    if repeated:
        given = [", ".join(repr(n.strip()) for n, c in zip(names, columns, strict=True)
                           if c == column) for column in repeated]
        raise BatchError("colonnes en double dans l'en-tête : " + " ; ".join(
            f"{column} ({said})" for column, said in zip(repeated, given, strict=True))
            + " : gardez-en une")
    return columns


OVERFLOW = "\0cellules en trop"
"""The key, never a column's name, under which ``records_of`` keeps the cells past the
header's last column (``overflow_error`` says so)."""
UNCLOSED = "\0guillemet ouvert"
"""The key under which ``records_of`` keeps the last line of a record whose quoted cell ran
over lines as an unclosed quote does (``overflow_error`` says so)."""


class RecordLines:
    """The lines a ``csv.reader`` reads, keeping those of the record being read
    (``records_of`` starts afresh at each record): what a record too long to read held."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self.current: list[str] = []

    def __iter__(self) -> RecordLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.current.append(line)
        return line


def records_of(reader, columns: list[str], offset: int = 0, lines: RecordLines | None = None
               ) -> Iterator[tuple[int, dict[str, str]]]:
    """The records a ``csv.reader`` reads next, each with the line where it starts (its
    count of lines read, plus ``offset``), all-blank records skipped. A record with more
    cells than the header, past blank ones, keeps the rest under ``OVERFLOW``: its cells are
    shifted (a separator in a value without quotes), never read as if they were not.
    ``lines``: the reader's lines, for the reason of a record too long to read."""
    line = offset + reader.line_num + 1  # where the next record starts (blank lines included)
    width = len(columns)
    if lines is not None:
        lines.current = []  # the header's, or the records' already read
    try:
        for cells in reader:
            record = dict(zip(columns, cells, strict=False))  # short rows: cells absent
            if any(cell.strip() for cell in cells[width:]):
                record[OVERFLOW] = cells[width:]
            if offset + reader.line_num > line and _swallowed(cells, width,
                                                              reader.dialect.delimiter):
                record[UNCLOSED] = offset + reader.line_num
            if lines is not None:
                lines.current = []
            if any(cell.strip() for cell in cells):
                yield line, record
            line = offset + reader.line_num + 1
    except csv.Error as error:
        raise _unreadable(error, line, None if lines is None else "".join(lines.current)
                          ) from None


def _swallowed(cells: list[str], width: int, delimiter: str) -> bool:
    """Whether a record that ran over lines looks like an unclosed quote, not a quoted
    address on two lines: it is short of cells (the quote took the separators), or a line
    inside a cell holds a whole row's separators (at least two)."""
    if len(cells) < width:
        return True
    return any(part.count(delimiter) >= max(width - 1, 2)
               for cell in cells if "\n" in cell or "\r" in cell
               for part in cell.splitlines()[1:])


def overflow_error(record: dict, columns: list[str]) -> str | None:
    """Why a record read by ``records_of`` cannot be trusted: a quote never closed that
    took the next lines into a cell, or more cells than columns."""
    unclosed = record.get(UNCLOSED)
    if unclosed is not None:
        return (f"une cellule entre guillemets court jusqu'à la ligne {unclosed} (guillemet "
                "jamais refermé ?) : les lignes qu'elle englobe n'ont pas été lues comme des "
                "lignes ; refermez le guillemet")
    extra = record.get(OVERFLOW)
    if not extra:
        return None
    return (f"{len(columns) + len(extra)} cellules pour {len(columns)} colonnes : une valeur "
            "contient sans doute le séparateur sans être entre guillemets")


def _unreadable(error: csv.Error, line: int, text: str | None = None) -> BatchError:
    """The BatchError for a ``csv.Error`` raised reading the record that starts at ``line``
    (a cell over ``csv.field_size_limit()``): the whole file is refused, naming the line.
    ``text``: what was read of the record; a quote is blamed only when it holds an odd
    number of them (one opened, never closed)."""
    if "field limit" in str(error):
        limit = number(csv.field_size_limit())  # 131 072
        hint = " (guillemet jamais refermé ?)" if text and text.count('"') % 2 else ""
        reason = f"une cellule dépasse {limit} caractères{hint}"
    else:
        reason = f"CSV illisible ({error})"
    return BatchError(f"ligne {line} : {reason}")


def missing_columns(table, required: Iterable[str], address_instead: bool = False) -> None:
    """Raise a BatchError saying plainly which required columns the file lacks, in its own
    words (``geodata.eligibility.required``)."""
    names = getattr(table, "names", None) or table.columns
    message = missing_message(names, table.columns, tuple(required), address_instead)
    if message is not None:
        raise BatchError(message)


def read_locations(data: bytes | str | Table) -> Locations:
    """Parse a CSV of locations; per-row problems are recorded, not raised. A plain file
    (``geodata.eligibility.plain_csv``) is read in polars, any other by ``read_records``."""
    table = data if isinstance(data, Table) else read_table(data)
    missing_columns(table, REQUIRED)
    plain = read_plain(table.text, table.delimiter, table.columns)
    return read_records(table) if plain is None else plain_locations(plain)


def plain_locations(plain: PlainRows) -> Locations:
    """The locations of a plain file's records, the cells polars did not read parsed (and
    their errors kept) by ``parse_point``."""
    errors = {}
    for position in plain.to_check:
        lon_text, lat_text = plain.raw[position]
        plain.lon[position], plain.lat[position], plain.precision[position], error = \
            parse_point(lon_text, lat_text, plain.given_precision[position])
        if error is not None:
            errors[position] = f"ligne {plain.lines[position]} : {error}"
    return Locations(plain.lines, plain.ids, plain.raw, plain.lon, plain.lat,
                     plain.precision, errors)


def read_records(table: Table) -> Locations:
    """``read_locations`` cell by cell with the ``csv`` module: any file, quotes included."""
    lines, ids, raw, lons, lats, precisions, errors = [], [], [], [], [], [], {}
    for line, record in table.records:
        position = len(lines)
        lines.append(line)
        ids.append((record.get("id") or "").strip())
        lon_text, lat_text = (record.get("lon") or "").strip(), (record.get("lat") or "").strip()
        raw.append((lon_text, lat_text))
        lon, lat, precision, error = parse_point(lon_text, lat_text, record.get("precision"))
        shifted = overflow_error(record, table.columns)
        if shifted is not None:
            lon, lat, error = np.nan, np.nan, shifted
        if error is not None:
            errors[position] = f"ligne {line} : {error}"
        lons.append(lon)
        lats.append(lat)
        precisions.append(precision)
    return Locations(lines, ids, raw, np.array(lons, dtype=float), np.array(lats, dtype=float),
                     np.array(precisions, dtype=object), errors)


def parse_point(lon_text: str, lat_text: str,
                precision: str | None) -> tuple[float, float, str, str | None]:
    """lon, lat, precision of a row, and the reason it cannot be read (None when it can)."""
    precision = (precision or "point").strip() or "point"
    lon, lat, error = _coordinates(lon_text, lat_text)
    if error is None and precision not in PRECISIONS:
        error = f"précision inconnue {precision!r} (attendu : {', '.join(PRECISIONS)})"
    return lon, lat, precision, error


def _coordinates(lon_text: str, lat_text: str) -> tuple[float, float, str | None]:
    """The coordinates of a row, read as the single check reads them (``TYPED_DECIMAL``)."""
    values = []
    for name, text in (("lon", lon_text), ("lat", lat_text)):
        if not text:
            return np.nan, np.nan, f"{name} vide"
        if not TYPED_DECIMAL.fullmatch(text.strip()):
            return np.nan, np.nan, f"{name} non numérique : {text!r}"
        values.append(float(text.strip().replace(",", ".")))
    lon, lat = values
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return np.nan, np.nan, (f"coordonnées hors limites : lon {lon_text}, lat {lat_text}"
                                f"{coordinate_hint(lon, lat)}")
    return lon, lat, None
