"""A batch's result for French readers: the spreadsheet file's French headers and values, and
one page of its rows, filtered, read back from that file for the screen.

The contract's CSV (API, ``fabriques classify``) keeps its English columns and ``true`` /
``false`` values: programs read it. The file a person opens in a spreadsheet (the batch page's
download) says the same in French: ``FRENCH_HEADERS`` (``lon`` becomes ``longitude``, which
``geodata.eligibility.reading`` reads back), ``oui`` / ``non``, the categories' and
precisions' labels, decimal commas (``geodata.eligibility.batch.write_csv``).

``read_page`` streams that file with the ``csv`` module: whatever its size (100,000 rows and
more), only the rows of the page asked for are kept in memory, and every matching row is
counted on the way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from geodata.eligibility.reading import column_name
from geodata.eligibility.sentences import PRECISION_LABELS
from geodata.policy import CATEGORIES, CATEGORY_UNDETERMINED, SHORT_CATEGORIES
from geodata.spreadsheet import shown_cell

__all__ = [
    "ERRORS",
    "GIVEN",
    "GIVEN_SUFFIX",
    "FRENCH_HEADERS",
    "SHOWS",
    "TO_CHECK",
    "ResultPage",
    "ResultPageError",
    "french_frame",
    "french_header",
    "read_page",
]

FRENCH_HEADERS = {
    "id": "id", "lon": "longitude", "lat": "latitude", "precision": "précision",
    "commune_code": "code commune", "commune_name": "commune",
    "density_level": "niveau de densité", "density_label": "densité",
    "metropole": "métropole", "in_qpv": "en QPV", "qpv_code": "code QPV", "qpv_name": "QPV",
    "nearest_qpv_code": "QPV le plus proche", "distance_to_qpv_m": "distance au QPV (m)",
    "near_qpv": "à proximité immédiate d'un QPV",
    "outside_large_urban_centre": "hors des grands centres urbains",
    "category": "catégorie", "policy": "politique", "qpv_vintage": "millésime des QPV",
    "explanation": "explication", "error": "erreur", "geocoded_label": "adresse trouvée",
    "geocoding_score": "score du géocodage", "geocoding_type": "type de résultat du géocodage",
    "geocoding_warning": "adresse à vérifier",
}
"""Contract column -> header of the French spreadsheet file (same order as the contract)."""
GIVEN = "\0fichier:"
"""The prefix, never a column's name, of the frame columns that hold the file's own."""
GIVEN_SUFFIX = " (fichier)"
"""Added to the name of a column of the file that the service writes too (``id``, ``lon``):
the result file keeps both, never two columns of one name."""
TYPED_PLACE = ("adresse", "address", "ville", "commune", "city", "code_postal", "postcode")
"""The file's own columns that say where a row is, shown when it has no position."""
CONTRACT_OF = {french: name for name, french in FRENCH_HEADERS.items()}
CATEGORY_OF = {label: code for code, label in CATEGORIES.items()}
TO_CHECK, ERRORS = "a-verifier", "erreurs"
SHOWS = {
    "": "Toutes les lignes",
    **{code: f"Catégorie : {label}" for code, label in SHORT_CATEGORIES.items()
       if code != CATEGORY_UNDETERMINED},
    TO_CHECK: "À vérifier (catégorie « à vérifier » ou adresse à revoir)",
    ERRORS: "En erreur",
}
"""What the page can show: every row, one category, the rows to check, the rows in error."""


class ResultPageError(ValueError):
    """A filter the page does not know."""


def french_header(columns: list[str]) -> list[str]:
    """The French header of a result file with these contract (and extra) columns."""
    return [FRENCH_HEADERS.get(name, name) for name in columns]


def french_frame(found: pl.DataFrame) -> pl.DataFrame:
    """A chunk of the contract's frame (floats already written with decimal commas) with
    French values and headers: oui/non, the categories' and precisions' labels."""
    changes = [pl.when(pl.col(name)).then(pl.lit("oui")).when(~pl.col(name))
               .then(pl.lit("non")).alias(name)  # null (undetermined) stays empty
               for name, kind in found.schema.items() if kind == pl.Boolean]
    for name, labels in (("category", CATEGORIES), ("precision", PRECISION_LABELS)):
        if name in found.columns:
            changes.append(pl.col(name).cast(pl.String).replace(labels))
    return found.with_columns(changes).rename(
        {name: FRENCH_HEADERS[name] for name in found.columns if name in FRENCH_HEADERS})


@dataclass(frozen=True)
class ResultPage:
    """The rows of one page (contract names as keys, French values), the number of rows
    that match the filter, the page number and the number of pages."""

    rows: list[dict]
    matching: int
    page: int
    pages: int


def _records(path: Path) -> Iterator[dict]:
    """The file's rows, each cell as it was before ``geodata.spreadsheet`` disarmed it."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file, delimiter=";")
        header = [CONTRACT_OF.get(name, name) for name in next(reader, [])]
        for position, cells in enumerate(reader):
            record = dict(zip(header, map(shown_cell, cells), strict=False))
            record["position"] = position
            yield record


def _matches(show: str):
    if show == "":
        return lambda record: True
    if show == ERRORS:
        return lambda record: bool(record.get("error"))
    if show == TO_CHECK:
        label = CATEGORIES[CATEGORY_UNDETERMINED]
        return lambda record: (record.get("category") == label
                               or bool(record.get("geocoding_warning")))
    if show in CATEGORIES:
        label = CATEGORIES[show]
        return lambda record: record.get("category") == label
    raise ResultPageError(f"filtre inconnu : {show!r}")


def _typed_place(record: dict) -> str:
    """What the file's own columns say of a row's place (address, postal code, town)."""
    return " ".join(" ".join(value.split()) for name, value in record.items()
                    if isinstance(name, str) and isinstance(value, str) and value.strip()
                    and column_name(name.removesuffix(GIVEN_SUFFIX)) in TYPED_PLACE)


def read_page(path: Path, show: str = "", page: int = 1, per_page: int = 50) -> ResultPage:
    """Page ``page`` (from 1; past the last one: the last one) of the rows that ``show``
    keeps (a key of ``SHOWS``), streamed from the French result file at ``path``."""
    keep = _matches(show)
    page = max(1, page)
    first = (page - 1) * per_page
    rows: list[dict] = []
    last_page: list[dict] = []  # the rows of the last full or partial page seen so far
    matching = 0
    for record in _records(path):
        if not keep(record):
            continue
        if first <= matching < first + per_page:
            rows.append(record)
        if matching % per_page == 0:
            last_page = []
        last_page.append(record)
        matching += 1
    pages = max(1, -(-matching // per_page))
    if page > pages:  # asked beyond the end: the last page
        page, rows = pages, last_page if matching else []
    category_of = CATEGORY_OF
    for row in rows:
        row["category_code"] = category_of.get(row.get("category") or "")
        row["typed_place"] = _typed_place(row)
    return ResultPage(rows, matching, page, pages)

