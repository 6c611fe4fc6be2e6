"""Places (tiers-lieux, Manufactures, France services, ...): one stager for every list.

Each source of the ``places`` dataset names its columns in its registry entry (the keys of
``Source.fields`` below) and its kind in ``options["kind"]``; CSV and JSON (a list of objects)
files are read alike. Fields: ``external_id`` and ``name`` (required), ``lon`` and ``lat``,
``address`` (several lines are joined with ", "), ``postcode`` (appended to the address with
the commune name), ``commune_code``, ``commune_name``, ``geocoder_score``,
``geocoder_label``, ``geocoded_commune`` (the commune the geocoder placed the point in),
``address_missing`` ("oui" when the source says it had no address), ``siret`` and any
``attributes.<key>``, kept as given in the place's ``attributes``.

Rows are loaded as given. Three kinds of rows are skipped, each with its reason in the
report: rows with no coordinates, rows the source flags as having no address (their point
is a geocoder's guess from nothing), and rows whose point lies outside their own commune's
territory or in another commune than their own according to the geocoder. A point more than
``FAR_FROM_COMMUNE_M`` from its commune's outline in service (generalised: a few tens of
metres off are its drawing, a kilometre is another commune) is loaded as published and named
in a note of the report: its commune code or its point is wrong. A malformed file
(missing column, empty id or name, non-numeric coordinate, point outside every territory,
malformed commune code, duplicated id) is refused as a whole. Values "", "NA" and "null" are
read as missing; a commune code "0" too (the CGET list writes it for 157 places).

Precision (``options["precision"]``): ``"commune"`` for commune centroids, ``"address"`` for
lists that give each place's address point, or ``"geocoder"``: read from each row's score
and label, as follows (the raw score and label stay in the attributes):

- no score: ``unknown``;
- a score listed in ``options["geocoder_codes"]`` (the CGET list mixes in the integer
  accuracy codes of another geocoder): the precision given there;
- a 0–1 score (the BAN geocoder's confidence, which says how well the text matched, not how
  precise the point is): the label says what was found, ``address`` if it starts with a
  house number, ``street`` if a name comes before the postcode (a street or a lieu-dit: the
  label alone cannot tell them apart), ``commune`` if it is a commune alone; a label listed
  in ``options["geocoder_labels"]`` (such as a point placed by hand) gets the precision given
  there;
- anything else: ``unknown``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.french import agreed
from geodata.storage.models import DatasetVersion, Place
from geodata.territories import Territory, TerritoryError, territory_of_commune
from loaders.claims import Proof, examples, number
from loaders.errors import LoadError
from loaders.placement import commune_shapes, distance_m, length
from loaders.read import read_csv, read_json, require_columns
from loaders.registry import Source
from loaders.validate import (
    COMMUNE_CODE,
    Outcome,
    check_code,
    check_unique,
    parse_lonlat,
    require_value,
)
from loaders.write import Staged

__all__ = [
    "MISSING",
    "STAGERS",
    "commune_code",
    "optional_text",
    "precision_of_label",
    "read_records",
    "stage_places",
]

MISSING = {"", "NA", "null"}
"""Values that mean "no value" in the source files."""

NO_COMMUNE = MISSING | {"0"}
HOUSE_NUMBER = re.compile(r"^\d{1,4}(?!\d)")
NAME_THEN_POSTCODE = re.compile(r"^\D.*\b\d{5}\b")
POSTCODE = re.compile(r"^\d{5}$")
ATTRIBUTE = "attributes."

NO_COORDINATES = "pas de coordonnées"
NO_ADDRESS = "adresse absente dans la source : son point, géocodé sans adresse, est factice"
OTHER_TERRITORY = "point hors du territoire de sa commune"
OTHER_COMMUNE = "point géocodé dans une autre commune que la sienne"
FAR_FROM_COMMUNE_M = 1000.0


def optional_text(value) -> str | None:
    """The trimmed text of a value, or None when it is empty or means "missing"."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text in MISSING else text


def commune_code(value, *, path: str, row, field_name: str) -> str | None:
    """An INSEE commune code, None when absent ("0" included), an error when malformed."""
    text = "" if value is None else str(value).strip()
    if text in NO_COMMUNE:
        return None
    return check_code(text, COMMUNE_CODE, path=path, row=row, field_name=field_name)


def read_records(path: Path, columns: list[str]) -> list[tuple[int | str, dict]]:
    """Records of a CSV (with their real line) or of a JSON list (``enregistrement N``).

    Every column must be in a CSV's header; in JSON, where empty values are left out of the
    records, every column must appear in at least one record.
    """
    if path.suffix.lower() != ".json":
        table = read_csv(path, required=columns)
        return list(zip(table.lines, table.rows, strict=True))
    document = read_json(path)
    if not isinstance(document, list):
        raise LoadError(
            f"liste d'enregistrements attendue, {type(document).__name__} trouvé",
            path=str(path),
        )
    records = []
    for position, record in enumerate(document, start=1):
        if not isinstance(record, dict):
            raise LoadError("enregistrement qui n'est pas un objet JSON", path=str(path),
                            row=f"enregistrement {position}")
        records.append((f"enregistrement {position}", record))
    seen = {key for _, record in records for key in record}
    require_columns(seen, columns, path, list_found=False,
                    problem="champ(s) obligatoire(s) absent(s) de tous les enregistrements")
    return records


def precision_of_label(label: str) -> str:
    """``address``, ``street`` or ``commune``, from the label of a geocoding result."""
    if HOUSE_NUMBER.match(label):
        return "address"
    if NAME_THEN_POSTCODE.match(label):
        return "street"
    return "commune"


def _precision(options: dict, score, label) -> str:
    mode = options.get("precision", "unknown")
    if mode != "geocoder":
        return mode
    raw = optional_text(score)
    if raw is None:
        return "unknown"
    codes = options.get("geocoder_codes", {})
    if raw in codes:
        return codes[raw]
    try:
        value = float(raw)
    except ValueError:
        return "unknown"
    label = optional_text(label)
    if not 0 <= value <= 1 or label is None:
        return "unknown"
    return options.get("geocoder_labels", {}).get(label) or precision_of_label(label)


def _address(street, postcode, commune_name: str | None) -> str | None:
    lines = [optional_text(line) for line in str(street or "").splitlines()]
    text = ", ".join(line for line in lines if line)
    if not text:
        return None
    code = optional_text(postcode)
    if code and POSTCODE.match(code):
        return f"{text}, {code} {commune_name or ''}".rstrip()
    return text


def _attribute(value):
    if isinstance(value, bool | int | float):
        return value
    return optional_text(value)


def _where(row, key_field: str, key: str) -> str:
    place = row if isinstance(row, str) else f"ligne {row}"
    return f"{place} ({key_field} {key})"


def stage_places(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """Validated places of one source file, as points in EPSG:4326 with their territory."""
    fields = source.fields
    kind = source.options["kind"]
    records = read_records(path, list(dict.fromkeys(fields.values())))
    outcome = Outcome()
    rows, keys, where = [], [], []
    for row, record in records:
        key, place = _place(source, kind, record, path=str(path), row=row)
        keys.append(key)
        where.append(row)
        if isinstance(place, str):
            outcome.skip(_where(row, fields["external_id"], key), place)
        else:
            rows.append(place)
    check_unique(keys, where, path=str(path), field_name=fields["external_id"])
    _note_known_errors(source, rows, outcome)
    staged = Staged(tables={"places": rows})
    staged.checks.append(_kind_owned_by_source(source, kind, str(path)))
    staged.proofs.append(lambda connection: _far_from_their_communes(connection, rows))
    return staged, outcome


def _place(source: Source, kind: str, record: dict, *, path: str, row) -> tuple[str, dict | str]:
    """A record's key, and its row to load or the reason it is skipped; a malformed value is
    an error."""
    fields = source.fields

    def value(ours: str):
        return record.get(fields[ours]) if ours in fields else None

    key = require_value(value("external_id"), path=path, row=row,
                        field_name=fields["external_id"])
    name = require_value(value("name"), path=path, row=row, field_name=fields["name"])
    code = commune_code(value("commune_code"), path=path, row=row,
                        field_name=fields.get("commune_code"))
    if optional_text(value("address_missing")) == "oui":
        return key, NO_ADDRESS
    located = parse_lonlat(value("lon"), value("lat"), path=path, row=row,
                           lon_field=fields["lon"], lat_field=fields["lat"])
    if located is None:
        return key, NO_COORDINATES
    point, territory = located
    if code is not None:
        elsewhere = _elsewhere(code, territory, value("geocoded_commune"), path=path, row=row,
                               field_name=fields.get("geocoded_commune"))
        if elsewhere is not None:
            return key, elsewhere
    commune_name = optional_text(value("commune_name"))
    return key, {
        "kind": kind,
        "external_id": key,
        "name": name,
        "address": _address(value("address"), value("postcode"), commune_name),
        "commune_code": code,
        "commune_name": commune_name,
        "precision": _precision(source.options, value("geocoder_score"),
                                value("geocoder_label")),
        "territory": territory.code,
        "attributes": _attributes(fields, record),
        "geom": point,
    }


def _elsewhere(code: str, territory: Territory, geocoded, *, path: str, row,
               field_name: str | None) -> str | None:
    """Why a point cannot stand for its commune ``code``: it lies outside the commune's
    territory, or the geocoder placed it in another commune; None when it can."""
    try:
        same_territory = territory_of_commune(code).code == territory.code
    except TerritoryError:
        same_territory = False
    if not same_territory:
        return OTHER_TERRITORY
    geocoded = commune_code(geocoded, path=path, row=row, field_name=field_name)
    if geocoded is not None and geocoded != code:
        return OTHER_COMMUNE
    return None


def _attributes(fields: dict, record: dict) -> dict:
    """The ``attributes.<key>`` fields and the SIRET as given, the empty ones left out."""
    attributes = {
        ours[len(ATTRIBUTE):]: _attribute(record.get(theirs))
        for ours, theirs in fields.items()
        if ours.startswith(ATTRIBUTE)
    }
    if "siret" in fields:
        attributes["siret"] = optional_text(record.get(fields["siret"]))
    return {k: v for k, v in attributes.items() if v is not None}


def _note_known_errors(source: Source, rows: list[dict], outcome: Outcome) -> None:
    """The registry's notes on rows that were loaded, and SIRET found on several rows."""
    loaded = {row["external_id"] for row in rows}
    for key, note in source.options.get("notes", {}).items():
        if key in loaded:
            outcome.note(note)
    sirets = Counter(row["attributes"].get("siret") for row in rows)
    sirets.pop(None, None)
    repeated = {siret: count for siret, count in sirets.items() if count > 1}
    if repeated:
        examples = ", ".join(list(repeated)[:3])
        outcome.note(
            f"{len(repeated)} SIRET reviennent sur plusieurs enregistrements "
            f"({sum(repeated.values())} enregistrements, ex. {examples}) : chargés séparément, "
            "tels que publiés"
        )


def _far_from_their_communes(connection: Connection, rows: list[dict]) -> Proof:
    """A note naming the places more than ``FAR_FROM_COMMUNE_M`` from their commune's
    outline in service (measured in their territory's CRS); nothing without outlines."""
    proof = Proof()
    coded = [row for row in rows if row["commune_code"] is not None]
    shapes = commune_shapes(connection, sorted({row["commune_code"] for row in coded}))
    far = []
    for row in coded:
        shape = shapes.get(row["commune_code"])
        if shape is not None and (distance := distance_m(
                row["geom"], row["territory"], [shape])) > FAR_FROM_COMMUNE_M:
            far.append(f"{row['external_id']} ({row['name']}) à {length(distance)} de "
                       f"{row['commune_code']}")
    if far:
        proof.notes.append(
            f"{number(len(far))} {agreed('(lieu|lieux)', len(far))} à plus de "
            f"{length(FAR_FROM_COMMUNE_M)} du contour de {agreed('(sa|leur)', len(far))} "
            "commune (code commune ou point erroné dans la source), "
            f"{agreed('chargé(s) tel(s) que publié(s)', len(far))} : {examples(far)}")
    return proof


def _kind_owned_by_source(source: Source, kind: str, path: str):
    """Places of a kind are loaded by one source only (their keys are unique per kind)."""

    def check(connection: Connection, previous_ids: set[int]) -> None:
        clash = connection.execute(
            select(DatasetVersion.source)
            .join(Place, Place.dataset_version_id == DatasetVersion.id)
            .where(Place.kind == kind, DatasetVersion.source != source.name)
            .limit(1)
        ).first()
        if clash:
            raise LoadError(
                f"des lieux de type « {kind} » sont déjà chargés par la source "
                f"« {clash.source} » : un type de lieu par source",
                path=path,
            )

    return check


STAGERS = {"places": stage_places}
