"""Classify a CSV of locations: the contract's columns out, in input order.

The file is read by ``geodata.eligibility.reading`` (every row kept, each unreadable one
with its line and reason). Chunks go through a pipeline of threads (``_pipelined``): one
reads chunk k + 3, one classifies chunk k + 2, the caller makes the frame of chunk k + 1
while polars writes chunk k in a fourth: a million rows take seconds, not a minute. An
unreadable row is written as given, with its reason in the ``error`` column, and listed in
the report.

The same chunked loop serves address files (``geodata.eligibility.addresses``): a
``prepare`` hook fills each chunk's coordinates before it is classified, and extra columns
(``Locations.extra``) follow the contract's, in order.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, BinaryIO

import numpy as np
import polars as pl

from geodata.eligibility.chunks import TextChunk, parsed
from geodata.eligibility.columns import COLUMNS, contract_columns, contract_frame
from geodata.eligibility.engine import Classification, classify
from geodata.eligibility.french_csv import GIVEN, french_frame, french_header
from geodata.eligibility.layers import ReferenceIndex
from geodata.eligibility.reading import Locations, read_locations
from geodata.french import agreed
from geodata.policy import Policy
from geodata.spreadsheet import BOM, FORMULA_START, NUMBER

__all__ = [
    "CHUNK",
    "BatchReport",
    "chunk_csv",
    "chunk_frame",
    "classify_csv",
    "format_value",
    "json_rows",
    "merge",
    "summary",
    "unreadable_row",
    "write_chunks",
    "write_csv",
]

CHUNK = 25_000
"""Rows classified and written at a time: a few chunks are in memory at once (about 2 KB a
row while it is classified). 25,000 rather than 50,000: a million rows take ~60 MB less at
the peak for about the same time; a chunk still meets the grids (``GRID_MIN_POINTS``)."""


@dataclass
class BatchReport:
    """How many rows were read and classified, and each row in error with its reason."""

    rows: int = 0
    classified: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    categories: dict[str, int] = field(default_factory=dict)
    geocoded: int = 0  # address rows the geocoder placed
    ungeocoded: int = 0  # address rows the geocoder was out of reach for
    at_commune: int = 0  # of those, placed at the commune they name (precision commune)
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


def _parts(locations: Locations, chunk: int) -> Iterator[Locations]:
    """``locations`` by chunks of ``chunk`` positions (``Locations.part``)."""
    for start in range(0, len(locations.ids), chunk):
        yield locations.part(start, min(start + chunk, len(locations.ids)))


def _prepared(parts: Iterable[Locations], prepare: Prepare | None,
              report: BatchReport) -> Iterator[Locations]:
    """Each chunk after ``prepare`` (when there is one), counted in the report."""
    for part in parts:
        if prepare is not None:
            prepare(part, 0, len(part.ids), report)
        yield part


def _classified(index: ReferenceIndex, policy: Policy, part: Locations
                ) -> tuple[np.ndarray, Classification]:
    """The readable positions of a chunk and their classification."""
    readable = np.array([p for p in range(len(part.ids)) if p not in part.errors],
                        dtype=np.int64)
    codes = None
    if part.commune_codes is not None:
        codes = [part.commune_codes[p] for p in readable.tolist()]
        codes = codes if any(codes) else None
    return readable, classify(index, policy, part.lon[readable], part.lat[readable],
                              part.precision[readable], commune_codes=codes)


def _account(report: BatchReport, locations: Locations, readable: np.ndarray,
             refused: dict[int, str], categories: dict[str, int]) -> None:
    """Count a chunk's rows, classified rows and categories; list its unreadable rows and
    those the engine refused (``refused``: their place among the readable rows, and why)."""
    report.rows += len(locations.ids)
    report.errors.extend((locations.lines[p], m) for p, m in locations.errors.items())
    for at, error in refused.items():
        line = locations.lines[int(readable[at])]
        report.errors.append((line, f"ligne {line} : {error}"))
    for category, count in categories.items():
        if category is not None:
            report.categories[category] = report.categories.get(category, 0) + count
    report.classified += len(readable) - len(refused)


def merge(report: BatchReport, part: BatchReport) -> None:
    """Add a chunk's report (rows, errors, categories) to the whole batch's."""
    report.rows += part.rows
    report.classified += part.classified
    report.errors.extend(part.errors)
    report.geocoded += part.geocoded
    report.warnings.extend(part.warnings)
    for category, count in part.categories.items():
        report.categories[category] = report.categories.get(category, 0) + count


def _sorted(report: BatchReport) -> BatchReport:
    report.errors.sort()
    report.warnings.sort()
    return report


def json_rows(index: ReferenceIndex, policy: Policy, locations: Locations, *,
              prepare: Prepare | None = None, chunk: int = CHUNK,
              encode: Callable[[dict], Any] | None = None) -> tuple[list, BatchReport]:
    """Contract rows (Python values) in input order; an unreadable row keeps its reason.
    ``encode``: each row as it is made (its JSON text, say), so that a whole batch's dicts
    are never held at once."""
    report = BatchReport()
    found = []
    for part in _prepared(_parts(locations, chunk), prepare, report):
        readable, result = _classified(index, policy, part)
        columns = contract_columns(result, identifiers=[part.ids[p] for p in readable])
        _account(report, part, readable,
                 {at: error for at, error in enumerate(columns["error"]) if error},
                 Counter(columns["category"]))
        classified = iter(dict(zip(COLUMNS, values, strict=True))
                          for values in zip(*columns.values(), strict=True))
        for position in range(len(part.ids)):
            row = unreadable_row(part, position, policy) \
                if position in part.errors else next(classified)
            row.update((name, column[position]) for name, column in part.extra.items())
            found.append(row if encode is None else encode(row))
    return found, _sorted(report)


def chunk_frame(index: ReferenceIndex, policy: Policy, part: Locations, *,
                spreadsheet: bool = False, short: bool = False,
                classified: tuple[np.ndarray, Classification] | None = None
                ) -> tuple[pl.DataFrame, BatchReport]:
    """The contract's frame of one chunk (its extra columns after), ready to be written as
    ``write_csv`` writes it, and the chunk's report. ``classified``: the chunk's
    ``_classified`` when it was classified already (in another thread)."""
    report = BatchReport()
    readable, result = classified or _classified(index, policy, part)
    found = contract_frame(result, [part.ids[p] for p in readable.tolist()], short=short)
    refused = found.with_row_index("at").filter(pl.col("error").is_not_null())
    _account(report, part, readable, dict(refused.select("at", "error").iter_rows()),
             dict(found["category"].value_counts().iter_rows()))
    if len(readable) < len(part.ids):
        found = _with_unreadable(found, readable, part, policy)
    found = found.with_columns(pl.Series(name, column, strict=False)
                               for name, column in part.extra.items())
    if part.given:  # the file's own columns first, as typed
        found = pl.DataFrame([pl.Series(GIVEN + name, column, dtype=pl.String)
                              for name, column in part.given.items()]).hstack(found)
    if spreadsheet:
        found = found.with_columns(pl.col(pl.Float64).cast(pl.String)
                                   .str.replace(".", ",", literal=True))
    if "lon_text" in found.columns:  # unreadable rows: their coordinates as given
        found = found.with_columns(
            pl.coalesce(pl.col(name).cast(pl.String), f"{name}_text").alias(name)
            for name in ("lon", "lat")).drop("lon_text", "lat_text")
    return (_formulas_disarmed(french_frame(found)) if spreadsheet else found), report


def chunk_csv(index: ReferenceIndex, policy: Policy, part: Locations | TextChunk, *,
              spreadsheet: bool = False, short: bool = False) -> tuple[bytes, BatchReport]:
    """``chunk_frame`` written as CSV text without its header, of a chunk read here when it
    was not: what a worker process sends back (``geodata.eligibility.workers``)."""
    part = parsed(part)
    if not part.ids:
        return b"", BatchReport()
    found, report = chunk_frame(index, policy, part, spreadsheet=spreadsheet, short=short)
    text = io.BytesIO()
    found.write_csv(text, include_header=False, separator=";" if spreadsheet else ",")
    return text.getvalue(), report


def write_csv(index: ReferenceIndex, policy: Policy, locations: Locations, target: BinaryIO,
              *, progress: Callable[[int], None] | None = None, prepare: Prepare | None = None,
              chunk: int = CHUNK, spreadsheet: bool = False, short: bool = False,
              workers: int = 1) -> BatchReport:
    """Write the contract's CSV of ``locations`` (plus their extra columns) to ``target``, a
    binary file, chunk by chunk (``write_chunks``)."""
    return write_chunks(index, policy, _parts(locations, chunk), target, progress=progress,
                        prepare=prepare, extra=tuple(locations.extra),
                        given=tuple(locations.given), spreadsheet=spreadsheet, short=short,
                        workers=workers)


def write_chunks(index: ReferenceIndex, policy: Policy,
                 parts: Iterable[Locations | TextChunk],
                 target: BinaryIO, *, progress: Callable[[int], None] | None = None,
                 prepare: Prepare | None = None, extra: tuple[str, ...] = (),
                 given: tuple[str, ...] = (), spreadsheet: bool = False, short: bool = False,
                 workers: int = 1, pool=None) -> BatchReport:
    """Write the contract's CSV of the chunks ``parts`` (plus their ``extra`` columns) to
    ``target``, a binary file, in their order (polars writes the text). Memory holds a few
    chunks at a time, never the whole batch. A chunk may be left unread (a ``TextChunk``,
    read where it is classified) when there is nothing to ``prepare``.

    ``spreadsheet``: a byte order mark, semicolons, decimal commas, French headers and values
    (``geodata.eligibility.french_csv``) and no cell a spreadsheet would run as a formula, for
    a French spreadsheet; else the contract's comma CSV. ``short``: the one-line explanation
    (``geodata.eligibility.short_sentences``) instead of the paragraph. ``workers``: more
    than 1 classifies the chunks in as many processes (``geodata.eligibility.workers``); the
    file is the same byte for byte. ``pool``: workers started beforehand (a ``WorkerPool``),
    used instead of starting ``workers - 1`` after the first chunk. ``given``: the names of
    the chunks' ``Locations.given`` columns (the file's own), written before the others.
    """
    report = BatchReport()
    columns = [*COLUMNS, *extra]
    header = io.StringIO()
    csv.writer(header, delimiter=";" if spreadsheet else ",", lineterminator="\n").writerow(
        [*given, *(french_header(columns) if spreadsheet else columns)])
    target.write(((BOM if spreadsheet else "") + header.getvalue()).encode())
    parts = _prepared(parts, prepare, report)
    if workers > 1 or pool is not None:
        from geodata.eligibility.workers import csv_in_processes

        written = csv_in_processes(index, policy, parts, workers, spreadsheet=spreadsheet,
                                   short=short, pool=pool)
        for text, part in written:
            target.write(text)
            merge(report, part)
            if progress:
                progress(part.rows)
        return _sorted(report)
    written = None
    with ThreadPoolExecutor(max_workers=1) as writer:  # writes chunk k, frames k + 1
        for part, classified in _pipelined(index, policy, parts, prepare is None):
            found, counted = chunk_frame(index, policy, part, spreadsheet=spreadsheet,
                                         short=short, classified=classified)
            merge(report, counted)
            if written is not None:
                written.result()
            written = writer.submit(found.write_csv, target, include_header=False,
                                    separator=";" if spreadsheet else ",")
            if progress:
                progress(found.height)
        if written is not None:
            written.result()
    return _sorted(report)


def _pipelined(index: ReferenceIndex, policy: Policy, parts: Iterable[Locations | TextChunk],
               threads: bool) -> Iterator[tuple[Locations, tuple[np.ndarray, Classification]]]:
    """Each chunk with rows and its classification (``_classified``). With ``threads``,
    chunk k + 2 is read and chunk k + 1 classified, each in a thread of its own, while the
    caller makes the frame of chunk k: NumPy, GEOS and polars work without the GIL, so
    that two cores are busy. The classifying thread takes the index's lock, as every
    classification does (GEOS prepared geometries are not thread-safe). Without (a chunk to
    prepare, geocoded where it is prepared), each chunk is read and classified here."""
    if not threads:
        located = (part for part in map(parsed, parts) if part.ids)
        return ((part, _classified(index, policy, part)) for part in located)
    read = (located for _, located in _one_ahead(parts, parsed) if located.ids)
    return _one_ahead(read, partial(_classified, index, policy))


def _one_ahead(items: Iterable, work: Callable) -> Iterator[tuple]:
    """``(item, work(item))`` for each item, in order, ``work`` done in a second thread one
    item ahead of the caller."""
    items = iter(items)

    def next_done() -> tuple | None:
        item = next(items, _END)
        return None if item is _END else (item, work(item))

    with ThreadPoolExecutor(max_workers=1) as thread:
        ahead = thread.submit(next_done)
        while (done := ahead.result()) is not None:
            ahead = thread.submit(next_done)
            yield done


_END = object()


def _with_unreadable(found: pl.DataFrame, readable: np.ndarray, locations: Locations,
                     policy: Policy) -> pl.DataFrame:
    """The chunk's rows in input order; the unreadable ones as given, their coordinates in
    ``lon_text`` and ``lat_text``."""
    rows = []
    for position in sorted(locations.errors):
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
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe, numbers
    written as text excepted: ``geodata.spreadsheet.safe_cell`` on a whole frame."""

    def safe(name: str) -> pl.Expr:
        cell = pl.col(name)
        unquoted = cell.str.strip_chars_start("'")
        runs = pl.any_horizontal(unquoted.str.starts_with(start) for start in FORMULA_START)
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
    errors, warnings = len(report.errors), len(report.warnings)
    yield (f"{report.rows} {agreed('ligne(s) lue(s)', report.rows)}, {report.classified} "
           f"{agreed('classée(s)', report.classified)}, {errors} en erreur "
           f"({agreed('laissée(s)', errors)} dans le fichier avec la colonne error).")
    if report.geocoded or report.warnings:
        yield (f"{report.geocoded} {agreed('adresse(s) géocodée(s)', report.geocoded)}, dont "
               f"{warnings} à vérifier (colonne geocoding_warning).")
    for category, count in sorted(report.categories.items()):
        yield f"  {category} : {count}"
    for _, message in report.errors[:errors_shown]:
        yield f"  erreur {message}"
    if errors > errors_shown:
        yield f"  … et {errors - errors_shown} {agreed('autre(s)', errors - errors_shown)}"
    for _, message in report.warnings[:errors_shown]:
        yield f"  à vérifier {message}"
    if warnings > errors_shown:
        yield (f"  … et {warnings - errors_shown} {agreed('autre(s)', warnings - errors_shown)} "
               "à vérifier")
