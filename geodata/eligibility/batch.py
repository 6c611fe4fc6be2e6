"""Classify a CSV of locations: ``id``, ``lon``, ``lat`` in, the contract's columns out.

French spreadsheets are accepted as they come: UTF-8 (with or without BOM) or Latin-1,
comma or semicolon, decimal comma. A row that cannot be read is never dropped: it is
written with its line number and reason in the ``error`` column, and listed in the report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from geodata.eligibility.columns import COLUMNS, contract_columns
from geodata.eligibility.engine import PRECISIONS, classify
from geodata.eligibility.layers import ReferenceIndex
from geodata.policy import Policy

__all__ = [
    "BatchError",
    "BatchReport",
    "classify_csv",
    "format_value",
    "read_locations",
    "summary",
    "unreadable_row",
]

REQUIRED = ("id", "lon", "lat")
CHUNK = 100_000


class BatchError(ValueError):
    """A file that cannot be read as a CSV of locations (the whole file, not one row)."""


@dataclass
class BatchReport:
    """How many rows were read and classified, and each row in error with its reason."""

    rows: int = 0
    classified: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    categories: dict[str, int] = field(default_factory=dict)


@dataclass
class Locations:
    """Parsed input rows: what the engine needs, and the errors of the unreadable ones."""

    lines: list[int]
    ids: list[str]
    raw: list[tuple[str, str]]
    lon: np.ndarray
    lat: np.ndarray
    precision: np.ndarray
    errors: dict[int, str]  # position -> message


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BatchError("encodage illisible (UTF-8 ou Latin-1 attendu)")  # pragma: no cover


def read_locations(data: bytes | str) -> Locations:
    """Parse a CSV of locations; per-row problems are recorded, not raised."""
    text = _decode(data) if isinstance(data, bytes) else data
    if not text.strip():
        raise BatchError("fichier vide")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise BatchError(f"colonne(s) obligatoire(s) absente(s) : {', '.join(missing)} "
                         f"(colonnes trouvées : {', '.join(columns) or 'aucune'})")
    reader.fieldnames = columns
    lines, ids, raw, lons, lats, precisions, errors = [], [], [], [], [], [], {}
    line = reader.line_num + 1
    for record in reader:
        position = len(lines)
        lines.append(line)
        ids.append((record.get("id") or "").strip())
        lon_text, lat_text = (record.get("lon") or "").strip(), (record.get("lat") or "").strip()
        raw.append((lon_text, lat_text))
        precision = (record.get("precision") or "point").strip() or "point"
        lon, lat, error = _coordinates(lon_text, lat_text)
        if error is None and precision not in PRECISIONS:
            error = f"précision inconnue {precision!r} (attendu : {', '.join(PRECISIONS)})"
        if error is not None:
            errors[position] = f"ligne {line} : {error}"
        lons.append(lon)
        lats.append(lat)
        precisions.append(precision)
        line = reader.line_num + 1
    return Locations(lines, ids, raw, np.array(lons, dtype=float), np.array(lats, dtype=float),
                     np.array(precisions, dtype=object), errors)


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


def classify_csv(
    index: ReferenceIndex,
    policy: Policy,
    data: bytes | str,
    target: TextIO,
    *,
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Classify every row of ``data`` and write the contract's CSV to ``target``."""
    locations = read_locations(data)
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(COLUMNS)
    report = BatchReport(rows=len(locations.ids))
    for start in range(0, len(locations.ids), CHUNK):
        stop = min(start + CHUNK, len(locations.ids))
        _write_chunk(index, policy, locations, start, stop, writer, report)
        if progress:
            progress(stop - start)
    report.errors.extend((locations.lines[p], m) for p, m in locations.errors.items())
    report.errors.sort()
    return report


BOOLEAN_COLUMNS = ("metropole", "in_qpv", "near_qpv", "outside_large_urban_centre")
BOOLEAN_TEXT = {True: "true", False: "false", None: ""}


def _write_chunk(index, policy, locations: Locations, start: int, stop: int, writer,
                 report: BatchReport) -> None:
    positions = np.arange(start, stop)
    valid = np.array([p not in locations.errors for p in positions.tolist()], dtype=bool)
    chosen = positions[valid]
    result = classify(index, policy, locations.lon[chosen], locations.lat[chosen],
                      locations.precision[chosen])
    columns = contract_columns(result, identifiers=[locations.ids[p] for p in chosen])
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
    if valid.all():
        writer.writerows(classified)
        return
    for position in positions.tolist():
        if position in locations.errors:
            row = unreadable_row(locations, position, policy)
            writer.writerow([format_value(row[column]) for column in COLUMNS])
        else:
            writer.writerow(next(classified))


def summary(report: BatchReport, errors_shown: int = 10) -> Iterable[str]:
    """The report in French, for the command line."""
    yield (f"{report.rows} ligne(s) lue(s), {report.classified} classée(s), "
           f"{len(report.errors)} en erreur (laissée(s) dans le fichier avec la colonne error).")
    for category, count in sorted(report.categories.items()):
        yield f"  {category} : {count}"
    for _, message in report.errors[:errors_shown]:
        yield f"  erreur {message}"
    if len(report.errors) > errors_shown:
        yield f"  … et {len(report.errors) - errors_shown} autre(s)"
