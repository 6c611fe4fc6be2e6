"""Per-commune typologies: INSEE density grid (7 levels), centralités and ruralités (ANCT).

Each file gives one class per commune. The source's ``options["typology"]`` names the
typology its rows belong to, so that each source replaces only its own rows. The density
grid is ordered: its label is turned into the INSEE level 1..7 and an unknown label is an
error. The other typologies keep the trimmed label with no level; values the source
declares undefined (``options["undefined"]``) are skipped with their reason.

A file that is not the registry's reference file of its source (``loaders.reference``) must
give every commune of it the same class and no commune more (an extract is partial): a
density grid calling Marseille « Bourgs ruraux » kept its 34,875 rows, loaded « complet,
prouvé », and the engine said Marseille was outside the large urban centres. Without the
reference file at hand, the count of rows (``official_counts``) is the only proof.
"""

from __future__ import annotations

from pathlib import Path

from geodata.french import agreed
from loaders.claims import Proof, examples, number
from loaders.errors import LoadError
from loaders.read import read_csv
from loaders.reference import reference_to_compare, same_codes
from loaders.registry import Source
from loaders.validate import COMMUNE_CODE, Outcome, check_code, check_unique, require_value
from loaders.write import Staged

__all__ = ["DENSITY_LEVELS", "STAGERS", "stage_commune_classes"]

DENSITY_LEVELS = {
    label: level
    for level, label in enumerate(
        (
            "Grands centres urbains",
            "Centres urbains intermédiaires",
            "Ceintures urbaines",
            "Petites villes",
            "Bourgs ruraux",
            "Rural à habitat dispersé",
            "Rural à habitat très dispersé",
        ),
        start=1,
    )
}
"""The 7 levels of the INSEE communal density grid, from the densest."""

LEVELS = {"densite": DENSITY_LEVELS}
"""Ordered typologies: label -> level."""

UNDEFINED = "classe non définie dans le fichier ({value!r}) : commune hors du champ de la " \
    "typologie"


def stage_commune_classes(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """One class per commune for the source's typology (level 1..7 for the density grid),
    compared with the source's reference file when the file is not it."""
    rows, outcome = _read_classes(source, path)
    staged = Staged(tables={"commune_classes": rows})
    reference = reference_to_compare(source, path, vintage)
    if reference is not None:
        expected = _labels(_read_classes(source, reference)[0])
        staged.proofs.append(lambda connection: _as_reference(_labels(rows), expected))
    return staged, outcome


def _labels(rows: list[dict]) -> dict[str, str]:
    return {row["commune_code"]: row["label"] for row in rows}


def _as_reference(labels: dict[str, str], expected: dict[str, str]) -> Proof:
    """Each commune has the class the reference file gives it (else refused), none more
    (refused), none less (partial: the engine says « à vérifier » where a class is
    missing)."""
    changed = [f"{code} ({expected[code]} au fichier de référence, {labels[code]} au fichier)"
               for code in sorted(labels.keys() & expected.keys())
               if labels[code] != expected[code]]
    proof = same_codes("commune(s)", set(labels), set(expected), extract_is_partial=True)
    if changed:
        proof.verified.clear()
        proof.contradicted(f"{number(len(changed))} {agreed('commune(s)', len(changed))} "
                           f"d'une autre classe qu'au "
                           f"fichier de référence du registre : {examples(changed)}")
    elif proof.verified:
        proof.verified[:] = [f"{number(len(labels))} {agreed('commune(s)', len(labels))} de "
                             f"la même classe qu'au fichier "
                             f"de référence du registre"]
    return proof


def _read_classes(source: Source, path: Path) -> tuple[list[dict], Outcome]:
    typology = source.options["typology"]
    levels = LEVELS.get(typology)
    undefined = set(source.options.get("undefined", ()))
    fields = source.fields
    code_field, label_field = fields["commune_code"], fields["label"]
    table = read_csv(path, required=[code_field, label_field])
    rows, where, outcome = [], [], Outcome()
    for record, line in zip(table.rows, table.lines, strict=True):
        code = require_value(record[code_field], path=str(path), row=line,
                             field_name=code_field)
        check_code(code, COMMUNE_CODE, path=str(path), row=line, field_name=code_field)
        label = require_value(record[label_field], path=str(path), row=line,
                              field_name=label_field)
        if label in undefined:
            outcome.skip(f"{code} (ligne {line})", UNDEFINED.format(value=label))
            continue
        level = None
        if levels is not None:
            level = levels.get(label)
            if level is None:
                raise LoadError(
                    f"classe {label!r} inconnue (attendu : {', '.join(levels)})",
                    path=str(path), row=line, field=label_field,
                )
        rows.append({"typology": typology, "commune_code": code, "level": level,
                     "label": label})
        where.append(line)
    check_unique([r["commune_code"] for r in rows], where, path=str(path),
                 field_name=code_field)
    return rows, outcome


STAGERS = {"commune-classes": stage_commune_classes}
