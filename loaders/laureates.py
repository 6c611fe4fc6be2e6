"""The Fabriques de Territoire laureates: one row per Fabrique, with its commune and point.

The published list gives neither the wave nor the type (Fabrique de Territoire or Fabrique
Numérique de Territoire), so both are left empty, and its points are commune centroids
(``options["precision"]``, "commune"). Every laureate is loaded: one with no coordinates
(fabt-364 in Saint-Martin in the 2024 list) is kept without a point, its territory taken
from its commune code, and named in a note of the report. Anything else wrong is refused:
an empty or malformed id or commune code, a non-numeric coordinate, a point outside every
territory or outside its commune's territory, a duplicated id. With the commune outlines in
service, a point more than ``PLACEMENT_TOLERANCE_M`` away from its commune's outline
contradicts the file (``loaders.claims``: refused, or partial with ``--force``): its
category would be read at another commune. The ANCT numbers its Fabriques from fabt-01 on,
without gaps: a number missing up to the highest contradicts the file too (a list without
its first 40 laureates kept more than the 340 records expected and loaded « complet »).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.french import agreed
from geodata.publication import without_contacts
from geodata.storage.models import DatasetVersion, Laureate
from geodata.territories import TerritoryError, territory_of_commune
from loaders.claims import Proof, examples, number
from loaders.errors import LoadError
from loaders.placement import commune_shapes, distance_m, length
from loaders.places import optional_text
from loaders.read import read_csv
from loaders.reference import reference_to_compare, same_codes
from loaders.registry import Source
from loaders.validate import (
    COMMUNE_CODE,
    Outcome,
    check_code,
    check_unique,
    parse_lonlat,
    require_value,
)
from loaders.write import Staged, current_of_dataset

__all__ = ["LAUREATE_ID", "STAGERS", "stage_laureates"]

LAUREATE_ID = re.compile(r"^fabt-\d{1,4}$")

PLACEMENT_TOLERANCE_M = 50.0
"""How far (metres) a laureate's point may lie from its commune: the outlines are generalised
(every point of the 2024 list lies inside its commune's outline)."""


def stage_laureates(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """Validated laureates of the list, each with its commune, territory and point if any."""
    fields = source.fields
    table = read_csv(path, required=list(dict.fromkeys(fields.values())))
    outcome = Outcome()
    rows, unlocated, cleaned, decoded = [], [], [], []
    for record, line in zip(table.rows, table.lines, strict=True):
        def value(ours: str, record=record, line=line) -> str:
            return require_value(record[fields[ours]], path=str(path), row=line,
                                 field_name=fields[ours])

        laureate_id = check_code(value("id"), LAUREATE_ID, path=str(path), row=line,
                                 field_name=fields["id"])
        published = html.unescape(value("name"))  # « Vert&amp;Co » in the 2024 list
        if published != value("name"):
            decoded.append(laureate_id)
        name = without_contacts(published)
        if name != published:
            cleaned.append(laureate_id)
        code = check_code(value("commune_code"), COMMUNE_CODE, path=str(path), row=line,
                          field_name=fields["commune_code"])
        point, territory = _place(record, fields, code, path=str(path), row=line)
        if point is None:
            unlocated.append(f"{laureate_id} ({name}, commune {code})")
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
        outcome.note(_said(unlocated, "lauréat(s) sans coordonnées dans la source, chargé(s) "
                                      "sans localisation (territoire d'après le code commune)"))
    if decoded:
        outcome.note(_said(decoded, "nom(s) contenant des entités HTML (« &amp; »), lues comme "
                                    "le caractère qu'elles codent"))
    if cleaned:
        outcome.note(_said(cleaned, "nom(s) contenant une adresse électronique ou un numéro de "
                                    "téléphone, retiré(s) au chargement"))
    staged = Staged(tables={"laureates": rows})
    staged.checks.append(_ids_owned_by_source(source, [row["id"] for row in rows], str(path)))
    staged.proofs.append(lambda connection: _in_their_communes(connection, rows))
    staged.proofs.append(lambda connection: _numbered_without_gaps(rows))
    reference = reference_to_compare(source, path, vintage)
    if reference is not None:  # the last 40 removed left no gap in the numbers
        expected = {row["id"] for row in stage_laureates(source, reference, vintage)[0]
                    .tables["laureates"]}
        ids = {row["id"] for row in rows}
        staged.proofs.append(
            lambda connection: same_codes("Fabrique(s) lauréate(s)", ids, expected))
    return staged, outcome


def _said(laureates: list[str], words: str) -> str:
    """« 2 noms … : fabt-01, fabt-02 »: the count, ``words`` agreeing with it, the ids."""
    return f"{len(laureates)} {agreed(words, len(laureates))} : {', '.join(laureates)}"


def _numbered_without_gaps(rows: list[dict]) -> Proof:
    """Every number from 1 to the highest is a laureate's (``fabt-N``)."""
    proof = Proof()
    numbers = {int(row["id"].removeprefix("fabt-")) for row in rows}
    if not numbers:
        return proof
    missing = [f"fabt-{n:02d}" for n in range(1, max(numbers) + 1) if n not in numbers]
    if missing:
        proof.contradicted(
            f"{number(len(missing))} "
            f"{agreed('numéro(s) de lauréat (manque|manquent)', len(missing))} entre fabt-01 et "
            f"fabt-{max(numbers):02d} (l'ANCT numérote ses Fabriques sans trou : liste "
            f"coupée ?) : {examples(missing)}")
    else:
        proof.verified.append(f"les numéros de fabt-01 à fabt-{max(numbers):02d} se suivent, "
                              f"sans trou")
    return proof


def _place(record: dict, fields: dict, code: str, *, path: str, row) -> tuple:
    """The point (None when the source gives none) and territory of a laureate of commune
    ``code``; a point in another territory than its commune's is an error."""
    try:
        commune_territory = territory_of_commune(code)
    except TerritoryError as error:
        raise LoadError(str(error), path=path, row=row, field=fields["commune_code"]) from None
    located = parse_lonlat(record[fields["lon"]], record[fields["lat"]], path=path, row=row,
                           lon_field=fields["lon"], lat_field=fields["lat"])
    if located is None:
        return None, commune_territory
    point, territory = located
    if territory.code != commune_territory.code:
        raise LoadError(f"le point est en {territory.name}, sa commune {code} en "
                        f"{commune_territory.name}", path=path, row=row, field=fields["lon"])
    return point, territory


def _in_their_communes(connection: Connection, rows: list[dict]) -> Proof:
    """Each laureate's point lies in its commune's outline, within ``PLACEMENT_TOLERANCE_M``
    (measured in its territory's CRS)."""
    proof = Proof()
    contours = current_of_dataset(connection, "commune-contours")
    if contours is None:
        proof.notes.append("les contours des communes (source « commune-contours ») ne sont "
                           "pas chargés : l'emplacement des lauréats dans leur commune n'est "
                           "pas vérifié")
        return proof
    located = [row for row in rows if row["geom"] is not None]
    shapes = commune_shapes(connection, sorted({row["commune_code"] for row in located}))
    away, unchecked = [], []
    for row in located:
        shape = shapes.get(row["commune_code"])
        if shape is None:
            unchecked.append(f"{row['id']} ({row['commune_code']})")
        elif not (distance := distance_m(row["geom"], row["territory"], [shape])) \
                <= PLACEMENT_TOLERANCE_M:
            away.append(f"{row['id']} à {length(distance)} de {row['commune_code']}")
    if away:
        proof.contradicted(
            f"{number(len(away))} {agreed('lauréat(s) hors de (sa|leur)', len(away))} commune "
            f"(à plus de "
            f"{PLACEMENT_TOLERANCE_M:.0f} m de son contour ; point d'une autre commune, ou "
            f"longitude et latitude inversées) : {examples(away)}")
    if unchecked:
        proof.notes.append(f"{number(len(unchecked))} {agreed('lauréat(s)', len(unchecked))} "
                           f"dont la commune n'a pas de "
                           f"contour chargé, emplacement non vérifié : {examples(unchecked)}")
    placed = len(located) - len(away) - len(unchecked)
    if placed and not away:
        proof.verified.append(f"{number(placed)} {agreed('lauréat(s) dans (sa|leur)', placed)} "
                              f"commune (source "
                              f"« {contours.source} », à {PLACEMENT_TOLERANCE_M:.0f} m près)")
    return proof


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
