"""Proofs of a QPV layer's completeness from facts its file does not give.

A QPV source claims to list every QPV of a territory (``complete_for``). Two facts, each
from another source, test that claim when the file is loaded (``loaders.claims`` decides
what a shortfall does):

- **presence**: every QPV that the official list of the QPV of each commune (dataset
  ``qpv-communes``: for 2024 the source ``qpv2024-communes``, if it is itself complete)
  names in a commune of the claimed territory must be in the file. For a vintage without
  such a list (2015), the official count of QPV of the territory
  (``loaders.registry.qpv.QPV_COUNTS``, with its publication) must be met exactly, in
  distinct codes: a count cannot name the missing codes, but a cut file falls short of it,
  and a file of another list or padded with made-up codes goes past it. A région is delimited by
  the COG list of départements (source ``departements``), and by the régions the list of
  communes (source ``communes``) gives its communes, as the engine's complete area is.
- **extent**: each polygon must cover a quartier's area, and keep the area it has in service
  (``loaders.qpv_extent``).
- **placement**: each polygon must lie in or touch one of its communes (those the official
  list names, else those the file names), within ``TOLERANCE_M`` metres measured in the
  territory's projected CRS, against the commune outlines (source ``commune-contours``). A
  file with longitude and latitude swapped, or a polygon moved away, fails it.

A fact that is not loaded leaves the claim unproven: the layer is loaded as partial. Loading
that fact later proves the layers again (``reconsider``): a layer whose standing changes gets
a new dataset version (same file, same rows), so that every cache keyed on the versions
serves the new standing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from geodata.french import agreed
from geodata.storage.models import (
    Commune,
    DatasetVersion,
    Departement,
    Qpv,
    QpvCommune,
)
from geodata.storage.reference import coverage_names
from geodata.territories import scope_wording
from loaders.claims import Proof, claimed, examples, number, reconsidered
from loaders.placement import commune_shapes, distance_m, length
from loaders.qpv_extent import extent
from loaders.registry import Completeness, Source
from loaders.registry.qpv import QPV_COUNTS
from loaders.write import current_of_dataset, load_transaction

__all__ = ["FACT_DATASETS", "TOLERANCE_M", "Outline", "outlines_of", "prove_qpv",
           "reconsider"]

TOLERANCE_M = 50.0
"""How far (metres) a QPV may lie from its communes: the commune outlines are generalised."""

FACT_DATASETS = frozenset({"qpv-communes", "commune-contours", "departements", "communes"})
"""Datasets a QPV layer's completeness is proven by: loading one proves the layers again."""


@dataclass(frozen=True)
class Outline:
    """A QPV as the proofs see it: code, département, territory, communes, polygon."""

    code: str
    departement: str | None
    territory: str
    communes: tuple[str, ...]  # as the file names them
    geom: BaseGeometry  # EPSG:4326


def outlines_of(rows: Iterable[Mapping]) -> list[Outline]:
    """Outlines from staged rows or ``qpv`` table rows (their mappings)."""
    return [Outline(row["code"], row["departement_code"], row["territory"],
                    tuple(row["commune_codes"] or ()), row["geom"]) for row in rows]


def prove_qpv(connection: Connection, claim: Completeness, vintage: str,
              outlines: list[Outline], reference: list[Outline] | None = None) -> Proof:
    """Presence of every QPV of the claimed territory, extent of each one against the
    ``reference`` outlines (None: those in service; ``loaders.qpv_extent``), and placement
    of every polygon."""
    official = _official_list(connection, vintage)
    proof = _presence(connection, claim, vintage, outlines, official)
    if official is not None:
        _all_listed(proof, official, outlines)
    proof.merge(extent(connection, vintage, outlines, reference))
    return proof.merge(_placement(connection, outlines, official))


# --- facts ---------------------------------------------------------------------------------

def _official_list(connection: Connection, vintage: str) -> tuple[str, dict] | None:
    """The source name and the communes of each QPV of the official list of the vintage,
    when a list complete for the whole country is in service."""
    version = current_of_dataset(connection, "qpv-communes", vintage)
    if version is None or version.complete_for.get("scope") != "country":
        return None
    communes: dict[str, list[str]] = {}
    for code, commune in connection.execute(
        select(QpvCommune.qpv_code, QpvCommune.commune_code).where(QpvCommune.vintage == vintage)
    ):
        communes.setdefault(code, []).append(commune)
    return version.source, {code: tuple(listed) for code, listed in communes.items()}


def _departement_of_commune(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def _claimed_units(connection: Connection, claim: Completeness):
    """``(code, wording, départements or None for all)`` per unit of the claim, or None
    when the claim names régions and the list of départements is not loaded."""
    names = coverage_names(connection)
    if claim.scope == "country":
        return [("", "toute la France", None)]
    if claim.scope == "departements":
        return [(code, scope_wording("departements", [code], names), {code})
                for code in claim.codes]
    if current_of_dataset(connection, "departements") is None:
        return None
    pairs = set(connection.execute(select(Departement.code, Departement.region_code)).all())
    # The engine's complete area takes a commune's région from the list of communes: a
    # département the list of départements puts elsewhere (or lacks) is required all the same.
    pairs |= set(connection.execute(select(Commune.departement_code, Commune.region_code)
                                    .where(Commune.departement_code.is_not(None))
                                    .distinct()).all())
    return [(code, scope_wording("regions", [code], names), {d for d, r in pairs if r == code})
            for code in claim.codes]


# --- presence ------------------------------------------------------------------------------

def _presence(connection: Connection, claim: Completeness, vintage: str,
              outlines: list[Outline], official: tuple[str, dict] | None) -> Proof:
    """Every QPV the official list (or count) gives for the claimed territory is there."""
    proof = Proof()
    if claim.scope == "none":
        return proof
    units = _claimed_units(connection, claim)
    if units is None:
        proof.unproven("la liste des départements (source « departements ») n'est pas "
                       "chargée : la région annoncée ne peut être délimitée")
        return proof
    for code, where, departements in units:
        if official is not None:
            _listed_codes_present(proof, official, where, departements, outlines)
        elif (vintage, claim.scope, code) in QPV_COUNTS:
            _count_met(proof, QPV_COUNTS[vintage, claim.scope, code], vintage, where,
                           departements, outlines)
        else:
            proof.unproven(
                f"aucune liste officielle des QPV {vintage} par commune (source "
                f"« qpv{vintage}-communes ») n'est chargée, ni aucun décompte officiel connu "
                f"pour {where} : la présence de tous les quartiers n'est pas vérifiée"
            )
    return proof


def _listed_codes_present(proof: Proof, official: tuple[str, dict], where: str,
                          departements: set[str] | None, outlines: list[Outline]) -> None:
    name, communes_of = official
    expected = sorted(code for code, communes in communes_of.items()
                      if departements is None
                      or any(_departement_of_commune(c) in departements for c in communes))
    present = {outline.code for outline in outlines}
    missing = [code for code in expected if code not in present]
    if missing:
        proof.contradicted(
            f"{number(len(missing))} des {number(len(expected))} quartiers que la liste "
            f"officielle « {name} » nomme dans {where} "
            f"{agreed('(manque|manquent)', len(missing))} au fichier "
            f"(ex. {examples(missing)})"
        )
    else:
        proof.verified.append(f"les {number(len(expected))} quartiers que la liste officielle "
                              f"« {name} » nomme dans {where} sont tous au fichier")


def _all_listed(proof: Proof, official: tuple[str, dict], outlines: list[Outline]) -> None:
    """Every quartier of the file is in the official list (a made-up one answers "in a
    QPV" where there is none)."""
    name, communes_of = official
    unknown = sorted({outline.code for outline in outlines} - set(communes_of))
    if unknown:
        proof.contradicted(
            f"{number(len(unknown))} "
            f"{agreed('quartier(s) du fichier absent(s)', len(unknown))} de la liste officielle "
            f"« {name} » (codes inventés ou d'une autre liste ?) : {examples(unknown)}")


def _count_met(proof: Proof, official: tuple[int, str], vintage: str, where: str,
                   departements: set[str] | None, outlines: list[Outline]) -> None:
    expected, publication = official
    found = len({outline.code for outline in outlines
                 if departements is None or outline.departement in departements})
    if found != expected:  # fewer: a cut file; more: another list, or codes made up
        said = (f"il en manque {number(expected - found)}" if found < expected else
                f"{number(found - expected)} de trop (une autre liste, ou des codes inventés)")
        proof.contradicted(
            f"le fichier a {number(found)} {agreed('quartier(s)', found)} {vintage} dans {where}, "
            f"le décompte "
            f"officiel en compte {number(expected)} ({publication}) : {said}"
        )
    else:
        proof.verified.append(f"{number(found)} quartiers {vintage} dans {where}, autant que "
                              f"le décompte officiel ({publication})")


# --- placement -----------------------------------------------------------------------------

def _placement(connection: Connection, outlines: list[Outline],
               official: tuple[str, dict] | None) -> Proof:
    """Each polygon lies in or touches one of its communes, within ``TOLERANCE_M``."""
    proof = Proof()
    contours = current_of_dataset(connection, "commune-contours")
    if contours is None:
        proof.unproven("les contours des communes (source « commune-contours ») ne sont pas "
                       "chargés : l'emplacement des quartiers n'est pas vérifié")
        return proof
    listed = official[1] if official else {}
    communes_of = {o.code: listed.get(o.code) or o.communes for o in outlines}
    shapes = commune_shapes(connection, sorted({c for cs in communes_of.values() for c in cs}))
    away, unplaced, unknown = [], [], []
    for outline in outlines:
        communes = communes_of[outline.code]
        drawn = [code for code in communes if code in shapes]
        if not communes:
            unknown.append(outline.code)
        elif not drawn:
            unplaced.append(f"{outline.code} ({', '.join(communes)})")
        elif not (distance := distance_m(outline.geom, outline.territory,
                                         [shapes[c] for c in drawn])) <= TOLERANCE_M:
            away.append(f"{outline.code} à {length(distance)} de {', '.join(drawn)}")
    if away:
        proof.contradicted(
            f"{number(len(away))} {agreed('quartier(s) hors de (ses|leurs)', len(away))} "
            f"communes (à plus de "
            f"{TOLERANCE_M:.0f} m ; longitude et latitude inversées, ou contour déplacé) : "
            f"{examples(away)}"
        )
    if unplaced:
        proof.unproven(f"{number(len(unplaced))} {agreed('quartier(s)', len(unplaced))} dont "
                       f"aucune commune n'a de contour chargé, emplacement non vérifié : "
                       f"{examples(unplaced)}")
    if unknown:
        proof.unproven(f"{number(len(unknown))} {agreed('quartier(s)', len(unknown))} sans "
                       f"commune connue (ni liste "
                       f"officielle ni code commune au fichier), emplacement non vérifié : "
                       f"{examples(unknown)}")
    placed = len(outlines) - len(away) - len(unplaced) - len(unknown)
    if placed and not away:
        proof.verified.append(f"{number(placed)} {agreed('contour(s)', placed)} dans "
                              f"{agreed('(ses|leurs)', placed)} communes (source "
                              f"« {contours.source} », à {TOLERANCE_M:.0f} m près)")
    return proof


# --- proving again when a fact is loaded ---------------------------------------------------

def reconsider(engine: Engine, loaded: Source) -> list[str]:
    """After ``loaded`` (a fact) was loaded: prove again every QPV layer in service that
    claims a completeness and was not forced; notes for the report."""
    if loaded.dataset not in FACT_DATASETS:
        return []
    with engine.connect() as connection:
        versions = connection.execute(
            select(DatasetVersion.__table__).where(DatasetVersion.dataset == "qpv",
                                                   DatasetVersion.current.is_(True))
            .order_by(DatasetVersion.id)).all()
    return [note for version in versions
            if not version.complete_for.get("forced")
            and claimed(version.complete_for).scope != "none"
            and (note := _reconsider_version(engine, version, loaded.name))]


def _reconsider_version(engine: Engine, version, trigger: str) -> str | None:
    """Prove a layer in service again; the report's note, if there is news.

    A new standing (proven, or no longer proven) makes a new version of the layer; a
    standing unchanged with other reasons only updates the reasons of the version."""
    with load_transaction(engine) as connection:
        rows = connection.execute(
            select(Qpv.code, Qpv.departement_code, Qpv.territory, Qpv.commune_codes, Qpv.geom)
            .where(Qpv.dataset_version_id == version.id)).all()
        claim = claimed(version.complete_for)
        # the layer in service: its extent was proven at its load, nothing to compare with
        decision = reconsidered(claim, prove_qpv(connection, claim, version.vintage,
                                                 outlines_of(r._mapping for r in rows),
                                                 reference=[]), coverage_names(connection))
        counts = {**version.counts, "checks": decision.checks, "proven_after": trigger}
        if _standing(decision.complete_for) == _standing(version.complete_for):
            if decision.complete_for == version.complete_for:
                return None
            connection.execute(update(DatasetVersion).where(DatasetVersion.id == version.id)
                               .values(complete_for=decision.complete_for, counts=counts))
            return f"{version.source} ({version.vintage}) reste {decision.completeness}"
        if not _new_version(connection, version, decision.complete_for, counts):
            return None
    return (f"{version.source} ({version.vintage}) revue après le chargement de {trigger} : "
            f"{decision.completeness}")


def _standing(complete_for: dict) -> dict:
    """What the engine reads of a completeness (its wording of the reasons aside)."""
    return {key: value for key, value in complete_for.items() if key != "reason"}


def _new_version(connection: Connection, version, complete_for: dict, counts: dict) -> bool:
    """Replace ``version`` by a copy with another completeness, its rows moved to the copy;
    False when another load replaced it meanwhile."""
    retired = connection.execute(
        update(DatasetVersion).where(DatasetVersion.id == version.id,
                                     DatasetVersion.current.is_(True))
        .values(current=False))
    if retired.rowcount != 1:
        return False
    fields = {key: value for key, value in version._mapping.items() if key != "id"}
    new_id = connection.execute(insert(DatasetVersion).returning(DatasetVersion.id), {
        **fields, "complete_for": complete_for, "loaded_at": datetime.now(UTC),
        "counts": counts, "current": True,
    }).scalar_one()
    connection.execute(update(Qpv).where(Qpv.dataset_version_id == version.id)
                       .values(dataset_version_id=new_id))
    return True
