"""Storing the dossiers of a wave: created or updated by their DS number, never duplicated,
each change an event; what the instruction recorded (state, events) is never touched by an
import, nor what a jury's decision rests on (``AFTER_DECISION``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import defer

from geodata.dossiers.actors import actor_said
from geodata.dossiers.calendar import wave_order
from geodata.dossiers.states import workflow
from geodata.storage.database import session
from geodata.storage.dossier_models import Dossier, DossierEvent, JurySession

__all__ = ["AFTER_DECISION", "EXPORT_DIFFERS", "FIELD_LABELS", "FIRST_STATE", "IMPORTED_FIELDS",
           "NO_WAVE", "MoveRefused", "StoreReport", "dossier_events", "dossier_waves",
           "dossiers_by_wave", "find_dossier", "find_dossiers",
           "avis_stamp", "give_avis", "list_dossiers", "move_dossiers", "stored_places",
           "stored_departements", "stored_policies", "store_dossiers"]

FIRST_STATE = workflow().first
NO_WAVE = "sans-vague"
"""What ``list_dossiers`` takes for the dossiers whose wave is unknown."""
IMPORTED_FIELDS = (
    "wave", "filed_at", "email", "ds_state", "siret", "company_name", "legal_form",
    "legal_form_code", "project_name", "kind", "existing_place", "address", "lon", "lat",
    "precision", "geocoded_label", "amount_1", "amount_2", "amount_3", "category",
    "commune_code", "departement_code", "checks", "policy", "dataset_versions", "source",
)
"""What an import writes: the application and the automatic checks, nothing else."""
FIELD_LABELS = {
    "wave": "vague", "filed_at": "date de dépôt", "email": "courriel",
    "ds_state": "état sur Démarches Simplifiées", "siret": "SIRET",
    "company_name": "raison sociale", "legal_form": "forme juridique",
    "legal_form_code": "code de forme juridique", "project_name": "nom du projet",
    "kind": "type de Fabrique", "existing_place": "lieu existant", "address": "adresse",
    "lon": "longitude", "lat": "latitude", "precision": "précision",
    "geocoded_label": "adresse placée par la BAN", "amount_1": "montant 1re année",
    "amount_2": "montant 2e année", "amount_3": "montant 3e année", "category": "catégorie",
    "commune_code": "commune", "departement_code": "département", "checks": "vérifications",
    "policy": "règles appliquées", "dataset_versions": "versions des données",
    "source": "autres colonnes de l'export (non affichées)",
}
"""What each imported field is called on the pages (the history of a dossier)."""
AFTER_DECISION = ("ds_state", "email")
"""What an import still changes once the jury decided (``store_dossiers``)."""
EXPORT_DIFFERS = "ecart-export"
"""The kind of the event of a decided dossier's export values that the decision keeps out."""
assert set(FIELD_LABELS) == set(IMPORTED_FIELDS)
CHECK_FIELDS = ("category", "commune_code", "departement_code", "checks", "policy",
                "dataset_versions", "precision", "geocoded_label", "lon", "lat")
DERIVED = ("category", "commune_code", "departement_code", "checks", "policy",
           "dataset_versions", "source")
"""What an import computes (with today's data) or copies, rather than reads in the export."""


@dataclass
class StoreReport:
    created: list[int] = field(default_factory=list)  # DS numbers
    updated: dict[int, list[str]] = field(default_factory=dict)  # number -> fields changed
    unchanged: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # known, left as they were (only_new)
    decided_kept: dict[int, list[str]] = field(default_factory=dict)  # decided: number ->
    # the fields the export changes and the decision keeps

    def add(self, other: StoreReport) -> None:
        """Count what another store did too (one report for several transactions)."""
        self.created += other.created
        self.updated.update(other.updated)
        self.unchanged += other.unchanged
        self.kept += other.kept
        self.decided_kept.update(other.decided_kept)


def store_dossiers(engine: Engine, dossiers: Iterable[Mapping[str, Any]], actor: str, *,
                   only_new: bool = False, origin: dict | None = None) -> StoreReport:
    """Create or update dossiers (each a mapping of ``IMPORTED_FIELDS`` plus ``number``) in
    one transaction; an event records each creation and each change, with what changed.
    ``only_new``: the dossiers already stored are left as they were (``kept``). ``origin``
    is added to each creation event (the file a dossier came from)."""
    report = StoreReport()
    now = datetime.now(UTC)
    values = {int(item["number"]): item for item in dossiers}
    with session(engine) as orm, orm.begin():
        known = {d.number: d for d in orm.scalars(
            select(Dossier).where(Dossier.number.in_(list(values))))} if values else {}
        for number, item in values.items():
            dossier = known.get(number)
            if dossier is None:
                dossier = Dossier(number=number, state=FIRST_STATE, imported_at=now,
                                  updated_at=now, **{f: item.get(f) for f in IMPORTED_FIELDS})
                orm.add(dossier)
                orm.flush()
                orm.add(_event(dossier, now, actor, "import",
                               {"ligne": item.get("line"), **(origin or {})}))
                report.created.append(number)
                continue
            if only_new:
                report.kept.append(number)
                continue
            changed = [f for f in IMPORTED_FIELDS if _differs(getattr(dossier, f), item.get(f))]
            if dossier.state in workflow().decided:
                changed = _decision_kept(orm, dossier, item, changed, now, actor, report)
            if not changed or changed == ["source"]:  # the export's own text of the same
                # values (an .xlsx's numbers after a .csv's « 60 000 € »): nothing to record
                report.unchanged.append(number)
                continue
            before = {f: _plain(getattr(dossier, f)) for f in changed}
            for name in changed:
                setattr(dossier, name, item.get(name))
            dossier.updated_at = now
            kind = "verification" if set(changed) <= set(CHECK_FIELDS) else "mise-a-jour"
            orm.add(_event(dossier, now, actor, kind, {
                "champs": changed, "avant": before,
                "apres": {f: _plain(item.get(f)) for f in changed}}))
            report.updated[number] = changed
    return report


def _decision_kept(orm, dossier: Dossier, item: Mapping[str, Any], changed: list[str],
                   at: datetime, actor: str, report: StoreReport) -> list[str]:
    """The fields an import may change on a dossier the jury decided: its state on DS and
    its e-mail, and its place while it has no commune (a laureate placed after its
    decision). The others are the facts the decision rests on (its place and category, its
    type and amounts, its SIRET and names, its wave: its jury session's): kept, and the
    export's other values recorded once in an ``EXPORT_DIFFERS`` event and reported."""
    allowed = AFTER_DECISION + ((*CHECK_FIELDS, "address") if dossier.commune_code is None
                                else ())
    held = [f for f in changed if f not in allowed and f not in DERIVED]
    if held:  # what the export says otherwise (not what today's data compute)
        report.decided_kept[dossier.number] = held
        details = {"champs": held, "avant": {f: _plain(getattr(dossier, f)) for f in held},
                   "apres": {f: _plain(item.get(f)) for f in held}}
        last = orm.scalars(select(DossierEvent).where(
            DossierEvent.dossier_id == dossier.id, DossierEvent.kind == EXPORT_DIFFERS)
            .order_by(DossierEvent.id.desc()).limit(1)).first()
        if last is None or last.details != details:
            orm.add(_event(dossier, at, actor, EXPORT_DIFFERS, details))
    return [f for f in changed if f in allowed]


def _differs(stored, new) -> bool:
    if isinstance(stored, datetime) and isinstance(new, datetime):
        return stored.astimezone(UTC) != new.astimezone(UTC)
    return stored != new


def _plain(value):
    """A value as JSON keeps it."""
    return value.isoformat() if isinstance(value, datetime) else value


def _event(dossier: Dossier, at: datetime, actor: str, kind: str, details: dict,
           **states) -> DossierEvent:
    return DossierEvent(dossier_id=dossier.id, at=at, actor=actor, kind=kind,
                        from_state=states.get("from_state"), to_state=states.get("to_state"),
                        motivation=states.get("motivation"), details=details)


class MoveRefused(ValueError):
    """A move of dossiers the rules forbid: ``reasons`` maps each dossier to why (nothing
    was moved)."""

    def __init__(self, reasons: dict[int, str]):
        super().__init__(" ; ".join(f"dossier {n} : {why}" for n, why in reasons.items()))
        self.reasons = reasons


def move_dossiers(engine: Engine, numbers: Iterable[int], target: str, actor: str,
                  motivation: str | None = None, *, instruction: bool = False) -> list[int]:
    """Move every dossier of ``numbers`` to ``target``, each move an event, all or none: a
    dossier unknown, or whose move the rules forbid (with ``instruction``, an instructor's:
    ``Workflow.instruction_refusal``), refuses the whole batch."""
    rules = workflow()
    numbers = list(dict.fromkeys(int(n) for n in numbers))
    motivation = (motivation or "").strip() or None
    now = datetime.now(UTC)
    with session(engine) as orm, orm.begin():
        found = {d.number: d for d in orm.scalars(
            select(Dossier).where(Dossier.number.in_(numbers)).with_for_update())}
        reasons = {}
        for number in numbers:
            dossier = found.get(number)
            if dossier is None:
                reasons[number] = "dossier inconnu"
            else:
                refusal = rules.instruction_refusal if instruction else rules.refusal
                why = refusal(dossier.state, target, motivation,
                              has_avis=dossier.avis is not None) \
                    or _decision_still_open(orm, dossier)
                if why:
                    reasons[number] = why
        if reasons:
            raise MoveRefused(reasons)
        for number in numbers:
            dossier = found[number]
            orm.add(_event(dossier, now, actor, "etat", {}, from_state=dossier.state,
                           to_state=target, motivation=motivation))
            dossier.state, dossier.updated_at = target, now
    return numbers


def _decision_still_open(orm, dossier: Dossier) -> str | None:
    """Why a dossier the jury decided on cannot move on yet: its decision's session is open
    (the decision may still be reversed; a laureate is « conventionné » once it is closed)."""
    if dossier.state not in workflow().jury_decisions:
        return None
    jury = orm.scalars(select(JurySession).join(
        DossierEvent, DossierEvent.jury_session_id == JurySession.id)
        .where(DossierEvent.dossier_id == dossier.id)
        .order_by(DossierEvent.id.desc()).limit(1)).first()
    if jury is None or jury.closed_at is not None:
        return None
    return (f"la décision du jury (session n° {jury.id} de la vague {jury.wave}, ouverte) "
            "peut encore être annulée : le dossier change d'état une fois la session close")


def give_avis(engine: Engine, number: int, avis: str, text: str, actor: str,
              seen: str | None = None, departements: Iterable[str] | None = None) -> bool:
    """The prefecture's avis on a dossier whose avis is asked (or already given: changed),
    an event; the dossier moves on to ``avis_given`` whenever its avis is asked, the same
    avis confirmed too. False, and nothing recorded, when the dossier already has this avis
    with this text and none is asked (a form sent twice). ``seen``: the dossier's
    ``avis_stamp`` when the form was shown; another avis recorded since is refused, never
    replaced unseen (two agents of one prefecture on one dossier). ``departements``: those
    of the prefecture giving it, checked with the dossier locked (an import may have just
    moved the dossier to another département)."""
    rules = workflow()
    if avis not in rules.avis:
        raise MoveRefused({number: f"avis inconnu : {avis!r} ({', '.join(rules.avis)})"})
    if not (text or "").strip():
        raise MoveRefused({number: "le texte de l'avis est obligatoire"})
    now = datetime.now(UTC)
    with session(engine) as orm, orm.begin():
        dossier = orm.scalars(select(Dossier).where(Dossier.number == number)
                              .with_for_update()).first()
        if dossier is None or (departements is not None
                               and dossier.departement_code not in set(departements)):
            raise MoveRefused({number: "dossier inconnu" if dossier is None else (
                f"le dossier est désormais dans le département {dossier.departement_code}, "
                "hors des vôtres : son avis revient à sa préfecture")})
        why = rules.avis_refusal(dossier.state)
        if why:
            raise MoveRefused({number: why})
        if seen is not None and seen != avis_stamp(dossier):
            raise MoveRefused({number: (
                f"un autre avis a été enregistré depuis l'ouverture de la page "
                f"(« {rules.avis.get(dossier.avis, dossier.avis)} », "
                f"{actor_said(dossier.avis_by)}) : "
                "lisez-le ci-dessus, puis envoyez de nouveau le vôtre s'il doit le remplacer")})
        asked = dossier.state == rules.avis_asked
        if (dossier.avis, dossier.avis_text) == (avis, text.strip()) and not asked:
            return False
        orm.add(_event(dossier, now, actor, "avis", {"avis": avis, "texte": text.strip(),
                                                      "avant": dossier.avis}))
        dossier.avis, dossier.avis_text = avis, text.strip()
        dossier.avis_by, dossier.avis_at, dossier.updated_at = actor, now, now
        if asked:
            orm.add(_event(dossier, now, actor, "etat", {}, from_state=dossier.state,
                           to_state=rules.avis_given))
            dossier.state = rules.avis_given
    return True


def avis_stamp(dossier) -> str:
    """What identifies a dossier's avis as a page showed it (its time, "" when none): sent
    back with a new avis, it tells whether another was recorded in between."""
    return "" if dossier.avis_at is None else dossier.avis_at.isoformat()


def stored_policies(engine: Engine) -> dict[int, str]:
    """``number -> policy`` the stored dossiers were last checked under."""
    with session(engine) as orm:
        return dict(orm.execute(select(Dossier.number, Dossier.policy)).all())


def stored_departements(engine: Engine) -> dict[int, str | None]:
    """``number -> département`` of the stored dossiers (the prefecture that sees each)."""
    with session(engine) as orm:
        return dict(orm.execute(select(Dossier.number, Dossier.departement_code)).all())


def stored_places(engine: Engine, numbers: Iterable[int]) -> dict[int, tuple]:
    """``number -> (address, lon, lat, precision, geocoded_label, commune_code, territory
    check)`` of the dossiers already stored (lon and lat None when not located)."""
    numbers = list(numbers)
    if not numbers:
        return {}
    with session(engine) as orm:
        found = orm.execute(select(Dossier.number, Dossier.address, Dossier.lon, Dossier.lat,
                                   Dossier.precision, Dossier.geocoded_label,
                                   Dossier.commune_code, Dossier.checks)
                            .where(Dossier.number.in_(numbers)))
        return {row[0]: (*row[1:7], (row[7] or {}).get("territoire")) for row in found}


def list_dossiers(engine: Engine, wave: str | None = None, *,
                  whole: bool = False) -> list[Dossier]:
    """The dossiers, of one wave if given (``NO_WAVE``: those without a wave), by DS number;
    without the row as imported and the dataset versions (tables and exports do not need
    them) unless ``whole``."""
    query = select(Dossier).order_by(Dossier.number)
    if not whole:
        query = query.options(defer(Dossier.source, raiseload=True),
                              defer(Dossier.dataset_versions, raiseload=True))
    if wave == NO_WAVE:
        query = query.where(Dossier.wave.is_(None))
    elif wave is not None:
        query = query.where(Dossier.wave == wave)
    with session(engine) as orm:
        return list(orm.scalars(query))


def find_dossier(engine: Engine, number: int) -> Dossier | None:
    with session(engine) as orm:
        return orm.scalars(select(Dossier).where(Dossier.number == number)).first()


def find_dossiers(engine: Engine, numbers: Iterable[int]) -> dict[int, Dossier]:
    """The dossiers of ``numbers`` that exist, by number."""
    numbers = list(numbers)
    with session(engine) as orm:
        return {d.number: d for d in orm.scalars(
            select(Dossier).where(Dossier.number.in_(numbers)))} if numbers else {}


def dossier_waves(engine: Engine, state: str | None = None,
                  departements: Iterable[str] | None = None) -> list[str | None]:
    """The waves that have dossiers (in ``state``, of ``departements`` if given; None: some
    have no wave), in calendar-like order."""
    return list(dossiers_by_wave(engine, state, departements))


def dossiers_by_wave(engine: Engine, state: str | None = None,
                     departements: Iterable[str] | None = None) -> dict[str | None, int]:
    """How many dossiers each wave has (in ``state``, of ``departements`` if given), the
    waves in calendar-like order (None, for the dossiers without a wave, last)."""
    query = select(Dossier.wave, func.count()).group_by(Dossier.wave)
    if state is not None:
        query = query.where(Dossier.state == state)
    if departements is not None:
        query = query.where(Dossier.departement_code.in_(list(departements)))
    with session(engine) as orm:
        counted = dict(orm.execute(query).all())
    known = sorted((w for w in counted if w is not None), key=wave_order)
    return {wave: counted[wave] for wave in [*known, *([None] if None in counted else [])]}


def dossier_events(engine: Engine, number: int) -> list[DossierEvent]:
    """What happened to one dossier, oldest first."""
    with session(engine) as orm:
        return list(orm.scalars(
            select(DossierEvent).join(Dossier, Dossier.id == DossierEvent.dossier_id)
            .where(Dossier.number == number).order_by(DossierEvent.at, DossierEvent.id)))
