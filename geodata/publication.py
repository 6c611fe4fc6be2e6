"""The laureates as open data: one row per Fabrique, the CSV, the GeoJSON (RFC 7946), the
Table Schema (Frictionless) describing every column, and the Data Package naming the
licence (Licence Ouverte 2.0), the sources and the date.

The published ANCT list and the laureates decided by this service's jury share one table;
a decided laureate that is the same Fabrique as a published one (``match_state == "meme"``)
is published once, as the published one, which takes the decided one's wave, type, SIRET,
amounts and finer place (``merge_matches``). No personal data: neither e-mail nor a person's
name is a column, and an e-mail or a telephone number typed in a name is removed
(``without_contacts``) when the laureates are written (``loaders.laureates``,
``geodata.storage.jury_laureates``; migration 0017 for the rows stored before), so that
no reader of the table, the views of PostGIS included, sees them.

Pure domain code: rows in, text and dictionaries out (``geodata.storage.laureates`` reads the
rows; ``fabriques laureats publier`` writes the files).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

from geodata.dossiers.records import MATCH_SAME
from geodata.eligibility.engine import PRECISIONS
from geodata.files import write_all_whole
from geodata.policy import CATEGORIES, available_policies, load_policy
from geodata.spreadsheet import safe_cell

__all__ = [
    "COLUMNS",
    "LICENCE",
    "MATCH_SAME",
    "SOURCE_BOTH",
    "SOURCE_DECIDED",
    "SOURCE_PUBLISHED",
    "SOURCES",
    "Column",
    "PublicationError",
    "data_package",
    "merge_matches",
    "open_row",
    "publication_csv",
    "publication_geojson",
    "rfc7946_geometry",
    "table_schema",
    "without_contacts",
    "write_publication",
]

SOURCE_PUBLISHED = "liste-publiee"
SOURCE_DECIDED = "decision-jury"
SOURCE_BOTH = "liste-publiee-et-decision-jury"
SOURCES = {
    SOURCE_PUBLISHED: "liste des lauréats publiée par l'ANCT",
    SOURCE_DECIDED: "décision du jury d'une vague, enregistrée par ce service",
    SOURCE_BOTH: "liste publiée par l'ANCT, complétée par la décision du jury (vague, type, "
                 "SIRET, montants)",
}
"""Where a row comes from (the ``source`` column)."""
ENRICHED = ("wave", "kind", "siret", "amount_1", "amount_2", "amount_3")
"""What a published Fabrique takes from the jury's decision that matches it, where it has
none."""
PLACE = ("geom", "lon", "lat", "precision", "territory", "commune_code", "commune_name",
         "departement_code", "departement_name", "region_code", "region_name")
"""The place a published Fabrique takes from the matching decision when the decision's is
finer (an address or a point where the list gives a commune's centroid)."""

LICENCE = {"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence version 2.0 (Etalab)",
           "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+\s*(?:@|\[at\]|\(at\)|\barobase\b)\s*"
                   r"[A-Za-z0-9-]+(?:\s*\.\s*[A-Za-z0-9-]+)*\s*\.\s*[A-Za-z]{2,}\b")
"""An e-mail address, also written « jean.martin @ orange.fr », « contact [at] tiers.fr »."""
EMAIL_REMOVED = "[adresse électronique retirée]"
PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?|0)[1-9]"
                   r"(?:[\s.-]?\d{2}){4}(?!\d)")
"""A French telephone number: 0X XX XX XX XX, +33 X XX XX XX XX or 0033 X XX XX XX XX (spaces,
dots or dashes)."""
PHONE_REMOVED = "[numéro de téléphone retiré]"
FILES = ("fabriques.csv", "fabriques.geojson", "schema.json", "datapackage.json")


class PublicationError(ValueError):
    """Rows that cannot be published as they are (a geometry that cannot be made valid)."""


@dataclass(frozen=True)
class Column:
    """One column of the publication: its Table Schema field and where its value comes from."""

    name: str
    type: str
    description: str
    key: str | None = None  # the row's key; None: the column's own name
    constraints: Mapping | None = None

    def field(self) -> dict:
        """The Table Schema field (Frictionless)."""
        field = {"name": self.name, "type": self.type, "description": self.description}
        if self.constraints:
            field["constraints"] = dict(self.constraints)
        return field


AMOUNT = {"minimum": 0}
COLUMNS: tuple[Column, ...] = (
    Column("id", "string", "Identifiant de la Fabrique : fabt-NN dans la liste publiée par "
           "l'ANCT, ds-<numéro de dossier> pour une Fabrique décidée par le jury d'une vague",
           constraints={"required": True, "unique": True,
                        "pattern": "(fabt-[0-9]{1,4}|ds-[0-9]{1,13})"}),
    Column("nom", "string", "Nom du projet (celui d'une personne morale, jamais d'une "
           "personne)", key="name", constraints={"required": True}),
    Column("type", "string", "FT : Fabrique de Territoire ; FNT : Fabrique Numérique de "
           "Territoire ; vide : non publié", key="kind", constraints={"enum": ["FT", "FNT"]}),
    Column("vague", "string", "Vague de l'appel à manifestation d'intérêt ; vide : non publiée",
           key="wave"),
    Column("commune_code", "string", "Code INSEE de la commune (Code officiel géographique)",
           constraints={"required": True, "pattern": "[0-9][0-9AB][0-9]{3}"}),
    Column("commune_nom", "string", "Nom de la commune", key="commune_name"),
    Column("departement_code", "string", "Code INSEE du département",
           constraints={"pattern": "([0-9]{2}|2[AB]|97[0-9])"}),
    Column("departement_nom", "string", "Nom du département", key="departement_name"),
    Column("region_code", "string", "Code INSEE de la région (ou de la collectivité d'outre-mer)",
           constraints={"pattern": "[0-9]{2,3}"}),
    Column("region_nom", "string", "Nom de la région", key="region_name"),
    Column("lon", "number", "Longitude WGS84 (EPSG:4326) en degrés décimaux ; vide : position "
           "inconnue", constraints={"minimum": -180, "maximum": 180}),
    Column("lat", "number", "Latitude WGS84 (EPSG:4326) en degrés décimaux ; vide : position "
           "inconnue", constraints={"minimum": -90, "maximum": 90}),
    Column("precision", "string", "Ce qu'est le point : commune (centre de la commune, comme "
           "dans la liste publiée), locality (lieu-dit), street (rue), address (adresse), "
           "point (coordonnées exactes) ; vide : position inconnue",
           constraints={"enum": list(PRECISIONS)}),
    Column("categorie", "string", "Catégorie de quota selon la politique en vigueur : "
           + " ; ".join(f"{key} : {label}" for key, label in CATEGORIES.items()),
           key="category", constraints={"required": True, "enum": list(CATEGORIES)}),
    Column("politique", "string", "Politique (lecture des règles de l'AMI) qui donne la "
           "catégorie : " + " ; ".join(f"{name} : {load_policy(name).title}"
                                       for name in available_policies()),
           key="policy", constraints={"required": True, "enum": available_policies()}),
    Column("source", "string", "Origine de la ligne : " + " ; ".join(
        f"{key} : {label}" for key, label in SOURCES.items()),
        constraints={"required": True, "enum": list(SOURCES)}),
    Column("siret", "string", "SIRET de la structure porteuse (personne morale) ; vide : non "
           "publié", constraints={"pattern": "[0-9]{14}"}),
    *(Column(f"montant_annee_{year}", "integer", f"Subvention accordée pour l'année {year}, en "
             "euros ; vide : non publiée", key=f"amount_{year}", constraints=AMOUNT)
      for year in (1, 2, 3)),
)
"""The publication's columns, in order."""


def merge_matches(laureates: Iterable[Mapping]) -> list[dict]:
    """The laureates, each Fabrique once: a decided laureate that is the same as a published
    one (``match_state == "meme"`` and its ``published_match`` in the list) is left out, and
    the published one takes its wave, type, SIRET and amounts where it has none, and its
    place where it is finer (the instruction's point, not the commune's centroid), with the
    source ``liste-publiee-et-decision-jury``. A match to a Fabrique no longer listed keeps
    the decided laureate (it would otherwise vanish); other states stay rows of their own."""
    rows = [dict(row) for row in laureates]
    by_id = {row["id"]: row for row in rows}
    kept = []
    for row in rows:
        row.setdefault("source", SOURCE_DECIDED if row.get("dossier_number") is not None
                       else SOURCE_PUBLISHED)
    for row in rows:
        target = by_id.get(row.get("published_match") or "")
        if row["source"] == SOURCE_DECIDED and row.get("match_state") == MATCH_SAME \
                and target is not None and target["source"] != SOURCE_DECIDED:
            for key in ENRICHED:
                if target.get(key) in (None, ""):
                    target[key] = row.get(key)
            if _finer(row, target):
                target.update({key: row[key] for key in PLACE if key in row})
            target["source"] = SOURCE_BOTH
            continue
        kept.append(row)
    return kept


def _finer(decided: Mapping, published: Mapping) -> bool:
    """Whether the decided laureate is placed more finely than the published one."""
    def rank(row: Mapping) -> int:
        placed = row.get("geom") is not None or row.get("lon") is not None
        precision = row.get("precision")
        return PRECISIONS.index(precision) if placed and precision in PRECISIONS \
            else len(PRECISIONS)
    return rank(decided) < rank(published)


def without_contacts(text: str | None) -> str | None:
    """``text`` with every e-mail address and French telephone number replaced by «
    [adresse électronique retirée] » or « [numéro de téléphone retiré] »: the published list
    holds an e-mail in a project's name (a note of whoever typed it), an applicant may type
    a number there."""
    return PHONE.sub(PHONE_REMOVED, EMAIL.sub(EMAIL_REMOVED, text)) if text else text


def open_row(row: Mapping) -> dict:
    """One Fabrique as the columns of the publication (``COLUMNS``), values typed (None when
    empty); the precision is left empty for a Fabrique without position."""
    values = {column.name: row.get(column.key or column.name) for column in COLUMNS}
    if values["lon"] is None or values["lat"] is None:
        values["lon"] = values["lat"] = values["precision"] = None
    return values


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def publication_csv(rows: Sequence[Mapping]) -> str:
    """The rows (``open_row``) as CSV: UTF-8 without BOM, ``,``, a header of column names. A
    text a spreadsheet would run as a formula (a name typed « =HYPERLINK(…) » by an
    applicant) gets a leading apostrophe (``geodata.spreadsheet.safe_cell``): most readers
    open this file in one; the GeoJSON keeps the text as it is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(column.name for column in COLUMNS)
    for row in rows:
        writer.writerow(_cell(safe_cell(row[column.name])) for column in COLUMNS)
    return buffer.getvalue()


def rfc7946_geometry(geometry: dict | None) -> dict | None:
    """A GeoJSON geometry as RFC 7946 wants it: valid (repaired by ``make_valid``), polygon
    exterior rings counter-clockwise and holes clockwise; None stays None."""
    if geometry is None:
        return None
    shaped = shape(geometry)
    if shaped.is_empty:
        raise PublicationError(f"géométrie vide : {geometry['type']}")
    if not shaped.is_valid:
        shaped = shapely.make_valid(shaped)
    if shaped.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection"):
        shaped = shapely.orient_polygons(shaped, exterior_cw=False)
    return mapping(shaped)


def publication_geojson(rows: Sequence[Mapping]) -> dict:
    """The rows as an RFC 7946 FeatureCollection: WGS84 lon/lat Points, ``null`` geometry
    for a Fabrique without position (it stays in the collection), every other column a
    property."""
    features = []
    for row in rows:
        point = None if row["lon"] is None else {"type": "Point",
                                                 "coordinates": [row["lon"], row["lat"]]}
        features.append({"type": "Feature", "id": row["id"],
                         "geometry": rfc7946_geometry(point),
                         "properties": {k: v for k, v in row.items() if k not in ("lon", "lat")}})
    return {"type": "FeatureCollection", "features": features}


def table_schema() -> dict:
    """The Table Schema (Frictionless) of ``fabriques.csv``."""
    return {"fields": [column.field() for column in COLUMNS], "primaryKey": ["id"],
            "missingValues": [""]}


def data_package(sources: Sequence[Mapping], created: datetime) -> dict:
    """The Data Package: the licence, the sources (``title``, ``path``, ``version``,
    ``licence``) and the date the files were written."""
    return {
        "name": "fabriques-de-territoire-laureats",
        "title": "Fabriques de Territoire lauréates",
        "description": "Les Fabriques de Territoire lauréates (programme de l'État piloté par "
                       "l'ANCT) : identifiant, nom, type, vague, commune, position et sa "
                       "précision, catégorie de quota selon la politique en vigueur, SIRET et "
                       "subventions quand le jury du service les a décidés. Sans donnée "
                       "personnelle.",
        "created": created.isoformat(timespec="seconds"),
        "version": created.date().isoformat(),
        "licenses": [LICENCE],
        "sources": [{key: value for key, value in source.items() if value}
                    for source in sources],
        "resources": [
            {"name": "fabriques", "path": "fabriques.csv", "type": "table", "scheme": "file",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
             "description": "Une ligne par Fabrique ; un texte qu'un tableur exécuterait "
                            "comme une formule (commençant par =, +, -, @) y est précédé "
                            "d'une apostrophe, fabriques.geojson le donne tel quel",
             "dialect": {"csv": {"delimiter": ","}}, "schema": "schema.json"},
            {"name": "fabriques-geojson", "path": "fabriques.geojson", "type": "file",
             "scheme": "file", "format": "geojson", "mediatype": "application/geo+json",
             "encoding": "utf-8", "description": "Les mêmes lignes en GeoJSON (RFC 7946, "
                                                 "WGS84) ; géométrie nulle sans position"},
        ],
    }


def write_publication(folder: Path, rows: Sequence[Mapping], sources: Sequence[Mapping],
                      created: datetime) -> dict[str, Path]:
    """Write the four files into ``folder`` (created if needed); their paths by name. All four
    are written beside their places before any takes its place (``geodata.files``): a failure
    (disk full, folder not writable) leaves the previous publication whole, and no partial
    file."""
    folder.mkdir(parents=True, exist_ok=True)
    table = [open_row(row) for row in rows]
    package = data_package(sources, created)
    texts = {
        "fabriques.csv": publication_csv(table),
        "fabriques.geojson": json.dumps(publication_geojson(table), ensure_ascii=False),
        "schema.json": json.dumps(table_schema(), ensure_ascii=False, indent=2),
        "datapackage.json": json.dumps(package, ensure_ascii=False, indent=2),
    }
    paths = {name: folder / name for name in FILES}
    write_all_whole({paths[name]: texts[name] for name in FILES})
    return paths
