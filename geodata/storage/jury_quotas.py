"""The quotas a jury decides against, read from the database: every laureate so far (the
published list, closed sessions, the open session's decisions) and a selection of dossiers,
and what a decision would warn about. The session page and ``fabriques dossiers decider``
both read them here, so that both say the same."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from geodata.dossiers.jury import dossier_record, laureates_of_wave, selection_warnings
from geodata.dossiers.selection import CHECKS, check_value
from geodata.french import agreed
from geodata.policy import DEFAULT_POLICY, Policy, load_policy
from geodata.quotas import FabriqueRecord, what_if
from geodata.storage.fabriques import laureate_records
from geodata.storage.jury import decisions_of, jury_sessions
from geodata.storage.jury_laureates import (
    granted_amounts,
    same_as_published,
    unwritten_decisions,
)
from geodata.storage.reference import place_names

__all__ = ["Standing", "decision_warnings", "failing_checks", "programme_records",
           "published_records", "quota_records", "standing"]


@dataclass(frozen=True)
class Standing:
    """A wave's sessions, its open one (or None), that session's standing decisions
    (dossier, event), its policy, and the quota records of every laureate so far."""

    sessions: list
    current: object | None
    decided: list
    policy: Policy
    records: list[FabriqueRecord]

    @property
    def laureates(self) -> list:
        """The dossiers the open session named laureates, each with its decision."""
        return _laureates(self.decided)

    def naming(self, engine: Engine, chosen: Iterable) -> tuple[list, list, dict]:
        """``quota_records`` were ``chosen`` named laureates (those the open session decided
        already counted once)."""
        decided = {dossier.number for dossier, _ in self.decided}
        return quota_records(engine, self.policy, self.laureates,
                             [d for d in chosen if d.number not in decided])


def programme_records(engine: Engine, policy: Policy) -> list[FabriqueRecord]:
    """Every laureate so far, as the quotas count them: the laureates table (published list,
    closed sessions) and the closed sessions' laureates it lacks for want of a commune
    (« à vérifier », each in place of the published Fabrique it is the same as): a closing
    dropped them from every count until an import placed them."""
    records, _, _ = quota_records(engine, policy, ())
    return records


def quota_records(engine: Engine, policy: Policy, laureates: Iterable[tuple],
                  candidates: Iterable = ()) -> tuple[list, list, dict]:
    """The quota records of every laureate so far (``programme_records``) with the open
    session's ``laureates`` (dossier, decision), those of ``candidates`` (a selection) apart,
    and the published Fabrique each dossier is the same as: such a dossier (as the closing
    will find it) takes its place, rather than adding one. A decided laureate counts with
    the amounts its decision granted, a candidate with those it asks; each in its
    département's région."""
    laureates = [*unwritten_decisions(engine), *laureates]
    candidates = list(candidates)
    same = same_as_published(engine, [*(d for d, _ in laureates), *candidates])
    kept = [r for r in laureate_records(engine, policy) if r.id not in same.values()]
    regions = place_names(engine)["departement_region"]
    return (kept + [dossier_record(d, regions.get(d.departement_code),
                                   granted_amounts(d, decision)) for d, decision in laureates],
            [dossier_record(d, regions.get(d.departement_code)) for d in candidates], same)


def published_records(engine: Engine, policy: Policy, same: dict[int, str]
                      ) -> dict[int, FabriqueRecord]:
    """The record of the published Fabrique each dossier of ``same`` is (dossier number ->
    Fabrique id, ``quota_records``): the one a ticked dossier takes the place of."""
    wanted = set(same.values())
    by_id = {r.id: r for r in laureate_records(engine, policy) if r.id in wanted}
    return {number: by_id[fabrique] for number, fabrique in same.items() if fabrique in by_id}


def standing(engine: Engine, wave: str, rules: str = DEFAULT_POLICY) -> Standing:
    """Where the wave's jury stands (``Standing``): its quotas counted under the rules of
    its open session, else ``rules`` (the wave's: those its first decision opens it with)."""
    sessions = jury_sessions(engine, wave)
    current = next((s for s in sessions if s.closed_at is None), None)
    decided = decisions_of(engine, current.id) if current else []
    policy = load_policy(current.policy if current else rules)
    records, _, _ = quota_records(engine, policy, _laureates(decided))
    return Standing(sessions, current, decided, policy, records)


def _laureates(decided: list) -> list:
    return [(dossier, event) for dossier, event in decided if event.to_state == "laureat"]


def failing_checks(dossiers: Iterable) -> dict[int, list[str]]:
    """The rules of the AMI each dossier fails (legal form, funding), by number; only the
    dossiers failing one."""
    failing = {d.number: [label for name, label in CHECKS.items()
                          if check_value(d, name) is False] for d in dossiers}
    return {number: labels for number, labels in failing.items() if labels}


def decision_warnings(engine: Engine, chosen: Sequence, wave: str,
                      cap: int | None, rules: str = DEFAULT_POLICY) -> list[str]:
    """What naming ``chosen`` (dossiers of ``wave``) laureates would warn about, in French:
    the rules they fail, the targets and the wave's cap the quotas would go past (counted
    under ``standing``'s rules)."""
    now = standing(engine, wave, rules)
    others, laureates, _ = now.naming(engine, chosen)
    said = [f"dossier {number} : {', '.join(labels)} "
            f"{agreed('non conforme(s)', len(labels))} aux règles de l'AMI"
            for number, labels in failing_checks(chosen).items()]
    after = what_if(others, laureates, now.policy)
    return said + selection_warnings(after, laureates_of_wave([*others, *laureates], wave),
                                     cap, wave)
