"""Whether a load may claim the completeness its source declares: proven by the data.

A source's registry entry says where it lists everything (``complete_for``). That is a claim,
never taken on the source's word: at load time it is checked against facts that do not come
from the file, by "proofs" the stagers attach to what they stage (``Staged.proofs``): for a
QPV layer the official list of the QPV of each commune and the commune outlines
(``loaders.qpv_proof``), for a national reference list the numbers an authority publishes
for its vintage (``Source.official_counts``: 1,362 metropolitan QPV, 101 départements, 22
métropoles…), for a national list of places a plausible number of records
(``Source.minimum_rows``). A proof returns what it verified and its shortfalls. What a
shortfall does is decided here, once, by its kind:

- **the file contradicts the facts** (codes of the official list missing, a polygon away
  from its communes, too few records): the file is **refused** and the version in service
  stays. Loading it as partial instead would silently replace a proven layer by a truncated
  or misplaced one: a person must decide. With ``force`` (``fabriques load --force``) it is
  loaded as **partial, never complete**, and the forcing is recorded in the version
  (``complete_for["forced"]`` and ``counts["checks"]["forced"]``), which
  ``fabriques datasets`` and ``/api/v1/datasets`` show.
- **the facts are not loaded** (no official list, no outlines): nothing says the file is
  wrong, so it is loaded, but **as partial**, the report saying why. Its version is marked
  ``pending``: the claim is proven again when the facts are loaded
  (``loaders.qpv_proof.reconsider``).

A file that is malformed rather than short of the facts (a record cut in the middle, a
truncated JSON or GeoJSON) is refused by the readers (``loaders.read``), and cannot be
forced: its rows cannot be loaded as given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from geodata.french import agreed
from geodata.french import number as french_number
from loaders.errors import LoadError
from loaders.registry import Completeness, Source
from loaders.registry.source import OfficialCount

__all__ = [
    "Decision",
    "Proof",
    "ProofCheck",
    "Shortfall",
    "claimed",
    "decide",
    "describe",
    "examples",
    "minimum_rows_proof",
    "number",
    "official_counts_proof",
    "reconsidered",
]

EXAMPLES = 5
"""How many examples a message names."""


@dataclass(frozen=True)
class Shortfall:
    """One reason a file cannot claim its source's completeness, in French."""

    message: str
    contradicts: bool  # True: the file contradicts a fact; False: the fact is not loaded


@dataclass
class Proof:
    """What checking a file against facts found: facts verified, shortfalls, notes, and
    values to keep in the version's ``counts``."""

    verified: list[str] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    record: dict = field(default_factory=dict)

    def merge(self, other: Proof) -> Proof:
        """This proof with ``other``'s findings added."""
        self.verified += other.verified
        self.shortfalls += other.shortfalls
        self.notes += other.notes
        self.record.update(other.record)
        return self

    def contradicted(self, message: str) -> None:
        self.shortfalls.append(Shortfall(message, contradicts=True))

    def unproven(self, message: str) -> None:
        self.shortfalls.append(Shortfall(message, contradicts=False))


ProofCheck = Callable[[Connection], Proof]
"""A proof run in the load's transaction, reading the facts in the database."""


@dataclass(frozen=True)
class Decision:
    """The completeness a version may record, what to keep in its counts, and the report's
    words about it."""

    complete_for: dict
    checks: dict
    completeness: str
    notes: list[str]


def number(value: int) -> str:
    """A count written the French way: ``2 845``."""
    return french_number(value)


def examples(items: Sequence[str], limit: int = EXAMPLES) -> str:
    """The first ``limit`` items, joined, with "…" when there are more."""
    more = ", …" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def claimed(complete_for: dict) -> Completeness:
    """The completeness a stored version claims (its source's claim when it was lowered)."""
    claim = complete_for.get("claimed", complete_for)
    return Completeness(claim.get("scope", "none"), tuple(claim.get("codes", ())))


def describe(complete_for: dict, names: dict[str, dict[str, str]] | None = None) -> str:
    """French wording of a stored completeness, saying when it was forced or is unproven
    (``names``: of the régions and départements loaded, ``coverage_names``)."""
    said = claimed({k: v for k, v in complete_for.items() if k != "claimed"}).describe(names)
    if "claimed" not in complete_for:
        return said
    how = "chargé de force" if complete_for.get("forced") else "complétude non prouvée"
    announced = claimed(complete_for)
    if announced.scope != "none":
        said += f" ; le registre annonce « {announced.describe(names)} »"
    return f"{said} ; {how} : {complete_for.get('reason', '')}"


def decide(source_claim: Completeness, proof: Proof, *, force: bool, path: str,
           names: dict[str, dict[str, str]] | None = None) -> Decision:
    """The completeness a file may record, or a ``LoadError`` refusing it (see the module);
    ``names`` name the régions and départements in the report's words."""
    contradictions = [s.message for s in proof.shortfalls if s.contradicts]
    if contradictions and not force:
        raise LoadError(
            f"fichier refusé : {' ; '.join(contradictions)}. Les données en service sont "
            "gardées ; pour le charger tout de même comme partiel (jamais complet), relancez "
            "avec --force : le forçage sera enregistré",
            path=path,
        )
    return _standing(source_claim, proof, forced=bool(contradictions), names=names)


def reconsidered(source_claim: Completeness, proof: Proof,
                 names: dict[str, dict[str, str]] | None = None) -> Decision:
    """The standing of a version in service, proven again: whatever falls short leaves it
    partial and pending, to be proven again when the next fact is loaded."""
    return _standing(source_claim, proof, forced=False, names=names)


def _standing(claim: Completeness, proof: Proof, *, forced: bool,
              names: dict[str, dict[str, str]] | None) -> Decision:
    contradictions = [s.message for s in proof.shortfalls if s.contradicts]
    unproven = [s.message for s in proof.shortfalls if not s.contradicts]
    checks = {key: value for key, value in (
        ("verified", proof.verified), ("forced" if forced else "contradicted", contradictions),
        ("unproven", unproven)) if value}
    notes = list(proof.notes)
    if forced:
        complete_for = _lowered(claim, contradictions, forced=True)
        said = f"partiel, chargé de force (--force) : {' ; '.join(contradictions)}"
    elif (contradictions or unproven) and claim.scope != "none":
        reasons = contradictions + unproven
        complete_for = _lowered(claim, reasons, forced=False)
        then = "rechargez un fichier complet" if contradictions else "la complétude sera " \
            "vérifiée à nouveau au chargement des données qui manquent"
        said = (f"partiel : le registre annonce « {claim.describe(names)} », mais "
                f"{' ; '.join(reasons)} ; {then}")
    else:
        complete_for = claim.as_dict()
        said = claim.describe(names)
        if proof.verified and claim.scope != "none":
            said += f", prouvé : {' ; '.join(proof.verified)}"
        notes += unproven
    return Decision(complete_for, checks, said, notes)


def _lowered(source_claim: Completeness, reasons: list[str], *, forced: bool) -> dict:
    """A partial completeness that keeps the source's claim and why it was not granted."""
    lowered = {**Completeness("none").as_dict(), "claimed": source_claim.as_dict(),
               "reason": " ; ".join(reasons)}
    lowered["forced" if forced else "pending"] = True
    return lowered


def minimum_rows_proof(source: Source, records: int) -> Proof:
    """Whether the file holds at least the plausible number of records of its source."""
    proof = Proof(record={"records": records})
    if source.minimum_rows is None:
        return proof
    if records < source.minimum_rows:
        proof.contradicted(
            f"le fichier compte {number(records)} {agreed('enregistrement(s)', records)}, au moins "
            f"{number(source.minimum_rows)} sont attendus pour cette source (fichier coupé "
            "ou incomplet ?)"
        )
    else:
        proof.verified.append(
            f"{number(records)} enregistrements (au moins {number(source.minimum_rows)} "
            "attendus)"
        )
    return proof


def official_counts_proof(source: Source, tables: dict[str, list[dict]], vintage: str) -> Proof:
    """Whether the file agrees with the numbers published for its source's vintage. Another
    vintage has no published number here: its completeness is not proven."""
    proof = Proof()
    if not source.official_counts:
        return proof
    if vintage != source.vintage:
        proof.unproven(f"aucun décompte officiel connu pour le millésime {vintage} (ceux du "
                       f"registre valent pour {source.vintage})")
        return proof
    for fact in source.official_counts:
        found = _counted(fact, tables.get(fact.table, []))
        if found == fact.count:
            proof.verified.append(f"{number(found)} {fact.what}, autant que {fact.origin}")
        else:
            proof.contradicted(f"le fichier compte {number(found)} {fact.what}, {fact.origin} "
                               f"en donne {number(fact.count)} (fichier coupé, complété ou "
                               "d'une autre édition ?)")
    return proof


def _counted(fact: OfficialCount, rows: list[dict]) -> int:
    kept = [row for row in rows if fact.keep is None or fact.keep(row)]
    if fact.distinct is None:
        return len(kept)
    key = fact.distinct if callable(fact.distinct) else lambda row: row[fact.distinct]
    return len({key(row) for row in kept})
