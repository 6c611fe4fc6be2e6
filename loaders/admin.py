"""Administrative references: régions, départements, communes, EPCI and commune outlines.

The first four come from the JSON lists of ``@etalab/decoupage-administratif`` (Code officiel
géographique), one object per record; the outlines from a GeoJSON of the communes and
municipal arrondissements. Columns are read through each source's field mapping. Delegated
and associated communes are left out of ``communes`` and counted in the report: their
territory belongs to a current commune, whose code some of them share.

A commune without outline is never silent: when the contours are loaded, the communes of the
official list (source ``communes``, if loaded) that have none, in the territories served, are
named in the report and kept in the version's ``counts["without_outline"]``; the engine
cannot place a point in them.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.french import agreed
from geodata.storage.models import Commune
from geodata.territories import TerritoryError, territory_of_commune
from loaders.claims import Proof, examples
from loaders.claims import number as french_number
from loaders.errors import LoadError
from loaders.read import read_json, read_vector, require_columns
from loaders.reference import compare_with_reference
from loaders.registry import Source
from loaders.validate import (
    COMMUNE_CODE,
    Outcome,
    check_code,
    check_unique,
    polygonal,
)
from loaders.write import Staged, current_of_dataset

__all__ = [
    "DEPARTEMENT_CODE",
    "EPCI_KINDS",
    "REGION_CODE",
    "SIREN",
    "STAGERS",
    "stage_commune_contours",
    "stage_communes",
    "stage_departements",
    "stage_epci",
    "stage_regions",
]

REGION_CODE = re.compile(r"^\d{2,3}$")
DEPARTEMENT_CODE = re.compile(r"^(?:\d{2}|2[AB]|9[78]\d)$")
SIREN = re.compile(r"^\d{9}$")
ZONES = ("metro", "drom", "com")
EPCI_KINDS = ("CC", "CA", "CU", "METRO", "MET69")
CONTOUR_KINDS = ("COM", "ARM")
CURRENT, ARRONDISSEMENT = "commune-actuelle", "arrondissement-municipal"
PART_KINDS = {
    "commune-deleguee": "commune déléguée : non retenue, elle a le code de sa commune "
    "actuelle, déjà chargée",
    "commune-associee": "commune associée : non retenue, elle a le code de sa commune "
    "actuelle, déjà chargée",
}
"""Former communes, parts of a current one (``chefLieu``): kept with it as parent (as a
municipal arrondissement), so that a code a list still gives (a Fabrique in 49069
Champtoceaux, of Orée d'Anjou) has its name, département and région; skipped, with this
reason, when they share their current commune's code."""
PARENT_FIELD = {ARRONDISSEMENT: "parent_code", **dict.fromkeys(PART_KINDS, "chef_lieu")}
"""The field of the source that names the parent commune of each kind that has one."""
NO_OUTLINE = "contour absent : commune sans géométrie dans le fichier"
NOT_COVERED = "commune hors des territoires couverts (métropole, DROM, Saint-Barthélemy, " \
    "Saint-Martin)"


# --- reading fields ------------------------------------------------------------------------

JSON_KINDS = {dict: "un objet", list: "une liste", str: "un texte", int: "un nombre",
              float: "un nombre", bool: "un booléen", type(None): "null"}


def _kind(value) -> str:
    """French name of a JSON value's kind, for error messages."""
    return JSON_KINDS.get(type(value), type(value).__name__)


def _records(path: Path) -> list[tuple[str, dict]]:
    """The objects of the JSON document, which must be a list of them, each with its place
    in the file (``enregistrement N``)."""
    document = read_json(path)
    if not isinstance(document, list):
        raise LoadError(
            f"une liste d'objets JSON est attendue, pas {_kind(document)}",
            path=str(path),
        )
    records = []
    for index, record in enumerate(document, start=1):
        row = f"enregistrement {index}"
        if not isinstance(record, dict):
            raise LoadError(f"un objet JSON est attendu, pas {_kind(record)}", path=str(path),
                            row=row)
        records.append((row, record))
    return records


def _blank(value) -> bool:
    """True for None and NaN (an empty cell once read by pandas)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(record: dict, column: str, *, path: Path, row: str, required: bool = True):
    """The trimmed text of a field; a missing or empty required one is an error."""
    value = record.get(column)
    if isinstance(value, dict | list | bool):
        raise LoadError(f"texte attendu, pas {value!r}", path=str(path), row=row, field=column)
    text = "" if _blank(value) else str(value).strip()
    if not text and required:
        message = "champ obligatoire absent" if column not in record else \
            "valeur obligatoire manquante"
        raise LoadError(message, path=str(path), row=row, field=column)
    return text or None


def _code(record: dict, column: str, pattern: re.Pattern, *, path: Path, row: str) -> str:
    """A required code in the expected format."""
    value = _text(record, column, path=path, row=row)
    return check_code(value, pattern, path=str(path), row=row, field_name=column)


def _choice(record: dict, column: str, choices: tuple, *, path: Path, row: str) -> str:
    """A required value among the known ones."""
    value = _text(record, column, path=path, row=row)
    if value not in choices:
        raise LoadError(
            f"valeur {value!r} inconnue (attendu : {', '.join(choices)})",
            path=str(path), row=row, field=column,
        )
    return value


def _count(value, *, path: Path, row: str, column: str) -> int | None:
    """A population: a non-negative whole number, or None when the file gives none."""
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LoadError(
            f"nombre entier positif ou nul attendu, pas {value!r}",
            path=str(path), row=row, field=column,
        )
    return value


# --- Code officiel géographique ------------------------------------------------------------

def _row_per_record(source: Source, path: Path, table: str, make) -> tuple[Staged, Outcome]:
    """``make(record, row)`` for every record into ``table``, each code once."""
    records = _records(path)
    rows = [make(record, row) for row, record in records]
    check_unique([r["code"] for r in rows], [row for row, _ in records], path=str(path),
                 field_name=source.fields["code"])
    return Staged(tables={table: rows}), Outcome()


def stage_regions(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """Régions (and overseas collectivities) with their zone: metro, drom or com."""
    fields = source.fields
    return _row_per_record(source, path, "regions", lambda record, row: {
        "code": _code(record, fields["code"], REGION_CODE, path=path, row=row),
        "name": _text(record, fields["name"], path=path, row=row),
        "zone": _choice(record, fields["zone"], ZONES, path=path, row=row),
    })


def stage_departements(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """Départements (and overseas collectivities) with their région and zone."""
    fields = source.fields
    return _row_per_record(source, path, "departements", lambda record, row: {
        "code": _code(record, fields["code"], DEPARTEMENT_CODE, path=path, row=row),
        "name": _text(record, fields["name"], path=path, row=row),
        "region_code": _code(record, fields["region_code"], REGION_CODE, path=path, row=row),
        "zone": _choice(record, fields["zone"], ZONES, path=path, row=row),
    })


def stage_communes(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """Current communes, municipal arrondissements and former communes (delegated or
    associated, ``PART_KINDS``), these two with their commune as parent."""
    fields, rows, where, outcome = source.fields, [], [], Outcome()
    records = [(row, record, _choice(record, fields["kind"], (CURRENT, ARRONDISSEMENT,
                                                               *PART_KINDS), path=path, row=row))
               for row, record in _records(path)]
    current = {_text(record, fields["code"], path=path, row=row, required=False)
               for row, record, kind in records if kind == CURRENT}
    for row, record, kind in records:
        if kind in PART_KINDS and record.get(fields["code"]) in current:
            outcome.skip(f"{record[fields['code']]} ({row})", PART_KINDS[kind])
            continue
        rows.append(_commune_row(fields, record, kind, path, row))
        where.append(row)
    check_unique([r["code"] for r in rows], where, path=str(path), field_name=fields["code"])
    for commune, row in zip(rows, where, strict=True):
        if commune["parent_code"] is not None and commune["parent_code"] not in current:
            raise LoadError(
                f"{commune['code']} dépend de la commune {commune['parent_code']}, absente du "
                "fichier", path=str(path), row=row, field=fields[PARENT_FIELD[commune["kind"]]])
    staged = Staged(tables={"communes": rows})
    compare_with_reference(staged, source, path, vintage, "communes", "commune(s)",
                           stage_communes)
    return staged, outcome


def _commune_row(fields: dict, record: dict, kind: str, path: Path, row: str) -> dict:
    """A row of ``communes``: its parent is an arrondissement's commune, or a former
    commune's current one (its ``chefLieu``)."""
    code = _code(record, fields["code"], COMMUNE_CODE, path=path, row=row)
    departement = _code(record, fields["departement_code"], DEPARTEMENT_CODE, path=path,
                        row=row)
    # A former commune is in its current one's département: 02285 Escaufourt (an Aisne
    # code) is part of 59545 Saint-Souplet, in the Nord.
    if kind not in PART_KINDS and not code.startswith(departement):
        raise LoadError(f"le code commune {code} n'est pas dans le département {departement}",
                        path=str(path), row=row, field=fields["departement_code"])
    parent = None if kind == CURRENT else _code(record, fields[PARENT_FIELD[kind]],
                                                COMMUNE_CODE, path=path, row=row)
    return {
        "code": code,
        "name": _text(record, fields["name"], path=path, row=row),
        "kind": kind,
        "parent_code": parent,
        "departement_code": departement,
        "region_code": _code(record, fields["region_code"], REGION_CODE, path=path, row=row),
        "population": _count(record.get(fields["population"]), path=path, row=row,
                             column=fields["population"]),
    }


def stage_epci(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """EPCI à fiscalité propre and their member communes (a commune in one EPCI at most)."""
    fields, epcis, members, where, member_where = source.fields, [], [], [], []
    member_field = f"{fields['members']}.{fields['member_code']}"
    for row, record in _records(path):
        code = _code(record, fields["code"], SIREN, path=path, row=row)
        epcis.append({
            "code": code,
            "name": _text(record, fields["name"], path=path, row=row),
            "kind": _choice(record, fields["kind"], EPCI_KINDS, path=path, row=row),
            "population": _count(record.get(fields["population"]), path=path, row=row,
                                 column=fields["population"]),
        })
        where.append(row)
        listed = record.get(fields["members"])
        if not isinstance(listed, list) or not listed:
            raise LoadError(
                "liste non vide des communes membres attendue", path=str(path), row=row,
                field=fields["members"],
            )
        for number, member in enumerate(listed, start=1):
            place = f"{row}, membre {number}"
            if not isinstance(member, dict):
                raise LoadError("un objet JSON est attendu pour chaque membre", path=str(path),
                                row=place, field=fields["members"])
            commune = _text(member, fields["member_code"], path=path, row=place)
            check_code(commune, COMMUNE_CODE, path=str(path), row=place,
                       field_name=member_field)
            members.append({"epci_code": code, "commune_code": commune})
            member_where.append(place)
    check_unique([e["code"] for e in epcis], where, path=str(path), field_name=fields["code"])
    check_unique([m["commune_code"] for m in members], member_where, path=str(path),
                 field_name=member_field)
    return Staged(tables={"epci": epcis, "epci_members": members}), Outcome()


# --- commune outlines ----------------------------------------------------------------------

def stage_commune_contours(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """Outlines of communes and arrondissements as valid MultiPolygons with their territory."""
    frame = read_vector(path, declared_crs=source.crs)
    fields = source.fields
    require_columns([c for c in frame.columns if c != "feature"], fields.values(), path)
    outcome = Outcome()
    absent = (frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    columns = ["feature", *dict.fromkeys(fields.values())]
    rows, where, geometries = [], [], []
    for record, geometry, no_outline in zip(
        frame[columns].to_dict("records"), frame.geometry, absent, strict=True
    ):
        row = f"entité {record['feature']}"
        code = _code(record, fields["code"], COMMUNE_CODE, path=path, row=row)
        if no_outline:
            outcome.skip(f"{code} ({row})", NO_OUTLINE)
            continue
        try:
            territory = territory_of_commune(code).code
        except TerritoryError:
            outcome.skip(f"{code} ({row})", NOT_COVERED)
            continue
        rows.append({
            "code": code,
            "name": _text(record, fields["name"], path=path, row=row),
            "kind": _choice(record, fields["kind"], CONTOUR_KINDS, path=path, row=row),
            "population": _count(record[fields["population"]], path=path, row=row,
                                 column=fields["population"]),
            "territory": territory,
        })
        where.append(row)
        geometries.append(geometry)
    for row, geometry in zip(rows, polygonal(geometries, where, path=str(path),
                                             outcome=outcome), strict=True):
        row["geom"] = geometry
    check_unique([r["code"] for r in rows], where, path=str(path), field_name=fields["code"])
    staged = Staged(tables={"commune_contours": rows})
    drawn = {row["code"] for row in rows}
    staged.proofs.append(lambda connection: _communes_without_outline(connection, drawn))
    compare_with_reference(staged, source, path, vintage, "commune_contours",
                           "commune(s) dessinée(s)", stage_commune_contours)
    return staged, outcome


SHOWN = 50
"""How many communes without outline the report names (the version keeps them all)."""


def _communes_without_outline(connection: Connection, drawn: set[str]) -> Proof:
    """The communes of the official list, in the territories served, that have no outline."""
    proof = Proof()
    if current_of_dataset(connection, "communes") is None:
        proof.notes.append("liste officielle des communes (source « communes ») non chargée : "
                           "les communes sans contour ne peuvent être nommées ; chargez-la "
                           "puis rechargez les contours")
        return proof
    listed = connection.execute(select(Commune.code, Commune.name)  # no former commune
                                .where(Commune.kind.in_((CURRENT, ARRONDISSEMENT)))
                                .order_by(Commune.code))
    missing = [(code, name) for code, name in listed if code not in drawn]
    served = [f"{code} {name}" for code, name in missing if _served(code)]
    proof.record["without_outline"] = [entry.split(" ", 1)[0] for entry in served]
    if served:
        proof.notes.append(
            f"{french_number(len(served))} {agreed('commune(s)', len(served))} de la liste "
            f"officielle sans contour "
            f"(le moteur ne peut y situer un lieu) : {examples(served, SHOWN)}"
        )
    if len(missing) > len(served):
        others = len(missing) - len(served)
        proof.notes.append(f"{french_number(others)} {agreed('autre(s) commune(s)', others)} "
                           "sans contour, hors des territoires couverts (Saint-Pierre-et-Miquelon, "
                           "Pacifique…)")
    return proof


def _served(code: str) -> bool:
    """True for a commune of a territory the service covers."""
    try:
        territory_of_commune(code)
    except TerritoryError:
        return False
    return True


STAGERS = {
    "regions": stage_regions,
    "departements": stage_departements,
    "communes": stage_communes,
    "epci": stage_epci,
    "commune-contours": stage_commune_contours,
}
