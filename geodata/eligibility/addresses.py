"""Batches of addresses: geocode them with the BAN's CSV endpoint, then classify them.

Input: a CSV with ``id`` and an address column (``adresse`` or ``address``), optionally a
``ville``/``commune``/``city`` column joined to the query, and ``code_postal``/``postcode``
and ``code_insee``/``citycode`` columns sent to the BAN as filters (a 4-digit code lost its
leading zero in a spreadsheet and gets it back; another malformed code is not sent, and the
row's ``geocoding_warning`` says so). Mixed files are accepted: with ``lon`` and ``lat``
columns too, a row whose coordinates are filled is classified at them (its address is not
geocoded), a row without coordinates is geocoded from its address.

Geocoding goes in chunks through ``BanClient.search_csv`` (only the address, city and
filter columns are sent, never the ids or other columns). Each match gives lon/lat, a
precision from the BAN ``result_type`` (housenumber -> address, street, locality,
municipality -> commune, as ``geodata.checks`` does), and a ``citycode`` that becomes the
commune the engine uses for coarse matches (a municipal arrondissement's becomes its
commune's through ``Geocoding.parents``).

Output: the contract's columns (``COLUMNS``, unchanged, same order), then
``geocoded_label``, ``geocoding_score``, ``geocoding_type`` and ``geocoding_warning``. No row
is dropped, and the two kinds of trouble stay apart:

- ``error`` is for failures only: an address the BAN cannot find ("ligne N : adresse
  introuvable ..."), an empty or malformed one (only punctuation or emoji, too short, too
  long: ``geodata.geocoder.query_problem``, never sent), as for unreadable coordinates. The
  row keeps its id, policy and reason; it is listed in the report's errors.
- ``geocoding_warning`` flags a match that was classified but must be checked by a person:
  a score below ``Geocoding.low_score`` ("score faible : à vérifier"), or a filter code that
  could not be sent. Such rows are listed in the report's warnings. A match known only to
  the commune or a locality needs no flag here: the engine itself says "à vérifier" in the
  category and explanation when the commune cannot decide.

A geocoder failure (the service down after its retries) raises ``GeocoderError`` and stops
the batch: callers write nothing, or remove what they started.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, BinaryIO, Protocol

import numpy as np

from geodata.commune_lookup import CommuneEntry, CommuneLookupError, names_surely
from geodata.eligibility.batch import CHUNK, BatchReport, json_rows, write_chunks, write_csv
from geodata.eligibility.chunks import FileTable, TextChunk, location_chunks, text_chunks
from geodata.eligibility.layers import ReferenceIndex
from geodata.eligibility.reading import (
    REQUIRED,
    BatchError,
    Locations,
    Table,
    missing_columns,
    overflow_error,
    parse_point,
    read_locations,
    read_table,
)
from geodata.french import decimal
from geodata.geocoder import GeocoderError, GeocodeResult, query_problem
from geodata.policy import Policy

__all__ = [
    "ADDRESS_COLUMNS",
    "GEOCODING_COLUMNS",
    "LOW_SCORE_WARNING",
    "AddressLocations",
    "Geocoding",
    "address_column",
    "batch_chunks",
    "batch_rows",
    "read_batch",
    "write_batch",
    "write_file_batch",
]

ADDRESS_COLUMNS = ("adresse", "address")
CITY_COLUMNS = ("ville", "commune", "city")
POSTCODE_COLUMNS = ("code_postal", "postcode")
CITYCODE_COLUMNS = ("code_insee", "citycode")
GEOCODING_COLUMNS = ("geocoded_label", "geocoding_score", "geocoding_type",
                     "geocoding_warning")
LOW_SCORE_WARNING = "score faible : à vérifier"
ADDRESS_CHUNK = 2_000
"""Rows geocoded and classified at a time: one BAN request, one progress step."""
POSTCODE = re.compile(r"\d{5}")
CITYCODE = re.compile(r"\d{5}|2[AB]\d{3}")


class CsvGeocoder(Protocol):
    """What an address batch needs of a geocoder (``geodata.geocoder.BanClient``)."""

    def search_csv(self, rows: list[dict], columns: list[str], *,
                   citycode_column: str | None = None,
                   postcode_column: str | None = None) -> list[GeocodeResult | None]: ...


@dataclass(frozen=True)
class Geocoding:
    """The geocoder, the score under which a match is flagged, arrondissement -> commune."""

    client: CsvGeocoder
    low_score: float
    parents: Mapping[str, str] = field(default_factory=dict)
    outage_kept: bool = False
    """True: when the geocoder is out of reach, its rows are placed at the commune they name
    (``communes``, ``commune_point``) or left unplaced, each saying so, and the others
    classified (a job of ``/verifier/lot``, which can be run again); False: the whole batch
    fails with the ``GeocoderError`` (the API's 503, nothing half sent)."""
    communes: Callable[[str], list[CommuneEntry]] | None = None
    """The communes a text names (``CommuneDirectory.find``): the fall-back of ``outage_kept``,
    as the single check's (``geodata.checks.check_address``)."""
    commune_point: Callable[[str], tuple[float, float] | None] | None = None
    """A commune's point (lon, lat) by its code, None when it has no contour."""


@dataclass
class AddressLocations(Locations):
    """Locations of an address file: the BAN query of each row still to geocode."""

    queries: list[dict | None] = field(default_factory=list)  # None: coordinates, or error
    filters: tuple[str | None, str | None] = (None, None)  # postcode, citycode column
    has_city: bool = False

    @property
    def to_geocode(self) -> int:
        """How many rows have an address to send to the geocoder."""
        return sum(query is not None for query in self.queries)


def _first(columns: list[str], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in columns), None)


def _code(text: str | None, pattern: re.Pattern) -> tuple[str, str | None]:
    """A filter code, spaces removed and a lost leading zero restored; "" and the value as
    given when it is malformed (so it is not sent)."""
    given = (text or "").strip()
    value = "".join(given.split()).upper()
    if value.isdigit() and len(value) == 4:
        value = "0" + value
    if not value or pattern.fullmatch(value):
        return value, None
    return "", given


def address_column(columns: list[str]) -> str | None:
    """The address column of a file with these columns, None for a file of coordinates."""
    return _first(columns, ADDRESS_COLUMNS)


def read_batch(data: bytes | str) -> Locations:
    """A CSV of coordinates (``Locations``) or of addresses (``AddressLocations``)."""
    table = read_table(data)
    address = address_column(table.columns)
    if address is None:
        missing_columns(table, REQUIRED, address_instead=True)
        return read_locations(table)
    missing_columns(table, ("id",))
    return _read_addresses(table, address)


def batch_chunks(table: FileTable, rows: int | None = None, *, unread: bool = False
                 ) -> Iterator[Locations | TextChunk]:
    """``read_batch`` of a file on disk by chunks of ``rows`` (default: ``CHUNK`` rows of
    coordinates, ``ADDRESS_CHUNK`` of addresses): its columns are checked now. ``unread``:
    the chunks of coordinates without quotes are left to read where they are classified
    (``chunks.text_chunks``)."""
    address = address_column(table.columns)
    if address is None:
        missing_columns(table, REQUIRED, address_instead=True)
        return (text_chunks if unread else location_chunks)(table, rows or CHUNK)
    missing_columns(table, ("id",))
    return _address_chunks(table, address, rows or ADDRESS_CHUNK)


def _address_chunks(table: FileTable, address: str, rows: int) -> Iterator[AddressLocations]:
    records = table.records()
    while batch := list(islice(records, rows)):
        yield _read_addresses(Table(table.columns, table.delimiter, iter(batch)), address)


def _read_addresses(table: Table, address: str) -> AddressLocations:
    columns = table.columns
    city = _first(columns, CITY_COLUMNS)
    postcode, citycode = _first(columns, POSTCODE_COLUMNS), _first(columns, CITYCODE_COLUMNS)
    mixed = "lon" in columns and "lat" in columns
    found = AddressLocations([], [], [], np.empty(0), np.empty(0), np.empty(0), {},
                             commune_codes=[], filters=(postcode, citycode),
                             has_city=city is not None)
    lons, lats, precisions, warnings = [], [], [], []
    for line, record in table.records:
        position = len(found.lines)
        found.lines.append(line)
        found.ids.append((record.get("id") or "").strip())
        lon_text = (record.get("lon") or "").strip() if mixed else ""
        lat_text = (record.get("lat") or "").strip() if mixed else ""
        query, error, warning = None, None, None
        if lon_text or lat_text:
            lon, lat, precision, error = parse_point(lon_text, lat_text, record.get("precision"))
            found.raw.append((lon_text, lat_text))
        else:
            lon, lat, precision = np.nan, np.nan, "point"
            found.raw.append((None, None))
            query, error, warning = _query(record, address, city, postcode, citycode, mixed)
        shifted = overflow_error(record, columns)
        if shifted is not None:
            lon, lat, error = np.nan, np.nan, shifted
        if error is not None:
            found.errors[position] = f"ligne {line} : {error}"
        found.queries.append(query if error is None else None)
        found.commune_codes.append(None)
        lons.append(lon)
        lats.append(lat)
        precisions.append(precision)
        warnings.append(warning)
    found.lon, found.lat = np.array(lons, dtype=float), np.array(lats, dtype=float)
    found.precision = np.array(precisions, dtype=object)
    found.extra = {name: [None] * len(found.ids) for name in GEOCODING_COLUMNS}
    found.extra["geocoding_warning"] = warnings
    return found


def _query(record: dict, address: str, city: str | None, postcode: str | None,
           citycode: str | None, mixed: bool) -> tuple[dict | None, str | None, str | None]:
    """The BAN query of a row, or why there is none; and a warning about its filters."""
    text = " ".join((record.get(address) or "").split())
    town = " ".join((record.get(city) or "").split()) if city else ""
    if not text:
        return None, ("ni coordonnées (lon, lat) ni adresse" if mixed else "adresse vide"), None
    problem = query_problem(text, town)  # only punctuation or emoji, too short, too long
    if problem:
        return None, problem, None
    query = {"adresse": text, "ville": town}
    ignored = []
    for key, column, pattern, label in (("code_postal", postcode, POSTCODE, "code postal"),
                                        ("code_insee", citycode, CITYCODE, "code INSEE")):
        if column:
            query[key], bad = _code(record.get(column), pattern)
            if bad:
                ignored.append(f"{label} {bad!r} ignoré (format inconnu)")
    return query, None, " ; ".join(ignored) or None


def _geocode(geocoding: Geocoding) -> Callable[[Locations, int, int, BatchReport], None]:
    """The hook that geocodes positions ``start:stop`` before they are classified."""

    def prepare(locations: Locations, start: int, stop: int, report: BatchReport) -> None:
        if not isinstance(locations, AddressLocations):
            return
        positions = [p for p in range(start, stop) if locations.queries[p] is not None]
        if not positions:
            return
        postcode, citycode = locations.filters
        try:
            results = geocoding.client.search_csv(
                [locations.queries[p] for p in positions],
                ["adresse", "ville"] if locations.has_city else ["adresse"],
                postcode_column="code_postal" if postcode else None,
                citycode_column="code_insee" if citycode else None)
        except GeocoderError as error:
            if not geocoding.outage_kept:
                raise
            for position in positions:
                _at_commune(locations, position, str(error), geocoding, report)
            report.ungeocoded += len(positions)
            return
        for position, result in zip(positions, results, strict=True):
            _place(locations, position, result, geocoding, report)

    return prepare


OUTAGE = "Base Adresse Nationale injoignable"


def _at_commune(locations: AddressLocations, position: int, failure: str,
                geocoding: Geocoding, report: BatchReport) -> None:
    """The geocoder is out of reach: the row at the one commune its text names, at commune
    precision with a warning saying why; else an error saying why, once."""
    line, query = locations.lines[position], locations.queries[position]
    text = " ".join(filter(None, (query["adresse"], query.get("code_postal"), query["ville"])))
    found: list[CommuneEntry] = []
    if geocoding.communes is not None:
        try:
            found = geocoding.communes(query.get("code_insee") or text)
        except CommuneLookupError:
            found = []
    # a row's own code or commune column is sure; otherwise ``names_surely`` says
    sure = bool(query.get("code_insee") or query.get("code_postal") or query.get("ville")) \
        or names_surely(text, found)
    point = geocoding.commune_point(found[0].code) \
        if len(found) == 1 and sure and geocoding.commune_point else None
    reason = failure.removesuffix(" ; réessayez plus tard")
    if point is None:
        named = (f"plusieurs communes s'appellent « {found[0].name} »"
                 if len({c.name for c in found}) == 1  # else a code, postal and INSEE
                 else f"plusieurs communes répondent à « {text[:80]} »")
        said = (f"{named} ("
                + ", ".join(f"{c.code}, {c.departement_name or c.departement}" for c in found)
                + ") : précisez le code postal ou le code INSEE" if len(found) > 1
                else f"aucune commune sûre dans « {text[:80]} » (sans code postal ni "
                "commune, le dernier mot d'une rue peut être pris pour une commune)" if found
                else f"aucune commune reconnue dans « {text[:80]} »")
        locations.errors[position] = (f"ligne {line} : adresse non géocodée : {reason} ; "
                                      f"{said}, ou relancez le lot plus tard")
        return
    entry = found[0]
    locations.lon[position], locations.lat[position] = (round(v, 5) for v in point)  # ~1 m
    locations.precision[position] = "commune"
    locations.commune_codes[position] = entry.code
    warning = (f"{OUTAGE} : lieu pris au centre de la commune {entry.name} ({entry.code}), "
               "précision commune ; relancez le lot plus tard pour l'adresse")
    locations.extra["geocoding_warning"][position] = warning
    report.at_commune += 1
    report.warnings.append((line, f"ligne {line} : {warning}"))


def _place(locations: AddressLocations, position: int, result: GeocodeResult | None,
           geocoding: Geocoding, report: BatchReport) -> None:
    line, query = locations.lines[position], locations.queries[position]
    if result is None:
        filters = ", ".join(f"{label} {query[key]}" for key, label in (
            ("code_postal", "code postal"), ("code_insee", "code INSEE")) if query.get(key))
        text = " ".join(filter(None, (query["adresse"], query["ville"])))
        locations.errors[position] = (
            f"ligne {line} : adresse introuvable dans la Base Adresse Nationale : {text!r}"
            + (f" (filtre : {filters})" if filters else ""))
        return
    locations.lon[position], locations.lat[position] = result.lon, result.lat
    locations.precision[position] = result.precision
    code = result.citycode
    locations.commune_codes[position] = geocoding.parents.get(code, code) if code else None
    extra = locations.extra
    extra["geocoded_label"][position] = result.label
    extra["geocoding_score"][position] = result.score
    extra["geocoding_type"][position] = result.result_type
    report.geocoded += 1
    warnings = [extra["geocoding_warning"][position]]
    if result.score < geocoding.low_score:
        warnings.insert(0, LOW_SCORE_WARNING)
    warning = " ; ".join(filter(None, warnings)) or None
    extra["geocoding_warning"][position] = warning
    if warning:
        score = decimal(result.score, 2)
        report.warnings.append((line, f"ligne {line} : {warning} — {result.label} "
                                      f"(score {score})"))


def _hook(locations: Locations, geocoding: Geocoding | None):
    if not isinstance(locations, AddressLocations) or not locations.to_geocode:
        return None
    if geocoding is None:
        raise BatchError("ce fichier contient des adresses : la Base Adresse Nationale est "
                         "nécessaire pour les localiser")
    return _geocode(geocoding)


def write_batch(index: ReferenceIndex, policy: Policy, locations: Locations, target: BinaryIO,
                *, geocoding: Geocoding | None = None,
                progress: Callable[[int], None] | None = None, chunk: int | None = None,
                spreadsheet: bool = False) -> BatchReport:
    """Geocode (address rows) and classify ``locations``, writing the CSV to ``target``."""
    prepare = _hook(locations, geocoding)
    chunk = chunk or (ADDRESS_CHUNK if isinstance(locations, AddressLocations) else CHUNK)
    return write_csv(index, policy, locations, target, progress=progress, prepare=prepare,
                     chunk=chunk, spreadsheet=spreadsheet)


def write_file_batch(index: ReferenceIndex, policy: Policy, table: FileTable,
                     target: BinaryIO, *, geocoding: Geocoding | None = None,
                     progress: Callable[[int], None] | None = None, short: bool = False,
                     workers: int = 1, chunk: int | None = None, pool=None) -> BatchReport:
    """``write_batch`` of a file on disk, read and written by chunks of ``chunk`` rows
    (``batch_chunks``): memory holds a few chunks, whatever the file's size. ``short``,
    ``workers`` and ``pool``: see ``geodata.eligibility.batch.write_chunks``."""
    parts = batch_chunks(table, chunk, unread=True)
    addresses = address_column(table.columns) is not None

    def prepare(part: Locations, start: int, stop: int, report: BatchReport) -> None:
        hook = _hook(part, geocoding)
        if hook is not None:
            hook(part, start, stop, report)

    return write_chunks(index, policy, parts, target, progress=progress,
                        prepare=prepare if addresses else None,
                        extra=GEOCODING_COLUMNS if addresses else (), short=short,
                        workers=workers, pool=pool)


def batch_rows(index: ReferenceIndex, policy: Policy, locations: Locations, *,
               geocoding: Geocoding | None = None,
               encode: Callable[[dict], Any] | None = None) -> tuple[list, BatchReport]:
    """Geocode (address rows) and classify ``locations``: one dict per row, in order (or
    what ``encode`` makes of each)."""
    chunk = ADDRESS_CHUNK if isinstance(locations, AddressLocations) else CHUNK
    return json_rows(index, policy, locations, prepare=_hook(locations, geocoding),
                     chunk=chunk, encode=encode)
