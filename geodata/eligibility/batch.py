"""Classify a CSV of locations: ``id``, ``lon``, ``lat`` in, the contract's columns out.

French spreadsheets are accepted as they come: UTF-8 (with or without BOM), Windows-1252 or
Latin-1, comma or semicolon (read from the header line), decimal comma. A UTF-16 export or a
workbook saved as is (.xlsx, .ods, .xls) is refused whole with a clear message. A row that
cannot be read is never dropped: it is written with its line number and reason in the
``error`` column, and listed in the report; only rows with every cell blank (the ``;;;``
lines spreadsheets leave at the end) are skipped.

A plain file (no quotes: what scripts and most exports write) is read in polars
(``geodata.eligibility.plain_csv``), any other with the ``csv`` module; both read alike. The
output is written by polars, a chunk at a time, in a second thread while the next chunk is
classified: a million rows take seconds, not a minute.

The same chunked loop serves address files (``geodata.eligibility.addresses``): a
``prepare`` hook fills each chunk's coordinates before it is classified, and extra columns
(``Locations.extra``) follow the contract's, in order.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import polars as pl

from geodata.eligibility.columns import COLUMNS, contract_columns, contract_frame
from geodata.eligibility.engine import PRECISIONS, classify
from geodata.eligibility.layers import ReferenceIndex
from geodata.eligibility.plain_csv import read_plain
from geodata.policy import Policy
from geodata.spreadsheet import BOM, FORMULA_START, NUMBER

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
    "read_records",
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
    text: str = ""  # the decoded file, for the fast reading of plain files


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
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [_column_name(c) for c in next(reader, [])]

    def records() -> Iterator[tuple[int, dict[str, str]]]:
        line = reader.line_num + 1  # where the next record starts (blank lines included)
        for cells in reader:
            record = dict(zip(columns, cells, strict=False))  # short rows: cells absent
            if any(value.strip() for value in record.values()):
                yield line, record
            line = reader.line_num + 1

    return Table(columns, delimiter, records(), text)


def missing_columns(table: Table, required: Iterable[str], alternative: str = "") -> None:
    """Raise a BatchError naming the absent columns (and what was found) if any is absent."""
    missing = [c for c in required if c not in table.columns]
    if not missing:
        return
    found = [c[:40] for c in table.columns[:12] if c]
    raise BatchError(f"colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}"
                     f"{alternative} (colonnes trouvées : {', '.join(found) or 'aucune'})")


def read_locations(data: bytes | str | Table) -> Locations:
    """Parse a CSV of locations; per-row problems are recorded, not raised. A plain file
    (``geodata.eligibility.plain_csv``) is read in polars, any other by ``read_records``."""
    table = data if isinstance(data, Table) else read_table(data)
    missing_columns(table, REQUIRED)
    plain = read_plain(table.text, table.delimiter, table.columns)
    if plain is not None:
        errors = {}
        for position in plain.to_check:
            lon_text, lat_text = plain.raw[position]
            plain.lon[position], plain.lat[position], plain.precision[position], error = \
                parse_point(lon_text, lat_text, plain.given_precision[position])
            if error is not None:
                errors[position] = f"ligne {plain.lines[position]} : {error}"
        return Locations(plain.lines, plain.ids, plain.raw, plain.lon, plain.lat,
                         plain.precision, errors)
    return read_records(table)


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
            *, chunk: int, prepare: Prepare | None, make) -> Iterator:
    """``make(positions, readable, classification)`` for each chunk, in input order, after
    ``prepare`` and with the report kept."""
    report.rows = len(locations.ids)
    for start in range(0, len(locations.ids), chunk):
        stop = min(start + chunk, len(locations.ids))
        if prepare is not None:
            prepare(locations, start, stop, report)
        positions = np.arange(start, stop)
        readable = positions[[p not in locations.errors for p in positions.tolist()]]
        codes = None
        if locations.commune_codes is not None:
            codes = [locations.commune_codes[p] for p in readable.tolist()]
            codes = codes if any(codes) else None
        yield make(positions, readable, classify(
            index, policy, locations.lon[readable], locations.lat[readable],
            locations.precision[readable], commune_codes=codes))
    report.errors.extend((locations.lines[p], m) for p, m in locations.errors.items())
    report.errors.sort()
    report.warnings.sort()


def _account(report: BatchReport, locations: Locations, readable: np.ndarray,
             refused: dict[int, str], categories: dict[str, int]) -> None:
    """Count a chunk's classified rows and categories; list the rows the engine refused
    (``refused``: their place among the readable rows, and why)."""
    for at, error in refused.items():
        line = locations.lines[int(readable[at])]
        report.errors.append((line, f"ligne {line} : {error}"))
    for category, count in categories.items():
        if category is not None:
            report.categories[category] = report.categories.get(category, 0) + count
    report.classified += len(readable) - len(refused)


def json_rows(index: ReferenceIndex, policy: Policy, locations: Locations, *,
              prepare: Prepare | None = None,
              chunk: int = CHUNK) -> tuple[list[dict], BatchReport]:
    """Contract rows (Python values) in input order; an unreadable row keeps its reason."""
    report = BatchReport()

    def rows(positions, readable, result) -> list[dict]:
        columns = contract_columns(result, identifiers=[locations.ids[p] for p in readable])
        _account(report, locations, readable,
                 {at: error for at, error in enumerate(columns["error"]) if error},
                 Counter(columns["category"]))
        classified = iter(dict(zip(COLUMNS, values, strict=True))
                          for values in zip(*columns.values(), strict=True))
        out = []
        for position in positions.tolist():
            row = unreadable_row(locations, position, policy) \
                if position in locations.errors else next(classified)
            row.update((name, column[position]) for name, column in locations.extra.items())
            out.append(row)
        return out

    found = [row for chunk_rows in _chunks(index, policy, locations, report, chunk=chunk,
                                           prepare=prepare, make=rows)
             for row in chunk_rows]
    return found, report


def write_csv(index: ReferenceIndex, policy: Policy, locations: Locations, target: BinaryIO,
              *, progress: Callable[[int], None] | None = None, prepare: Prepare | None = None,
              chunk: int = CHUNK, spreadsheet: bool = False) -> BatchReport:
    """Write the contract's CSV of ``locations`` (plus their extra columns) to ``target``, a
    binary file, chunk by chunk (polars writes the text).

    ``spreadsheet``: a byte order mark, semicolons, decimal commas and no cell a spreadsheet
    would run as a formula, for a French spreadsheet; else the contract's comma CSV.
    """
    report = BatchReport()

    def frame(positions, readable, result) -> pl.DataFrame:
        found = contract_frame(result, [locations.ids[p] for p in readable.tolist()])
        refused = found.with_row_index("at").filter(pl.col("error").is_not_null())
        _account(report, locations, readable, dict(refused.select("at", "error").iter_rows()),
                 dict(found["category"].value_counts().iter_rows()))
        if len(readable) < len(positions):
            found = _with_unreadable(found, positions, readable, locations, policy)
        start, stop = int(positions[0]), int(positions[-1]) + 1
        found = found.with_columns(pl.Series(name, column[start:stop], strict=False)
                                   for name, column in locations.extra.items())
        if spreadsheet:
            found = found.with_columns(pl.col(pl.Float64).cast(pl.String)
                                       .str.replace(".", ",", literal=True))
        if "lon_text" in found.columns:  # unreadable rows: their coordinates as given
            found = found.with_columns(
                pl.coalesce(pl.col(name).cast(pl.String), f"{name}_text").alias(name)
                for name in ("lon", "lat")).drop("lon_text", "lat_text")
        return _formulas_disarmed(found) if spreadsheet else found

    if spreadsheet:
        target.write(BOM.encode())
    header, written = True, None
    with ThreadPoolExecutor(max_workers=1) as writer:  # writes chunk k, classifies k + 1
        for found in _chunks(index, policy, locations, report, chunk=chunk, prepare=prepare,
                             make=frame):
            if written is not None:
                written.result()
            written = writer.submit(found.write_csv, target, include_header=header,
                                    separator=";" if spreadsheet else ",")
            header = False
            if progress:
                progress(found.height)
        if written is not None:
            written.result()
    if header:  # no row at all: the header alone
        target.write((";" if spreadsheet else ",").join([*COLUMNS, *locations.extra])
                     .encode() + b"\n")
    return report


def _with_unreadable(found: pl.DataFrame, positions: np.ndarray, readable: np.ndarray,
                     locations: Locations, policy: Policy) -> pl.DataFrame:
    """The chunk's rows in input order; the unreadable ones as given, their coordinates in
    ``lon_text`` and ``lat_text``."""
    unreadable = [p for p in positions.tolist() if p in locations.errors]
    rows = []
    for position in unreadable:
        row = unreadable_row(locations, position, policy)
        row.update(lon=None, lat=None, lon_text=row["lon"], lat_text=row["lat"], at=position)
        rows.append(row)
    schema = dict(found.schema, lon_text=pl.String, lat_text=pl.String, at=pl.Int64)
    return pl.concat([
        found.with_columns(pl.lit(None, dtype=pl.String).alias("lon_text"),
                           pl.lit(None, dtype=pl.String).alias("lat_text"),
                           pl.Series("at", readable, dtype=pl.Int64)),
        pl.DataFrame(rows, schema=schema)]).sort("at").drop("at")


def _formulas_disarmed(found: pl.DataFrame) -> pl.DataFrame:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe
    (``geodata.spreadsheet``), numbers written as text excepted."""

    def safe(name: str) -> pl.Expr:
        cell = pl.col(name)
        runs = pl.any_horizontal(cell.str.starts_with(start) for start in FORMULA_START)
        number = cell.str.contains(f"^(?:{NUMBER.pattern})$")
        return pl.when(runs & ~number).then(pl.lit("'") + cell).otherwise(cell).alias(name)

    return found.with_columns(safe(name) for name, kind in found.schema.items()
                              if kind == pl.String)


def classify_csv(
    index: ReferenceIndex,
    policy: Policy,
    data: bytes | str,
    target: BinaryIO,
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
