"""A wave's jury: its session, its decisions, their reversal, its closing.

The jury decides on the dossiers "transmis au jury" of one wave: lauréat, refusé (invité à
recandidater) or refusé (invité à se faire accompagner), always with a motivation. Each
decision is an event of its dossier, tied to the wave's open session; the first decision of
a wave opens one. A decision is reversed (the dossier goes back to "transmis au jury", with
a motivation) while its session is open. Closing a session records the date, who closed it
and the members present, locks its decisions, and writes the laureates table
(``geodata.storage.jury_laureates``) in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from geodata.dossiers.actors import actor_said
from geodata.dossiers.checks import granted_within_rules
from geodata.dossiers.states import workflow
from geodata.french import in_paris
from geodata.policy import load_policy
from geodata.storage.cache import forget_versions
from geodata.storage.database import session
from geodata.storage.dossier_models import Dossier, DossierEvent, JurySession
from geodata.storage.dossiers import MoveRefused
from geodata.storage.jury_laureates import (
    GRANTED,
    LaureatesWritten,
    granted_amounts,
    write_jury_laureates,
)
from geodata.storage.reference import commune_parents

__all__ = ["ASKED", "CAPPED", "DECIDED", "JURY_STATE", "MOTIVATION_MAX", "REVERSED",
           "StaleDecisions", "decisions_stamp",
           "ClosedSession", "StandingDecision",
           "JuryError", "close_session", "decide", "decisions_of", "jury_sessions",
           "open_session", "reverse_decisions", "standing_decisions"]

DECIDED, REVERSED = "decision", "decision-annulee"
"""The kinds of the events a jury writes."""
MOTIVATION_MAX = 2000
"""Longest motivation of a decision, as the jury's page allows it: the command line took
24,000 characters, six printed pages of letter."""
JURY_STATE = "transmis-au-jury"
"""The state of a dossier the jury decides on."""
NAMED = re.compile(r"[^\W\d_]{2}")
"""What the members present must hold: a name (two letters in a row), not only signs."""
ASKED, CAPPED = "montants-demandes", "plafonnement"
"""A decision's details when its grant was capped: the amounts asked, and what was capped."""


class JuryError(ValueError):
    """A session that cannot be closed (none open, no members named, no decision standing)."""


class StaleDecisions(JuryError):
    """A closing confirmed on a page that showed other decisions than the session's now."""


def decisions_stamp(decisions: Iterable[tuple[Dossier, DossierEvent]]) -> str:
    """A short stamp of a session's standing decisions (``decisions_of``): a page that
    showed them sends it back with the closing; another one means that a decision was taken
    or cancelled since."""
    ids = ",".join(map(str, sorted(event.id for _, event in decisions)))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ClosedSession:
    session: JurySession
    decisions: dict[str, int]  # decision state -> dossiers
    laureates: LaureatesWritten


@dataclass(frozen=True)
class StandingDecision:
    """A dossier's decision in force (not reversed), as the minutes of its session say it."""
    state: str
    motivation: str
    session: int
    closed_at: datetime | None  # None while its session is open
    granted: tuple[int | None, ...]  # the yearly amounts a laureate is granted, else empty


def jury_sessions(engine: Engine, wave: str) -> list[JurySession]:
    """The sessions of a wave, oldest first."""
    with session(engine) as orm:
        return list(orm.scalars(select(JurySession).where(JurySession.wave == wave)
                                .order_by(JurySession.id)))


def open_session(engine: Engine, wave: str) -> JurySession | None:
    """The wave's session still open, if any."""
    return next((s for s in jury_sessions(engine, wave) if s.closed_at is None), None)


def decide(engine: Engine, numbers: Iterable[int], decision: str, motivation: str,
           actor: str, policy: str = "current", seen_session: int | None = None
           ) -> JurySession:
    """The jury's ``decision`` on every dossier of ``numbers``, all or none: each must be
    "transmis au jury", all of one wave; the wave's open session takes them (one is opened
    if none is). ``seen_session``, the open session a confirmation page showed, must still
    be open: closed since, a new session would take a decision whose quotas nobody saw."""
    rules = workflow()
    numbers = list(dict.fromkeys(int(n) for n in numbers))
    motivation = (motivation or "").strip()
    if decision not in rules.jury_decisions:
        raise MoveRefused({n: f"décision inconnue : {decision!r} "
                              f"({', '.join(sorted(rules.jury_decisions))})" for n in numbers})
    if not motivation:
        raise MoveRefused({n: "motivation obligatoire pour une décision du jury"
                           for n in numbers})
    if len(motivation) > MOTIVATION_MAX:
        raise MoveRefused({n: f"motivation de {len(motivation)} caractères : au plus "
                              f"{MOTIVATION_MAX} (elle est recopiée dans le courrier)"
                           for n in numbers})
    now = datetime.now(UTC)
    with session(engine) as orm, orm.begin():
        found = _locked(orm, numbers)
        reasons = {}
        for number in numbers:
            dossier = found.get(number)
            if dossier is None:
                reasons[number] = "dossier inconnu"
            elif dossier.state == decision:  # a form sent twice (back, « renvoyer »)
                reasons[number] = (f"décision déjà enregistrée : « {rules.labels[decision]} »"
                                   " ; rien de changé")
            elif dossier.state != JURY_STATE:
                reasons[number] = (f"« {rules.labels[dossier.state]} » : seul un dossier "
                                   f"« {rules.labels[JURY_STATE]} » reçoit une décision")
            elif dossier.wave is None:
                reasons[number] = "dossier sans vague : rattachez-le d'abord à une vague"
        waves = sorted({d.wave for d in found.values() if d.wave is not None})
        if not reasons and len(waves) > 1:
            reasons = {n: f"une décision porte sur une seule vague (ici : {', '.join(waves)})"
                       for n in numbers}
        if reasons:
            raise MoveRefused(reasons)
        jury = orm.scalars(select(JurySession).where(
            JurySession.wave == waves[0], JurySession.closed_at.is_(None))
            .with_for_update()).first()
        if seen_session is not None and (jury is None or jury.id != seen_session):
            raise MoveRefused({n: f"la session n° {seen_session} du jury a été close depuis "
                                  "la confirmation : revoyez les quotas sur la page du jury"
                               for n in numbers})
        if jury is None:
            jury = JurySession(wave=waves[0], policy=policy, opened_at=now, opened_by=actor)
            orm.add(jury)
            orm.flush()
        for number in numbers:
            _record(orm, found[number], decision, DECIDED, now, actor, motivation, jury)
    return jury


def reverse_decisions(engine: Engine, numbers: Iterable[int], motivation: str,
                      actor: str, seen: Mapping[int, int] | None = None) -> list[int]:
    """Put decided dossiers back to "transmis au jury", all or none: each decision must
    belong to a session still open and, for a dossier of ``seen`` (number -> the id of the
    decision event a page showed), be that decision: another agent's decision taken since
    is never reversed unseen."""
    rules = workflow()
    numbers = list(dict.fromkeys(int(n) for n in numbers))
    motivation = (motivation or "").strip()
    if not motivation:
        raise MoveRefused({n: "motivation obligatoire pour annuler une décision"
                           for n in numbers})
    now = datetime.now(UTC)
    with session(engine) as orm, orm.begin():
        found = _locked(orm, numbers)
        sessions = _deciding_sessions(orm, [d.id for d in found.values()])
        last = _last_jury_events(orm, [d.id for d in found.values()]) if seen else {}
        reasons = {}
        for number in numbers:
            dossier = found.get(number)
            jury = sessions.get(dossier.id) if dossier else None
            if dossier is None:
                reasons[number] = "dossier inconnu"
            elif dossier.state not in rules.jury_decisions or jury is None:
                reasons[number] = (f"« {rules.labels[dossier.state]} » : aucune décision du "
                                   "jury à annuler")
            elif jury.closed_at is not None:
                reasons[number] = (f"décision de la session close le "
                                   f"{in_paris(jury.closed_at):%d/%m/%Y} : elle ne s'annule plus")
            elif seen and number in seen and last[dossier.id].id != seen[number]:
                reasons[number] = (f"la décision a changé depuis l'affichage de la page : « "
                                   f"{rules.labels[dossier.state]} » est en vigueur, prise "
                                   f"par {actor_said(last[dossier.id].actor)} ; la page la "
                                   "montre à présent : annulez-la s'il le faut")
        if reasons:
            raise MoveRefused(reasons)
        for number in numbers:
            dossier = found[number]
            _record(orm, dossier, JURY_STATE, REVERSED, now, actor, motivation,
                    sessions[dossier.id])
    return numbers


def close_session(engine: Engine, wave: str, members: str, actor: str,
                  seen: str | None = None) -> ClosedSession:
    """Close the wave's open session: its decisions are locked, and the laureates table
    gets the laureates of every closed session (one transaction); a session without any
    standing decision (all reversed) is not closed. ``seen``: the
    ``decisions_stamp`` of the page that asked, refused when the decisions changed since
    (another tab decided a dossier that nobody closing had seen)."""
    members = (members or "").strip()
    if not members:
        raise JuryError("les membres présents sont obligatoires pour clore la session")
    if not NAMED.search(members):  # « ,; » closed a session
        typed = members if len(members) <= 40 else members[:40] + "…"
        raise JuryError(f"les membres présents : au moins un nom (« {typed} » n'en est pas un)")
    now, parents = datetime.now(UTC), commune_parents(engine)
    with session(engine) as orm, orm.begin():
        jury = orm.scalars(select(JurySession).where(
            JurySession.wave == wave, JurySession.closed_at.is_(None))
            .with_for_update()).first()
        if jury is None:
            raise JuryError(f"aucune session de jury ouverte pour la vague {wave}")
        standing = _current_decisions(orm, jury.id)
        if not standing:  # every decision reversed: closing would record an empty session
            raise JuryError(f"la session n° {jury.id} de la vague {wave} n'a aucune décision "
                            "en vigueur (toutes ont été annulées) : rien à clore ; elle reste "
                            "ouverte, la prochaine décision s'y ajoutera")
        if seen is not None and decisions_stamp(standing) != seen:
            raise StaleDecisions(
                f"des décisions ont été prises ou annulées depuis l'affichage de la page (la "
                f"session en compte {len(standing)} maintenant) : relisez-les ci-dessus, puis "
                "confirmez de nouveau")
        jury.closed_at, jury.closed_by, jury.members = now, actor, members
        orm.flush()
        decisions: dict[str, int] = {}
        for _dossier, event in standing:
            decisions[event.to_state] = decisions.get(event.to_state, 0) + 1
        written = write_jury_laureates(orm, now, parents)
        orm.expunge(jury)
    forget_versions(engine)  # this process serves the new laureates at once
    return ClosedSession(jury, decisions, written)


def decisions_of(engine: Engine, session_id: int) -> list[tuple[Dossier, DossierEvent]]:
    """The decisions of a session that stand (not reversed), with their event."""
    with session(engine) as orm:
        found = _current_decisions(orm, session_id)
        for dossier, event in found:
            orm.expunge(dossier)
            orm.expunge(event)
        return found


def standing_decisions(engine: Engine, dossiers: Iterable[Dossier]
                       ) -> dict[int, StandingDecision]:
    """The decision in force of each of ``dossiers`` that has one, by number: of a closed
    session or of the open one, with the amounts it grants (``granted_amounts``)."""
    wanted = {dossier.id: dossier for dossier in dossiers}
    with session(engine) as orm:
        last = {i: e for i, e in _last_jury_events(orm, list(wanted)).items()
                if e.kind == DECIDED}
        closed = dict(orm.execute(select(JurySession.id, JurySession.closed_at).where(
            JurySession.id.in_({e.jury_session_id for e in last.values()}))).all()) \
            if last else {}
    return {wanted[i].number: StandingDecision(
        event.to_state, event.motivation or "", event.jury_session_id,
        closed[event.jury_session_id],
        tuple(granted_amounts(wanted[i], event)) if event.to_state == "laureat" else ())
        for i, event in last.items()}


def _locked(orm, numbers: list[int]) -> dict[int, Dossier]:
    return {d.number: d for d in orm.scalars(
        select(Dossier).where(Dossier.number.in_(numbers)).with_for_update())}


def _record(orm, dossier: Dossier, target: str, kind: str, now: datetime, actor: str,
            motivation: str, jury: JurySession) -> None:
    """A decision or its reversal; a decision keeps the amounts the jury saw, within the
    rules of its session (``granted_within_rules``: what was capped is kept too)."""
    details = {"session": jury.id}
    if kind == DECIDED:
        asked = (dossier.amount_1, dossier.amount_2, dossier.amount_3)
        granted, capped = granted_within_rules(asked, dossier.kind, load_policy(jury.policy))
        details[GRANTED] = list(granted)
        if capped:
            details[ASKED], details[CAPPED] = list(asked), capped
    orm.add(DossierEvent(dossier_id=dossier.id, at=now, actor=actor, kind=kind,
                         from_state=dossier.state, to_state=target, motivation=motivation,
                         details=details, jury_session_id=jury.id))
    dossier.state, dossier.updated_at = target, now


def _last_jury_events(orm, dossier_ids: list[int]) -> dict[int, DossierEvent]:
    """Each dossier's latest jury event (a decision or its reversal)."""
    if not dossier_ids:
        return {}
    events = orm.scalars(select(DossierEvent).where(
        DossierEvent.dossier_id.in_(dossier_ids), DossierEvent.jury_session_id.is_not(None))
        .order_by(DossierEvent.id))
    return {event.dossier_id: event for event in events}


def _deciding_sessions(orm, dossier_ids: list[int]) -> dict[int, JurySession]:
    """The session of each dossier's standing decision."""
    last = {i: e for i, e in _last_jury_events(orm, dossier_ids).items() if e.kind == DECIDED}
    sessions = {s.id: s for s in orm.scalars(select(JurySession).where(
        JurySession.id.in_({e.jury_session_id for e in last.values()})))} if last else {}
    return {i: sessions[e.jury_session_id] for i, e in last.items()}


def _current_decisions(orm, session_id: int) -> list[tuple[Dossier, DossierEvent]]:
    ids = list(orm.scalars(select(DossierEvent.dossier_id).where(
        DossierEvent.jury_session_id == session_id).distinct()))
    last = _last_jury_events(orm, ids)
    standing = {i: e for i, e in last.items()
                if e.kind == DECIDED and e.jury_session_id == session_id}
    dossiers = {d.id: d for d in orm.scalars(select(Dossier).where(
        Dossier.id.in_(list(standing))))} if standing else {}
    return sorted(((dossiers[i], e) for i, e in standing.items()),
                  key=lambda pair: pair[0].number)
