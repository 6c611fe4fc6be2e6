"""The laureates a closed jury session makes, written into the laureates table.

Every dossier whose standing decision is "lauréat" in a closed session (and stays so, or is
"conventionné" since) becomes a Fabrique of the ``laureates`` table, under the dataset
source ``decisions-jury``: id ``ds-<number>``, its place as the instruction located it (a
point, not a commune centroid), its type, wave, SIRET and the amounts asked, which the
decision grants. The rows are rewritten at each closing as a new dataset version (the
caches keyed on versions follow), and after an import or a verification changed them.

The published ANCT list stays the source for the waves it covers: a decided laureate with
the SIRET of a published one (when the published source gives SIRETs: the 2024 list does
not), or of the same commune (municipal arrondissements count as their commune) and the same
project name (compared without case, accents or punctuation), is the same Fabrique
(``meme``) and is not counted twice, unless another decided laureate is already the same as
that one; one whose commune has published laureates of other names (or of its
organisation's name only) is a possible match (``a-confirmer``) that a person confirms
(``confirm_match``); others are ``distinct``. A person's answer is an event of the dossier
(``correspondance``) and prevails when the rows are rewritten; the other answers are
computed again, against the published list of the day. A laureate without a commune cannot
be written: it is listed.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

import shapely
from sqlalchemy import Engine, delete, select, update

from geodata.dossiers.records import MATCH_STATES
from geodata.publication import without_contacts
from geodata.storage.cache import forget_versions
from geodata.storage.database import session
from geodata.storage.dossier_models import Dossier, DossierEvent, JurySession
from geodata.storage.models import DatasetVersion, Laureate
from geodata.storage.reference import commune_parents
from geodata.territories import TerritoryError, territory_of_commune

__all__ = ["GRANTED", "JURY_LICENCE", "JURY_SOURCE", "JURY_TITLE", "LaureatesWritten",
           "automatic_matches", "confirm_match", "granted_amounts", "pending_matches",
           "published_match_of", "refresh_jury_laureates", "same_as_published",
           "unwritten_decisions", "unwritten_laureates", "write_jury_laureates"]

JURY_SOURCE = "decisions-jury"
JURY_TITLE = "Lauréats décidés par les jurys de ce service"
JURY_LICENCE = "Licence Ouverte / Etalab 2.0"
"""The licence of the jury's laureates, named as the registry names it for every open
source (``loaders.registry.source.LICENCE_OUVERTE``: geodata does not import loaders)."""
ANSWERED = "correspondance"
"""The kind of the event of a person's answer on a match."""
SAME, TO_CONFIRM, DISTINCT = MATCH_STATES
WINNING = ("laureat", "conventionne")
"""States of a dossier whose standing decision made it a laureate."""


@dataclass
class LaureatesWritten:
    written: int = 0
    without_commune: list[int] = field(default_factory=list)  # dossier numbers
    to_confirm: list[str] = field(default_factory=list)  # laureate ids


def refresh_jury_laureates(engine: Engine) -> LaureatesWritten | None:
    """Rewrite the jury's laureates after their dossiers changed (an import placed a
    laureate the closing could not write, or corrected its amounts): the report, or None
    when no session is closed or nothing changed."""
    parents = commune_parents(engine)
    with session(engine) as orm, orm.begin():
        if orm.scalars(select(JurySession.id).where(JurySession.closed_at.is_not(None))
                       .limit(1)).first() is None:
            return None
        written = write_jury_laureates(orm, datetime.now(UTC), parents, unless_unchanged=True)
    if written is not None:
        forget_versions(engine)  # this process serves the new laureates at once
    return written


def unwritten_laureates(engine: Engine) -> list[int]:
    """The dossiers a closed session made laureates that the table of Fabriques lacks: no
    commune known (the address service could not place them) when they were written."""
    with engine.connect() as connection:
        counts = connection.scalars(select(DatasetVersion.counts).where(
            DatasetVersion.source == JURY_SOURCE, DatasetVersion.current.is_(True))).first()
    return list((counts or {}).get("sans_commune") or [])


def unwritten_decisions(engine: Engine) -> list[tuple[Dossier, DossierEvent]]:
    """The laureates ``unwritten_laureates`` names, each with the decision that made it
    one (the amounts it granted: ``granted_amounts``)."""
    numbers = set(unwritten_laureates(engine))
    if not numbers:
        return []
    with session(engine) as orm:
        found = [(d, e) for d, e in _decided_laureates(orm) if d.number in numbers]
        for dossier, event in found:
            orm.expunge(dossier)
            orm.expunge(event)
    return found


def write_jury_laureates(orm, now: datetime, parents: dict[str, str], *,
                         unless_unchanged: bool = False) -> LaureatesWritten | None:
    """Rewrite the jury's laureates (inside the caller's transaction, ``orm``); ``parents``:
    each municipal arrondissement's commune (``commune_parents``). With
    ``unless_unchanged``, None and nothing written when the rows are those in service."""
    report = LaureatesWritten()
    dossiers = _decided_laureates(orm)
    previous_versions = list(orm.scalars(select(DatasetVersion.id).where(
        DatasetVersion.source == JURY_SOURCE)))
    answers = _answers(orm, [d.id for d, _ in dossiers])
    published = _published(orm)
    claimed = {match for state, match in answers.values() if state == SAME}
    rows = []
    for dossier, decision in dossiers:
        if dossier.commune_code is None:
            report.without_commune.append(dossier.number)
            continue
        laureate_id = f"ds-{dossier.number}"
        state, match = _matched(dossier, answers, published, parents, claimed)
        if state == TO_CONFIRM:
            report.to_confirm.append(laureate_id)
        rows.append(_row(dossier, laureate_id, state, match, granted_amounts(dossier, decision)))
    checksum = "sha256:" + hashlib.sha256(json.dumps(
        [{k: v for k, v in r.items() if k != "geom"} | {"geom": _wkt(r["geom"])} for r in rows],
        sort_keys=True, default=str).encode()).hexdigest()
    if unless_unchanged and checksum in orm.scalars(select(DatasetVersion.checksum).where(
            DatasetVersion.source == JURY_SOURCE, DatasetVersion.current.is_(True))).all():
        return None
    version = DatasetVersion(
        source=JURY_SOURCE, title=JURY_TITLE, dataset="laureates",
        vintage=now.date().isoformat(),
        licence=JURY_LICENCE, url=None, path="décisions des jurys",
        checksum=checksum,
        complete_for={"scope": "none"}, loaded_at=now,
        counts={"loaded": {"laureates": len(rows)},
                "sans_commune": report.without_commune},
        current=True)
    orm.add(version)
    orm.flush()
    if previous_versions:
        orm.execute(delete(Laureate).where(Laureate.dataset_version_id.in_(previous_versions)))
        orm.execute(update(DatasetVersion).where(DatasetVersion.id.in_(previous_versions))
                    .values(current=False))
    orm.add_all(Laureate(dataset_version_id=version.id, **row) for row in rows)
    report.written = len(rows)
    return report


def same_as_published(engine: Engine, dossiers: list[Dossier]) -> dict[int, str]:
    """For dossiers a jury is deciding laureates (its session open): the published Fabrique
    each is the same as, as the closing will find it, by number; so that the quotas count it
    once before the closing as after."""
    parents = commune_parents(engine)
    with session(engine) as orm:
        published = _published(orm)
        answers = _answers(orm, [d.id for d in dossiers])
        claimed = set(orm.scalars(select(Laureate.published_match).where(
            Laureate.match_state == SAME)))
    same = {}
    for dossier in sorted(dossiers, key=lambda d: d.number):
        if dossier.commune_code is None:
            continue
        state, match = _matched(dossier, answers, published, parents, claimed)
        if state == SAME:
            same[dossier.number] = match
    return same


def published_match_of(engine: Engine, dossier: Dossier) -> str | None:
    """The published Fabrique ``dossier`` is the same as: its decided laureate's match
    (« meme »), else the one the jury's rules would find (``same_as_published``)."""
    with session(engine) as orm:
        decided = orm.scalars(select(Laureate).where(
            Laureate.dossier_number == dossier.number)).first()
        if decided is not None:
            return decided.published_match if decided.match_state == SAME else None
    return same_as_published(engine, [dossier]).get(dossier.number)


def automatic_matches(engine: Engine) -> list[tuple[Laureate, Laureate | None]]:
    """The decided laureates the rules found the same as a published Fabrique (SIRET, or
    project name in the commune) without a person saying so, each with that Fabrique: a
    person may still say it is another one."""
    with session(engine) as orm:
        rows = list(orm.scalars(select(Laureate).where(
            Laureate.match_state == SAME, Laureate.dossier_number.is_not(None))
            .order_by(Laureate.id)))
        ids = dict(orm.execute(select(Dossier.number, Dossier.id).where(
            Dossier.number.in_([row.dossier_number for row in rows]))).all()) if rows else {}
        answered = _answers(orm, list(ids.values()))
        found = [(row, orm.get(Laureate, row.published_match)) for row in rows
                 if ids.get(row.dossier_number) not in answered]
        orm.expunge_all()
        return found


def pending_matches(engine: Engine) -> list[tuple[Laureate, list[Laureate]]]:
    """The decided laureates "à confirmer", each with the published ones of its commune."""
    parents = commune_parents(engine)
    with session(engine) as orm:
        published = _published(orm)
        pending = list(orm.scalars(select(Laureate).where(Laureate.match_state == TO_CONFIRM)
                                   .order_by(Laureate.id)))
        out = [(row, published.get(parents.get(row.commune_code, row.commune_code), []))
               for row in pending]
        orm.expunge_all()
        return out


def confirm_match(engine: Engine, laureate_id: str, published_id: str | None,
                  actor: str) -> None:
    """A person's answer on a decided laureate: the same Fabrique as the published
    ``published_id``, or a distinct one (None); an event of its dossier. The jury's laureates
    are rewritten as a new version, so that every cache keyed on versions (the map, the
    quotas, the open data, in every process) follows."""
    parents = commune_parents(engine)
    with session(engine) as orm, orm.begin():
        row = orm.get(Laureate, laureate_id)
        if row is None or row.dossier_number is None:
            raise ValueError(f"lauréat décidé inconnu : {laureate_id!r}")
        if published_id is not None and (
                orm.get(Laureate, published_id) is None
                or orm.get(Laureate, published_id).dossier_number is not None):
            raise ValueError(f"lauréat publié inconnu : {published_id!r}")
        dossier = orm.scalars(select(Dossier).where(
            Dossier.number == row.dossier_number)).one()
        now = datetime.now(UTC)
        orm.add(DossierEvent(dossier_id=dossier.id, at=now, actor=actor,
                             kind=ANSWERED, details={"publie": published_id,
                                                     "avant": row.published_match}))
        orm.flush()
        write_jury_laureates(orm, now, parents)
    forget_versions(engine)  # this process serves the answer at once


def _wkt(geometry) -> str | None:
    return None if geometry is None else shapely.to_wkt(geometry, rounding_precision=9)


def normalised(name: str | None) -> str:
    """A name compared without case, accents, punctuation or repeated spaces."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


def _answers(orm, dossier_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """A person's latest answer on each dossier's match, if any."""
    if not dossier_ids:
        return {}
    answers = {}
    for event in orm.scalars(select(DossierEvent).where(
            DossierEvent.dossier_id.in_(dossier_ids), DossierEvent.kind == ANSWERED)
            .order_by(DossierEvent.id)):
        published = event.details.get("publie")
        answers[event.dossier_id] = (DISTINCT, None) if published is None else \
            (SAME, published)
    return answers


GRANTED = "montants"
"""The key of a decision event's details that keeps the three yearly amounts the jury saw:
an import after the decision changes the dossier, not what was decided."""


def granted_amounts(dossier: Dossier, event: DossierEvent) -> list[int | None]:
    """The yearly amounts a decision grants: those the jury saw (kept with its event since
    2026-12), else, for an older decision, the dossier's."""
    kept = (event.details or {}).get(GRANTED)
    return list(kept) if kept else [dossier.amount_1, dossier.amount_2, dossier.amount_3]


def _decided_laureates(orm) -> list[tuple[Dossier, DossierEvent]]:
    """The dossiers whose standing decision, taken in a closed session, is "lauréat", each
    with that decision."""
    events = orm.scalars(select(DossierEvent).where(DossierEvent.jury_session_id.is_not(None))
                         .order_by(DossierEvent.id))
    last = {}
    for event in events:
        last[event.dossier_id] = event
    closed = set(orm.scalars(select(JurySession.id).where(JurySession.closed_at.is_not(None))))
    ids = [i for i, e in last.items() if e.kind == "decision" and e.to_state == "laureat"
           and e.jury_session_id in closed]
    if not ids:
        return []
    return [(dossier, last[dossier.id]) for dossier in orm.scalars(
        select(Dossier).where(Dossier.id.in_(ids), Dossier.state.in_(WINNING))
        .order_by(Dossier.number))]


def _published(orm) -> dict[str, list[Laureate]]:
    """The published laureates (every source but the jury's), by commune."""
    rows = orm.scalars(select(Laureate).join(
        DatasetVersion, DatasetVersion.id == Laureate.dataset_version_id).where(
        DatasetVersion.source != JURY_SOURCE, DatasetVersion.current.is_(True)))
    by_commune: dict[str, list[Laureate]] = {}
    for row in rows:
        by_commune.setdefault(row.commune_code, []).append(row)
    return by_commune


def _matched(dossier: Dossier, answers: dict, published: dict, parents: dict,
             claimed: set[str]) -> tuple[str, str | None]:
    """A person's answer on the dossier's match, else the rules' (``_match``); a published
    Fabrique found the same is ``claimed`` for the dossiers after it."""
    state, match = answers.get(dossier.id) or _match(dossier, published, parents, claimed)
    if state == SAME:
        claimed.add(match)
    return state, match


def _match(dossier: Dossier, published: dict, parents: dict,
           claimed: set[str]) -> tuple[str, str | None]:
    """Same (by SIRET, or by the project's name in its commune), to confirm (the
    organisation's name only, other laureates in its commune, or a published Fabrique another
    decision is already the same as: one organisation may carry two Fabriques), or
    distinct."""
    if dossier.siret:
        same_siret = [row for rows in published.values() for row in rows
                      if row.siret == dossier.siret]
        if len(same_siret) == 1 and same_siret[0].id not in claimed:
            return SAME, same_siret[0].id
    commune = parents.get(dossier.commune_code, dossier.commune_code)
    candidates = published.get(commune, [])
    project, company = normalised(dossier.project_name), normalised(dossier.company_name)
    same = [row for row in candidates if project and normalised(row.name) == project]
    if len(same) == 1 and same[0].id not in claimed:
        return SAME, same[0].id
    alike = same or [row for row in candidates if company and normalised(row.name) == company]
    if candidates:
        return TO_CONFIRM, (alike or candidates)[0].id
    return DISTINCT, None


def is_natural_person(legal_form_code: str | None) -> bool:
    """A holder that is a person (INSEE catégorie juridique 1: entrepreneur individuel):
    the open data publish neither its name (its « raison sociale ») nor its SIRET."""
    return (legal_form_code or "").strip().startswith("1")


def _row(dossier: Dossier, laureate_id: str, state: str, match: str | None,
         amounts: list[int | None]) -> dict:
    try:
        territory = territory_of_commune(dossier.commune_code).code
    except TerritoryError:
        territory = None
    located = dossier.lon is not None
    person = is_natural_person(dossier.legal_form_code)
    holder = None if person else dossier.company_name
    return {
        "id": laureate_id, "name": without_contacts(dossier.project_name or holder
                                                    or f"Dossier {dossier.number}"),
        "commune_code": dossier.commune_code,
        "commune_name": (dossier.checks.get("territoire") or {}).get("commune_name"),
        "wave": dossier.wave, "kind": dossier.kind,
        "precision": dossier.precision if located else "commune", "territory": territory,
        "geom": shapely.Point(dossier.lon, dossier.lat) if located else None,
        "dossier_number": dossier.number, "siret": None if person else dossier.siret,
        "amount_1": amounts[0], "amount_2": amounts[1], "amount_3": amounts[2],
        "published_match": match, "match_state": state,
    }

