"""Where each collection of the OGC API is read: its table, as loaded (nothing is copied).

A ``Source`` names the table, the SQL expression of a feature's public id (its key: stable
across loads, so that a page read with envelopes kept from before a load still names the same
features; it orders the features), the geometry column, the rows the collection holds
(``where``), and how the features of some ids are read (``read``). The paging and the
bounding boxes, the same for every source, are ``geodata.storage.features``'.

The Fabriques are those of ``geodata.storage.laureates.laureate_table`` (each Fabrique once,
its category under each policy, the open data's columns: ``geodata.publication.open_row``);
the communes, their contours (not the municipal arrondissements) with their classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.engine import Connection

from geodata.commune_lookup import normalise
from geodata.feature_collections import (
    COMMUNES,
    FABRIQUES,
    LIEUX,
    QPV_PREFIX,
    laureate_properties,
)
from geodata.networks import kind_label
from geodata.policy import DEFAULT_POLICY, available_policies, load_policy
from geodata.publication import open_row
from geodata.storage.laureates import laureate_table
from geodata.storage.models import (
    Commune,
    CommuneClass,
    CommuneContour,
    DatasetVersion,
    Departement,
    Epci,
    EpciMember,
    Laureate,
    Place,
    Qpv,
    QpvCommune,
    Region,
)
from geodata.storage.reference import COMMUNE_NAME, METROPOLE_KINDS
from geodata.storage.types import geometries_of, stored_geometry

__all__ = ["PLACE_ID_SEPARATOR", "Read", "Source", "source_of"]

PLACE_ID_SEPARATOR = ":"
"""A place's id is its kind and its id in its source: ``france-services:1234``."""

Read = tuple[list[str], list[dict], list]
"""Features in the order of the ids asked for (an id whose row is gone meanwhile is left
out): public ids, properties, WGS84 geometries."""


@dataclass(frozen=True)
class Source:
    """Where a collection's features are read (see the module's docstring)."""

    table: type  # the model
    key: object  # the SQL expression of a feature's public id
    geom: object  # the geometry column
    where: Callable[[Engine], list]  # the clauses of the rows the collection holds
    read: Callable[[Engine, Connection, list], Read]  # the features of some ids


def _in_order(keys: list, rows: dict, build: Callable) -> Read:
    """``build(row) -> (id, properties, stored geometry)`` for each key's row, in order."""
    ids, properties, stored = [], [], []
    for key in keys:
        if key not in rows:
            continue  # gone since the ids were chosen (a load in another process)
        feature_id, values, geometry = build(rows[key])
        ids.append(feature_id)
        properties.append(values)
        stored.append(geometry)
    return ids, properties, list(geometries_of(stored))


def _joined(values) -> str | None:
    return ", ".join(values) if values else None


def _qpv_communes(connection: Connection, vintage: str, rows: dict) -> dict[str, list]:
    """Each QPV's commune codes: its source's, else the official list's for the vintage."""
    missing = [row.code for row in rows.values() if not row.commune_codes]
    listed: dict[str, list] = {}
    if missing:
        for code, commune in connection.execute(
                select(QpvCommune.qpv_code, QpvCommune.commune_code)
                .where(QpvCommune.vintage == vintage, QpvCommune.qpv_code.in_(missing))
                .order_by(QpvCommune.qpv_code, QpvCommune.commune_code)):
            listed.setdefault(code, []).append(commune)
    codes = {row.code: list(row.commune_codes or listed.get(row.code, []))
             for row in rows.values()}
    return _completed_by_name(connection, rows, codes)


def _completed_by_name(connection: Connection, rows: dict, codes: dict[str, list]
                       ) -> dict[str, list]:
    """The codes of the communes a QPV names where its codes are fewer than its names (a
    2015 source giving « Saint-Malo » without a code, or one code for « Séméac, Tarbes »):
    each name looked up among its département's communes of the official list, kept only
    when one commune of the département bears it."""
    short = {row.code: names for row in rows.values()
             if (names := (row.commune_names or "").split(", ")) != [""]
             and len(codes[row.code]) < len(names)}
    if not short:
        return codes
    departements = {rows[code].departement_code for code in short}
    by_name: dict[tuple, list[str]] = {}
    for code, name, departement in connection.execute(
            select(Commune.code, Commune.name, Commune.departement_code)
            .where(Commune.departement_code.in_(departements))):
        by_name.setdefault((departement, " ".join(normalise(name))), []).append(code)
    for qpv, names in short.items():
        for name in names:
            found = by_name.get((rows[qpv].departement_code, " ".join(normalise(name))), [])
            if len(found) == 1 and found[0] not in codes[qpv]:
                codes[qpv].append(found[0])
    return codes


def _read_qpv(vintage: str) -> Callable[[Engine, Connection, list], Read]:
    def read(_engine: Engine, connection: Connection, keys: list) -> Read:
        rows = {row.code: row for row in connection.execute(
            select(Qpv.code, Qpv.name, Qpv.vintage, Qpv.departement_code,
                   Qpv.commune_codes, Qpv.commune_names, DatasetVersion.source,
                   stored_geometry(Qpv.geom).label("geom"))
            .join(DatasetVersion, DatasetVersion.id == Qpv.dataset_version_id)
            .where(Qpv.vintage == vintage, Qpv.code.in_(keys)))}
        communes = _qpv_communes(connection, vintage, rows)
        wanted = {code for codes in communes.values() for code in codes}
        names = dict(connection.execute(select(Commune.code, Commune.name)
                                        .where(Commune.code.in_(wanted))).all()) \
            if wanted else {}

        def build(row):
            codes = communes[row.code]
            named = row.commune_names or _joined([names[c] for c in codes if c in names])
            return row.code, {"code": row.code, "nom": row.name, "millesime": row.vintage,
                              "departement_code": row.departement_code,
                              "communes_codes": _joined(codes), "communes_noms": named,
                              "source": row.source}, row.geom

        return _in_order(keys, rows, build)

    return read


def _read_communes(_engine: Engine, connection: Connection, keys: list) -> Read:
    rows = {}
    for row in connection.execute(
            select(CommuneContour.code, COMMUNE_NAME, Commune.departement_code,
                   Departement.name.label("departement_name"), Commune.region_code,
                   Region.name.label("region_name"),
                   func.coalesce(Commune.population, CommuneContour.population)
                   .label("population"), CommuneClass.level, CommuneClass.label,
                   Epci.code.label("metropole_code"), Epci.name.label("metropole_name"),
                   stored_geometry(CommuneContour.geom).label("geom"))
            .outerjoin(Commune, Commune.code == CommuneContour.code)
            .outerjoin(Departement, Departement.code == Commune.departement_code)
            .outerjoin(Region, Region.code == Commune.region_code)
            .outerjoin(CommuneClass, and_(CommuneClass.commune_code == CommuneContour.code,
                                          CommuneClass.typology == "densite"))
            .outerjoin(EpciMember, EpciMember.commune_code == CommuneContour.code)
            .outerjoin(Epci, and_(Epci.code == EpciMember.epci_code,
                                  Epci.kind.in_(METROPOLE_KINDS)))
            .where(CommuneContour.code.in_(keys))):
        if row.code not in rows or row.metropole_code is not None:  # one row per commune
            rows[row.code] = row

    def build(row):
        return row.code, {
            "code": row.code, "nom": row.name, "departement_code": row.departement_code,
            "departement_nom": row.departement_name, "region_code": row.region_code,
            "region_nom": row.region_name, "population": row.population,
            "densite_niveau": row.level, "densite_libelle": row.label,
            "metropole_code": row.metropole_code, "metropole_nom": row.metropole_name,
        }, row.geom

    return _in_order(keys, rows, build)


def _served_fabriques(engine: Engine) -> list:
    """The Fabriques served: each once (``laureate_table``, under the default policy)."""
    return [Laureate.id.in_([row["id"] for row in laureate_table(
        engine, load_policy(DEFAULT_POLICY))])]


def _read_fabriques(engine: Engine, connection: Connection, keys: list) -> Read:
    geometries = dict(connection.execute(
        select(Laureate.id, stored_geometry(Laureate.geom)).where(Laureate.id.in_(keys))).all())
    tables = {policy: {row["id"]: row for row in laureate_table(engine, load_policy(policy))}
              for policy in available_policies()}

    def build(key):
        return key, laureate_properties({policy: open_row(table[key])
                                         for policy, table in tables.items()}), geometries[key]

    served = {key: key for key in keys
              if key in geometries and all(key in table for table in tables.values())}
    return _in_order(keys, served, build)


PLACE_ID = Place.kind + PLACE_ID_SEPARATOR + Place.external_id


def _read_places(_engine: Engine, connection: Connection, keys: list) -> Read:
    rows = {row.feature_id: row for row in connection.execute(
        select(PLACE_ID.label("feature_id"), Place.kind, Place.external_id, Place.name,
               Place.address, Place.commune_code, Place.commune_name, Place.precision,
               Place.attributes, DatasetVersion.source,
               stored_geometry(Place.geom).label("geom"))
        .join(DatasetVersion, DatasetVersion.id == Place.dataset_version_id)
        .where(PLACE_ID.in_(keys)))}

    def build(row):
        return row.feature_id, {
            "type": row.kind, "type_libelle": kind_label(row.kind),
            "identifiant": row.external_id, "nom": row.name, "adresse": row.address,
            "commune_code": row.commune_code, "commune_nom": row.commune_name,
            "precision": row.precision, "attributs": row.attributes or {},
            "source": row.source,
        }, row.geom

    return _in_order(keys, rows, build)


SOURCES = {
    COMMUNES.id: Source(CommuneContour, CommuneContour.code, CommuneContour.geom,
                        lambda _engine: [CommuneContour.kind == "COM"], _read_communes),
    FABRIQUES.id: Source(Laureate, Laureate.id, Laureate.geom, _served_fabriques,
                         _read_fabriques),
    LIEUX.id: Source(Place, PLACE_ID, Place.geom, lambda _engine: [], _read_places),
}


def source_of(collection_id: str) -> Source | None:
    """The source of a collection (a QPV one for any vintage: ``qpv2024``), or None."""
    if collection_id in SOURCES:
        return SOURCES[collection_id]
    vintage = collection_id.removeprefix(QPV_PREFIX)
    if collection_id.startswith(QPV_PREFIX) and vintage.isascii() and vintage.isdigit():
        return Source(Qpv, Qpv.code, Qpv.geom, lambda _engine: [Qpv.vintage == vintage],
                      _read_qpv(vintage))
    return None
