"""Classify a CSV of locations: ``id``, ``lon``, ``lat`` in, the contract's columns out.

French spreadsheets are accepted as they come: UTF-8 (with or without BOM), Windows-1252 or
Latin-1, comma or semicolon (read from the header line), decimal comma. A UTF-16 export or a
workbook saved as is (.xlsx, .ods, .xls) is refused whole with a clear message. A row that
cannot be read is never dropped: it is written with its line number and reason in the
``error`` column, and listed in the report; only rows with every cell blank (the ``;;;``
lines spreadsheets leave at the end) are skipped.

The same chunked loop serves address files (``geodata.eligibility.addresses``): a
``prepare`` hook fills each chunk's coordinates before it is classified, and extra columns
(``Locations.extra``) follow the contract's, in order.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from geodata.eligibility.columns import COLUMNS, contract_columns
from geodata.eligibility.engine import PRECISIONS, classify
from geodata.eligibility.layers import ReferenceIndex
from geodata.policy import Policy
from geodata.spreadsheet import safe_cell

__all__ = [
    "BatchError",
    "BatchReport",
    "Locations",
    "Table",
    "classify_csv",
    "format_value",
    "json_rows",
    "missing_columns",
    "parse_point",
    "read_locations",
    "read_table",
    "summary",
    "unreadable_row",
    "write_csv",
]

REQUIRED = ("id", "lon", "lat")
CHUNK = 100_000
SNIFF_CHARS = 65_536


class BatchError(ValueError):
    """A file that cannot be read as a CSV of locations (the whole file, not one row)."""


@dataclass
class BatchReport:
    """How many rows were read and classified, and each row in error with its reason."""

    rows: int = 0
    classified: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    categories: dict[str, int] = field(default_factory=dict)
    geocoded: int = 0  # address rows the geocoder placed
    warnings: list[tuple[int, str]] = field(default_factory=list)  # classified, to check


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


@dataclass
class Table:
    """A CSV file's normalised column names and its records, read lazily with their line."""

    columns: list[str]
    delimiter: str
    records: Iterator[tuple[int, dict[str, str]]]


def _decode(data: bytes) -> str:
    head = data[:SNIFF_CHARS]
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise BatchError("ce fichier est un classeur (Excel, LibreOffice), pas un CSV : "
                         "enregistrez-le au format CSV (séparateur point-virgule ou virgule)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise BatchError("encodage non pris en charge (UTF-16 ou fichier binaire) : "
                         "enregistrez le fichier en CSV UTF-8 ou Latin-1")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BatchError("encodage illisible (UTF-8 ou Latin-1 attendu)")  # pragma: no cover


def _column_name(name: str) -> str:
    """``Code postal`` -> ``code_postal``: case, spaces and dashes do not matter."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def read_table(data: bytes | str) -> Table:
    """Decode ``data``, find its delimiter from the header line, and read it lazily."""
    text = _decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if not text.strip():
        raise BatchError("fichier vide")
    if re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f]", text[:SNIFF_CHARS]):
        raise BatchError("fichier binaire ou encodage illisible : un CSV UTF-8 ou Latin-1 "
                         "est attendu")
    header = text.lstrip("\r\n").partition("\n")[0]
    if ";" not in header and "," not in header and re.search(r"[\t|]", header):
        raise BatchError("séparateur non reconnu (tabulation ou barre verticale) : "
                         "utilisez la virgule ou le point-virgule")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [_column_name(c or "") for c in reader.fieldnames or []]
    reader.fieldnames = columns

    def records() -> Iterator[tuple[int, dict[str, str]]]:
        line = reader.line_num + 1
        for record in reader:
            if any((value or "").strip() for value in record.values()
                   if isinstance(value, str)):
                yield line, record
            line = reader.line_num + 1

    return Table(columns, delimiter, records())


def missing_columns(table: Table, required: Iterable[str], alternative: str = "") -> None:
    """Raise a BatchError naming the absent columns (and what was found) if any is absent."""
    missing = [c for c in required if c not in table.columns]
    if not missing:
        return
    found = [c[:40] for c in table.columns[:12] if c]
    raise BatchError(f"colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}"
                     f"{alternative} (colonnes trouvées : {', '.join(found) or 'aucune'})")


def read_locations(data: bytes | str | Table) -> Locations:
    """Parse a CSV of locations; per-row problems are recorded, not raised."""
    table = data if isinstance(data, Table) else read_table(data)
    missing_columns(table, REQUIRED)
    lines, ids, raw, lons, lats, precisions, errors = [], [], [], [], [], [], {}
    for line, record in table.records:
        position = len(lines)
        lines.append(line)
        ids.append((record.get("id") or "").strip())
        lon_text, lat_text = (record.get("lon") or "").strip(), (record.get("lat") or "").strip()
        raw.append((lon_text, lat_text))
        lon, lat, precision, error = parse_point(lon_text, lat_text, record.get("precision"))
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
    values = []
    for name, text in (("lon", lon_text), ("lat", lat_text)):
        if not text:
            return np.nan, np.nan, f"{name} vide"
        try:
            values.append(float(text.replace(",", ".")))
        except ValueError:
            return np.nan, np.nan, f"{name} non numérique : {text!r}"
    lon, lat = values
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return np.nan, np.nan, f"coordonnées hors limites : lon {lon}, lat {lat}"
    return lon, lat, None


def unreadable_row(locations: Locations, position: int, policy: Policy) -> dict:
    """The contract row of an input row that could not be read: as given, with its error."""
    lon, lat = locations.raw[position]
    row = dict.fromkeys(COLUMNS)
    row.update(id=locations.ids[position], lon=lon, lat=lat, policy=policy.name,
               qpv_vintage=policy.qpv_vintage, error=locations.errors[position])
    return row


def format_value(value) -> str:
    """CSV text of a contract value: true/false, empty for None (distances come rounded)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value != value:
        return ""
    return str(value)


Prepare = Callable[[Locations, int, int, BatchReport], None]
"""Fills positions ``start:stop`` (coordinates, errors, extra columns) before classifying."""


def _chunks(index: ReferenceIndex, policy: Policy, locations: Locations, report: BatchReport,
            *, text: bool, chunk: int, prepare: Prepare | None) -> Iterator[list[tuple]]:
    """Rows of values (COLUMNS, then the extra columns), one list per chunk, in input order."""
    report.rows = len(locations.ids)
    for start in range(0, len(locations.ids), chunk):
        stop = min(start + chunk, len(locations.ids))
        if prepare is not None:
            prepare(locations, start, stop, report)
        yield _chunk_rows(index, policy, locations, start, stop, report, text)
    report.errors.extend((locations.lines[p], m) for p, m in locations.errors.items())
    report.errors.sort()
    report.warnings.sort()


BOOLEAN_COLUMNS = ("metropole", "in_qpv", "near_qpv", "outside_large_urban_centre")
BOOLEAN_TEXT = {True: "true", False: "false", None: ""}


def _chunk_rows(index, policy, locations: Locations, start: int, stop: int,
                report: BatchReport, text: bool) -> list[tuple]:
    positions = np.arange(start, stop)
    valid = np.array([p not in locations.errors for p in positions.tolist()], dtype=bool)
    chosen = positions[valid]
    codes = None
    if locations.commune_codes is not None:
        codes = [locations.commune_codes[p] for p in chosen.tolist()]
        codes = codes if any(codes) else None
    result = classify(index, policy, locations.lon[chosen], locations.lat[chosen],
                      locations.precision[chosen], commune_codes=codes)
    columns = contract_columns(result, identifiers=[locations.ids[p] for p in chosen])
    if text:
        for name in BOOLEAN_COLUMNS:
            columns[name] = [BOOLEAN_TEXT[value] for value in columns[name]]
    for position, error in zip(chosen.tolist(), columns["error"], strict=True):
        if error:
            line = locations.lines[position]
            report.errors.append((line, f"ligne {line} : {error}"))
    for category in columns["category"]:
        if category is not None:
            report.categories[category] = report.categories.get(category, 0) + 1
    report.classified += sum(1 for error in columns["error"] if not error)
    classified = zip(*(columns[name] for name in COLUMNS), strict=True)
    extra = list(locations.extra.values())
    if valid.all() and not extra:
        return list(classified)
    rows = []
    for position in positions.tolist():
        if position in locations.errors:
            row = unreadable_row(locations, position, policy)
            values = tuple(format_value(row[c]) if text else row[c] for c in COLUMNS)
        else:
            values = next(classified)
        if extra:
            values = (*values, *(column[position] for column in extra))
        rows.append(values)
    return rows


def _spreadsheet_row(row: tuple) -> list:
    """Decimal commas for numbers; a text cell a spreadsheet would run as a formula gets a
    leading apostrophe (CSV injection), negative numbers written as text excepted."""
    out = []
    for value in row:
        if isinstance(value, float):
            value = format_value(value).replace(".", ",")
        out.append(safe_cell(value))
    return out


def write_csv(index: ReferenceIndex, policy: Policy, locations: Locations, target: TextIO, *,
              progress: Callable[[int], None] | None = None, prepare: Prepare | None = None,
              chunk: int = CHUNK, spreadsheet: bool = False) -> BatchReport:
    """Write the contract's CSV of ``locations`` (plus their extra columns) to ``target``.

    ``spreadsheet``: semicolons and decimal commas, for a French spreadsheet (the caller
    opens ``target`` as ``utf-8-sig``); else the contract's comma CSV.
    """
    writer = csv.writer(target, delimiter=";" if spreadsheet else ",", lineterminator="\n")
    writer.writerow([*COLUMNS, *locations.extra])
    report = BatchReport()
    for rows in _chunks(index, policy, locations, report, text=True, chunk=chunk,
                        prepare=prepare):
        writer.writerows(map(_spreadsheet_row, rows) if spreadsheet else rows)
        if progress:
            progress(len(rows))
    return report


def json_rows(index: ReferenceIndex, policy: Policy, locations: Locations, *,
              prepare: Prepare | None = None,
              chunk: int = CHUNK) -> tuple[list[dict], BatchReport]:
    """Contract rows (Python values) in input order; an unreadable row keeps its reason."""
    names = [*COLUMNS, *locations.extra]
    report = BatchReport()
    rows = [dict(zip(names, values, strict=True))
            for values_chunk in _chunks(index, policy, locations, report, text=False,
                                        chunk=chunk, prepare=prepare)
            for values in values_chunk]
    return rows, report


def classify_csv(
    index: ReferenceIndex,
    policy: Policy,
    data: bytes | str,
    target: TextIO,
    *,
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Classify every row of ``data`` and write the contract's CSV to ``target``."""
    return write_csv(index, policy, read_locations(data), target, progress=progress)


def summary(report: BatchReport, errors_shown: int = 10) -> Iterable[str]:
    """The report in French, for the command line."""
    yield (f"{report.rows} ligne(s) lue(s), {report.classified} classée(s), "
           f"{len(report.errors)} en erreur (laissée(s) dans le fichier avec la colonne error).")
    if report.geocoded or report.warnings:
        yield (f"{report.geocoded} adresse(s) géocodée(s), dont {len(report.warnings)} "
               "à vérifier (colonne geocoding_warning).")
    for category, count in sorted(report.categories.items()):
        yield f"  {category} : {count}"
    for _, message in report.errors[:errors_shown]:
        yield f"  erreur {message}"
    if len(report.errors) > errors_shown:
        yield f"  … et {len(report.errors) - errors_shown} autre(s)"
    for _, message in report.warnings[:errors_shown]:
        yield f"  à vérifier {message}"
    if len(report.warnings) > errors_shown:
        yield f"  … et {len(report.warnings) - errors_shown} autre(s) à vérifier"
