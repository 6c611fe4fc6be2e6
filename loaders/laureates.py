"""The Fabriques de Territoire laureates: one row per Fabrique, with its commune and point.

The published list gives neither the wave nor the type (Fabrique de Territoire or Fabrique
Numérique de Territoire), so both are left empty, and its points are commune centroids
(``options["precision"]``, "commune"). Every laureate is loaded: one with no coordinates
(fabt-364 in Saint-Martin in the 2024 list) is kept without a point, its territory taken
from its commune code, and named in a note of the report. Anything else wrong is refused:
an empty or malformed id or commune code, a non-numeric coordinate, a point outside every
territory or outside its commune's territory, a duplicated id.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.publication import without_contacts
from geodata.storage.models import DatasetVersion, Laureate
from geodata.territories import TerritoryError, territory_of_commune
from loaders.errors import LoadError
from loaders.places import optional_text
from loaders.read import read_csv
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

__all__ = ["LAUREATE_ID", "STAGERS", "stage_laureates"]

LAUREATE_ID = re.compile(r"^fabt-\d{1,4}$")


def stage_laureates(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """Validated laureates of the list, each with its commune, territory and point if any."""
    fields = source.fields
    table = read_csv(path, required=list(dict.fromkeys(fields.values())))
    outcome = Outcome()
    rows, unlocated, cleaned = [], [], []
    for record, line in zip(table.rows, table.lines, strict=True):
        def value(ours: str, record=record, line=line) -> str:
            return require_value(record[fields[ours]], path=str(path), row=line,
                                 field_name=fields[ours])

        laureate_id = check_code(value("id"), LAUREATE_ID, path=str(path), row=line,
                                 field_name=fields["id"])
        name = without_contacts(value("name"))
        if name != value("name"):
            cleaned.append(laureate_id)
        code = check_code(value("commune_code"), COMMUNE_CODE, path=str(path), row=line,
                          field_name=fields["commune_code"])
        try:
            commune_territory = territory_of_commune(code)
        except TerritoryError as error:
            raise LoadError(str(error), path=str(path), row=line,
                            field=fields["commune_code"]) from None
        located = parse_lonlat(record[fields["lon"]], record[fields["lat"]], path=str(path),
                               row=line, lon_field=fields["lon"], lat_field=fields["lat"])
        if located is None:
            point, territory = None, commune_territory
            unlocated.append(f"{laureate_id} ({name}, commune {code})")
        else:
            point, territory = located
            if territory.code != commune_territory.code:
                raise LoadError(
                    f"le point est en {territory.name}, sa commune {code} en "
                    f"{commune_territory.name}",
                    path=str(path), row=line, field=fields["lon"],
                )
        rows.append({
            "id": laureate_id,
            "name": name,
            "commune_code": code,
            "commune_name": optional_text(record[fields["commune_name"]]),
            "wave": None,
            "kind": None,
            "precision": source.options.get("precision", "commune"),
            "territory": territory.code,
            "geom": point,
        })
    check_unique([row["id"] for row in rows], table.lines, path=str(path),
                 field_name=fields["id"])
    if unlocated:
        outcome.note(
            f"{len(unlocated)} lauréat(s) sans coordonnées dans la source, chargé(s) sans "
            f"localisation (territoire d'après le code commune) : {', '.join(unlocated)}"
        )
    if cleaned:
        outcome.note(f"{len(cleaned)} nom(s) contenant une adresse électronique ou un numéro "
                     f"de téléphone, retiré(s) au chargement : {', '.join(cleaned)}")
    staged = Staged(tables={"laureates": rows})
    staged.checks.append(_ids_owned_by_source(source, [row["id"] for row in rows], str(path)))
    return staged, outcome


def _ids_owned_by_source(source: Source, ids: list[str], path: str):
    """A laureate id is loaded by one source only."""

    def check(connection: Connection, previous_ids: set[int]) -> None:
        clash = connection.execute(
            select(Laureate.id, DatasetVersion.source)
            .join(DatasetVersion, DatasetVersion.id == Laureate.dataset_version_id)
            .where(Laureate.id.in_(ids), DatasetVersion.source != source.name)
            .limit(1)
        ).first()
        if clash:
            raise LoadError(
                f"le lauréat {clash.id} est déjà chargé par la source « {clash.source} » : "
                "une source par lauréat",
                path=path,
            )

    return check


STAGERS = {"laureates": stage_laureates}
