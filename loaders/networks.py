"""Networks of places: read a network file (CSV or GeoJSON), validate it, write it atomically.

The format is documented in ``docs/format-reseaux.md``: one row (CSV) or one feature
(GeoJSON, its geometry ignored) per member, naming the network, its kind (``fabrique``: the
network of a Fabrique de Territoire, its resource place; ``regional``: a regional network),
the Fabrique's laureate id for a Fabrique's network, and the member place by its stable key
(place kind and the id its source gives it), so that reloading the places keeps every
membership.

A malformed file is refused as a whole, with the file, row and field: a missing column or
value, an unknown network kind, a malformed laureate id, a laureate id on a regional
network, one network name with two kinds or two Fabriques, a member listed twice, a value
too long for its column. Rows that name what is not loaded are skipped, each with its
reason: an unknown Fabrique (every row of its network), an unknown place or place kind.
The write replaces the source's previous networks in one transaction, with a new
``dataset_versions`` row; a file already loaded (same checksum and vintage) is not read again.
A file that would leave the source without any network (no row, or every row skipped) is
refused: it would empty the source without a word.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Connection

from geodata.networks import FABRIQUE
from geodata.storage.cache import forget_versions
from geodata.storage.models import DatasetVersion, Laureate, Network, NetworkMember, Place
from geodata.storage.networks import RESOURCE_ROLE
from loaders.errors import LoadError
from loaders.laureates import LAUREATE_ID
from loaders.pipeline import LoadReport
from loaders.places import optional_text
from loaders.read import file_checksum, read_csv, read_json
from loaders.validate import Outcome, check_code, check_unique, require_value
from loaders.write import current_version, load_transaction

__all__ = [
    "COLUMNS",
    "DATASET",
    "NETWORK_KINDS",
    "REQUIRED",
    "StagedNetwork",
    "load_networks",
    "stage_networks",
]

DATASET = "networks"
REQUIRED = ("reseau", "type_reseau", "type_lieu", "id_lieu")
COLUMNS = (*REQUIRED, "fabrique", "role")
NETWORK_KINDS = {"fabrique": "réseau d'une Fabrique", "regional": "réseau régional"}
LIMITS = {"type_lieu": 32, "id_lieu": 64, "role": 32}
"""Longest value of a column (the width of its database column)."""

UNKNOWN_FABRIQUE = "Fabrique inconnue (absente des lauréats chargés)"
UNKNOWN_KIND = "type de lieu inconnu (aucun lieu de ce type n'est chargé)"
UNKNOWN_PLACE = "lieu inconnu (absent des lieux chargés de ce type)"
SELF_MEMBER = "la Fabrique du réseau en est le lieu ressource, pas un membre"


@dataclass
class StagedNetwork:
    """A validated network and its members as ``(kind, external_id, role, where)``."""

    name: str
    kind: str
    laureate_id: str | None
    first_row: str
    members: list[tuple[str, str, str | None, str]] = field(default_factory=list)


def _records(path: Path) -> list[tuple[str, dict]]:
    """``(where, properties)`` per CSV row (``ligne N``) or GeoJSON feature (``entité N``)."""
    if path.suffix.lower() == ".csv":
        table = read_csv(path, required=list(REQUIRED))
        return [(f"ligne {line}", row) for line, row in zip(table.lines, table.rows,
                                                             strict=True)]
    if path.suffix.lower() not in {".geojson", ".json"}:
        raise LoadError("format inconnu : fichier .csv ou .geojson attendu", path=str(path))
    document = read_json(path)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise LoadError("GeoJSON attendu : un objet FeatureCollection avec une liste features",
                        path=str(path))
    records = []
    for number, feature in enumerate(document["features"], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            raise LoadError("entité sans objet properties", path=str(path),
                            row=f"entité {number}", field="properties")
        records.append((f"entité {number}", properties))
    return records


def stage_networks(path: str | Path) -> tuple[list[StagedNetwork], Outcome]:
    """The networks of a file, validated on their own (nothing is read from the database)."""
    path = Path(path)
    records = _records(path)
    outcome = Outcome()
    networks: dict[str, StagedNetwork] = {}
    keys, wheres = [], []
    for where, record in records:
        def value(column: str, record=record, where=where) -> str:
            return require_value(record.get(column), path=str(path), row=where,
                                 field_name=column)

        name, kind = value("reseau"), value("type_reseau")
        if kind not in NETWORK_KINDS:
            raise LoadError(f"type de réseau inconnu : {kind!r} (attendu : "
                            f"{' ou '.join(NETWORK_KINDS)})", path=str(path), row=where,
                            field="type_reseau")
        fabrique = optional_text(record.get("fabrique"))
        if kind == "fabrique":
            fabrique = check_code(value("fabrique"), LAUREATE_ID, path=str(path), row=where,
                                  field_name="fabrique")
        elif fabrique is not None:
            raise LoadError("un réseau régional n'a pas de Fabrique : laissez la colonne vide",
                            path=str(path), row=where, field="fabrique")
        place_kind, place_id = value("type_lieu"), value("id_lieu")
        role = optional_text(record.get("role"))
        for column, text in (("type_lieu", place_kind), ("id_lieu", place_id), ("role", role)):
            if text is not None and len(text) > LIMITS[column]:
                raise LoadError(f"valeur trop longue ({len(text)} caractères, au plus "
                                f"{LIMITS[column]})", path=str(path), row=where, field=column)
        network = networks.setdefault(name, StagedNetwork(name, kind, fabrique, where))
        if (network.kind, network.laureate_id) != (kind, fabrique):
            raise LoadError(
                f"le réseau {name!r} est déclaré autrement en {network.first_row} "
                f"({network.kind}, {network.laureate_id or 'sans Fabrique'})",
                path=str(path), row=where,
                field="type_reseau" if network.kind != kind else "fabrique")
        keys.append((name, place_kind, place_id))
        wheres.append(where)
        if place_kind == FABRIQUE and place_id == fabrique:
            outcome.skip(f"{where} ({name})", SELF_MEMBER)
            continue
        network.members.append((place_kind, place_id, role, where))
    check_unique(keys, wheres, path=str(path), field_name="id_lieu")
    return list(networks.values()), outcome


def _known(connection: Connection) -> tuple[set[str], dict[str, set[str]]]:
    """Laureate ids with their kind, and loaded place keys per kind."""
    laureates = set(connection.scalars(select(Laureate.id)))
    places: dict[str, set[str]] = defaultdict(set)
    for kind, key in connection.execute(select(Place.kind, Place.external_id)):
        places[kind].add(key)
    places[FABRIQUE] = laureates
    return laureates, places


def _checked(networks: list[StagedNetwork], connection: Connection, outcome: Outcome
             ) -> list[StagedNetwork]:
    """Networks with the members that name loaded places; the rest skipped with reasons."""
    laureates, places = _known(connection)
    kept = []
    for network in networks:
        if network.kind == "fabrique" and network.laureate_id not in laureates:
            for *_, where in network.members:
                outcome.skip(f"{where} ({network.name}, {network.laureate_id})",
                             UNKNOWN_FABRIQUE)
            continue
        members = []
        for kind, key, role, where in network.members:
            if kind not in places:
                outcome.skip(f"{where} ({kind})", UNKNOWN_KIND)
            elif key not in places[kind]:
                outcome.skip(f"{where} ({kind} {key})", UNKNOWN_PLACE)
            else:
                members.append((kind, key, role, where))
        if not members:
            outcome.note(f"réseau {network.name!r} : aucun membre reconnu, non créé")
            continue
        kept.append(StagedNetwork(network.name, network.kind, network.laureate_id,
                                  network.first_row, members))
    return kept


def load_networks(engine: Engine, path: str | Path, *, source: str = "reseaux",
                  vintage: str | None = None, licence: str = "non précisée",
                  url: str | None = None) -> LoadReport:
    """Load a network file as ``source``, replacing that source's networks in one transaction.

    The vintage defaults to the day of the load; the same file (same checksum) with no
    vintage, or the same one, is "inchangé" and left as it is.

    Other sources' networks are left as they are, so several files (one per région, say)
    can be in service side by side.
    """
    path = Path(path)
    started = time.perf_counter()
    checksum = file_checksum(path)
    with engine.connect() as connection:
        current = current_version(connection, source)
    if current is not None and current.checksum == checksum \
            and vintage in (None, current.vintage):
        return LoadReport(source, str(path), current.vintage, "inchangé",
                          version_id=current.id)
    vintage = vintage or datetime.now(UTC).strftime("%Y-%m-%d")
    staged, outcome = stage_networks(path)
    with load_transaction(engine, str(path)) as connection:
        networks = _checked(staged, connection, outcome)
        if not networks:  # would empty the source: a failed export, laureates not loaded…
            raise LoadError(_nothing_to_load(outcome), path=str(path))
        loaded = {"networks": len(networks),
                  "network_members": sum(len(n.members) + (n.laureate_id is not None)
                                         for n in networks)}
        version_id = _write(connection, source, networks, vintage=vintage, path=str(path),
                            checksum=checksum, licence=licence, url=url,
                            counts={"loaded": loaded, "repaired": 0,
                                    "skipped": len(outcome.skipped)})
    forget_versions(engine)  # this process serves the new networks at once
    return LoadReport(source, str(path), vintage, "chargé", loaded, 0, outcome.skipped,
                      outcome.notes, version_id, time.perf_counter() - started)


def _nothing_to_load(outcome: Outcome) -> str:
    """Why a file that would leave its source without networks is refused."""
    if not outcome.skipped:
        return "aucune ligne : aucun réseau à charger"
    reasons = Counter(reason for _where, reason in outcome.skipped)
    listed = " ; ".join(f"{count} × {reason}" for reason, count in reasons.most_common())
    return f"aucun réseau à charger : toutes les lignes sont ignorées ({listed})"


def _write(connection: Connection, source: str, networks: list[StagedNetwork], *,
           vintage: str, path: str, checksum: str, licence: str, url: str | None,
           counts: dict) -> int:
    """Add the version, drop the source's previous networks, insert the new ones."""
    clash = connection.scalar(select(DatasetVersion.dataset).where(
        DatasetVersion.source == source, DatasetVersion.dataset != DATASET).limit(1))
    if clash:
        raise LoadError(f"la source « {source} » existe déjà pour un autre jeu ({clash}) : "
                        "choisissez un autre nom", path=path)
    previous = set(connection.scalars(
        select(DatasetVersion.id).where(DatasetVersion.source == source)))
    version_id = connection.execute(insert(DatasetVersion).returning(DatasetVersion.id), {
        "source": source, "dataset": DATASET, "vintage": vintage, "licence": licence,
        "url": url, "path": path, "checksum": checksum,
        "complete_for": {"scope": "none", "codes": []}, "loaded_at": datetime.now(UTC),
        "counts": counts, "current": True,
    }).scalar_one()
    if previous:
        old = select(Network.id).where(Network.dataset_version_id.in_(previous))
        connection.execute(delete(NetworkMember).where(NetworkMember.network_id.in_(old)))
        connection.execute(delete(Network).where(Network.dataset_version_id.in_(previous)))
        connection.execute(update(DatasetVersion).where(DatasetVersion.id.in_(previous))
                           .values(current=False))
    for network in networks:
        network_id = connection.execute(insert(Network).returning(Network.id), {
            "name": network.name, "kind": network.kind, "laureate_id": network.laureate_id,
            "dataset_version_id": version_id}).scalar_one()
        members = [{"network_id": network_id, "place_kind": kind, "place_external_id": key,
                    "role": role} for kind, key, role, _ in network.members]
        if network.laureate_id is not None:
            members.append({"network_id": network_id, "place_kind": FABRIQUE,
                            "place_external_id": network.laureate_id, "role": RESOURCE_ROLE})
        connection.execute(insert(NetworkMember), members)
    return version_id
