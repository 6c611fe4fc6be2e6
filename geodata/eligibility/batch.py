"""Classify a CSV of locations: the contract's columns out, in input order.

The file is read by ``geodata.eligibility.reading`` (every row kept, each unreadable one
with its line and reason). The output is written by polars, a chunk at a time, in a second
thread while the next chunk is classified: a million rows take seconds, not a minute. An
unreadable row is written as given, with its reason in the ``error`` column, and listed in
the report.

The same chunked loop serves address files (``geodata.eligibility.addresses``): a
``prepare`` hook fills each chunk's coordinates before it is classified, and extra columns
(``Locations.extra``) follow the contract's, in order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import polars as pl

from geodata.eligibility.columns import COLUMNS, contract_columns, contract_frame
from geodata.eligibility.engine import classify
from geodata.eligibility.french_csv import french_frame, french_header
from geodata.eligibility.layers import ReferenceIndex
from geodata.eligibility.reading import Locations, read_locations
from geodata.policy import Policy
from geodata.spreadsheet import BOM, FORMULA_START, NUMBER

__all__ = [
    "CHUNK",
    "BatchReport",
    "classify_csv",
    "format_value",
    "json_rows",
    "summary",
    "unreadable_row",
    "write_csv",
]

CHUNK = 100_000


@dataclass
class BatchReport:
    """How many rows were read and classified, and each row in error with its reason."""

    rows: int = 0
    classified: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    categories: dict[str, int] = field(default_factory=dict)
    geocoded: int = 0  # address rows the geocoder placed
    warnings: list[tuple[int, str]] = field(default_factory=list)  # classified, to check


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

    ``spreadsheet``: a byte order mark, semicolons, decimal commas, French headers and values
    (``geodata.eligibility.french_csv``) and no cell a spreadsheet would run as a formula, for
    a French spreadsheet; else the contract's comma CSV.
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
        return _formulas_disarmed(french_frame(found)) if spreadsheet else found

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
        columns = [*COLUMNS, *locations.extra]
        target.write((";".join(french_header(columns)) if spreadsheet else ",".join(columns))
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
