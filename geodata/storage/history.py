"""The instructors' history of checks, without Flask.

A kept check holds the engine's answer as it was (the contract's keys), the dataset versions
it was computed with, and the dossier it was for. The candidates of a wave are the checks
kept with that wave (the newest one per dossier reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from geodata.checks import Check
from geodata.storage.database import session
from geodata.storage.models import CheckRecord, User

__all__ = [
    "DOSSIER_FIELDS",
    "CheckFilter",
    "DossierError",
    "HistoryEntry",
    "authors",
    "clean_dossier",
    "count_checks",
    "dossier_checks",
    "list_checks",
    "record_check",
    "wave_candidates",
    "waves",
]

DOSSIER_FIELDS = ("dossier_ref", "project_name", "wave", "fnt", "funding_eur")
TEXT_LIMITS = {"dossier_ref": 100, "project_name": 300, "wave": 16}
class DossierError(ValueError):
    """Dossier fields that cannot be kept (too long, funding not a whole number of euros)."""


@dataclass(frozen=True)
class CheckFilter:
    """Which kept checks to list: a wave, a category, an author (account id), a period
    (``since`` included, ``until`` excluded, both with a time zone), a part of the dossier
    reference (any case). None: any."""

    wave: str | None = None
    category: str | None = None
    author: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    dossier: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """A kept check and who kept it."""

    record: CheckRecord
    email: str
    name: str


def clean_dossier(dossier: Mapping[str, Any]) -> dict:
    """The dossier fields, checked: texts trimmed (empty: None), FNT a boolean or None,
    funding a whole, non-negative number of euros."""
    unknown = set(dossier) - set(DOSSIER_FIELDS)
    if unknown:
        raise DossierError(f"champ de dossier inconnu : {', '.join(sorted(unknown))}")
    cleaned: dict[str, Any] = {}
    for field, limit in TEXT_LIMITS.items():
        value = " ".join(str(dossier.get(field) or "").split()) or None
        if value is not None and len(value) > limit:
            raise DossierError(f"{field} : {limit} caractères au plus")
        cleaned[field] = value
    fnt = dossier.get("fnt")
    if fnt is not None and not isinstance(fnt, bool):
        raise DossierError("FNT : oui, non ou inconnu")
    cleaned["fnt"] = fnt
    funding = dossier.get("funding_eur")
    if funding is not None and (isinstance(funding, bool) or not isinstance(funding, int)
                                or not 0 <= funding < 2**31):
        raise DossierError("montant demandé : un nombre entier d'euros positif")
    cleaned["funding_eur"] = funding
    return cleaned


def record_check(engine: Engine, user_id: int, check: Check, policy_name: str, query: str,
                 dossier: Mapping[str, Any]) -> int:
    """Keep a check in the history of ``user_id``'s dossiers; returns its id. The dataset
    versions kept are those the check's index was read from (``Check.dataset_versions``)."""
    fields = clean_dossier(dossier)
    row = check.as_dict()
    geocoding = check.geocoding
    with session(engine) as orm:
        record = CheckRecord(
            user_id=user_id, checked_at=datetime.now(UTC), policy=policy_name,
            query=" ".join(query.split()),
            geocoded_label=geocoding.label if geocoding else None,
            geocoding_score=geocoding.score if geocoding else None,
            lon=row["lon"], lat=row["lat"], precision=row["precision"],
            commune_code=row["commune_code"], category=row["category"], result=row,
            dataset_versions=list(check.dataset_versions), **fields,
        )
        orm.add(record)
        orm.commit()
        return record.id


def _scope(query, user_id: int | None, selection: CheckFilter | None = None):
    """``query`` kept to ``user_id``'s checks (None: everyone's) that ``selection`` keeps."""
    record = CheckRecord
    selection = selection or CheckFilter()
    conditions = [
        (user_id, lambda: record.user_id == user_id),
        (selection.wave, lambda: record.wave == selection.wave),
        (selection.category, lambda: record.category == selection.category),
        (selection.author, lambda: record.user_id == selection.author),
        (selection.since, lambda: record.checked_at >= selection.since),
        (selection.until, lambda: record.checked_at < selection.until),
        (selection.dossier, lambda: func.lower(record.dossier_ref).contains(
            (selection.dossier or "").lower(), autoescape=True)),
    ]
    return query.where(*(condition() for value, condition in conditions if value is not None))


def list_checks(engine: Engine, user_id: int | None = None, limit: int | None = 50,
                offset: int = 0, selection: CheckFilter | None = None) -> list[HistoryEntry]:
    """Kept checks, newest first: one user's, or everyone's when ``user_id`` is None; those
    ``selection`` keeps."""
    query = _scope(select(CheckRecord, User.email, User.name)
                   .join(User, User.id == CheckRecord.user_id), user_id, selection)
    query = query.order_by(CheckRecord.checked_at.desc(), CheckRecord.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with session(engine) as orm:
        return [HistoryEntry(record, email, name)
                for record, email, name in orm.execute(query)]


def dossier_checks(engine: Engine, reference: str, user_id: int | None = None,
                   limit: int = 20) -> list[HistoryEntry]:
    """The checks kept with exactly this dossier reference (any case), newest first: one
    user's, or everyone's when ``user_id`` is None (``list_checks``'s scopes)."""
    query = select(CheckRecord, User.email, User.name).join(User, User.id == CheckRecord.user_id)
    if user_id is not None:
        query = query.where(CheckRecord.user_id == user_id)
    query = query.where(func.lower(CheckRecord.dossier_ref) == reference.strip().lower())
    with session(engine) as orm:
        return [HistoryEntry(record, email, name) for record, email, name in orm.execute(
            query.order_by(CheckRecord.checked_at.desc(), CheckRecord.id.desc()).limit(limit))]


def count_checks(engine: Engine, user_id: int | None = None,
                 selection: CheckFilter | None = None) -> int:
    """How many checks ``list_checks`` can page through."""
    with session(engine) as orm:
        return orm.scalar(_scope(select(func.count(CheckRecord.id)), user_id, selection))


def authors(engine: Engine) -> list[tuple[int, str, str]]:
    """``(id, name, email)`` of every account that kept a check, by name."""
    with session(engine) as orm:
        return [tuple(row) for row in orm.execute(
            select(User.id, User.name, User.email).where(
                User.id.in_(select(CheckRecord.user_id).distinct()))
            .order_by(User.name, User.email))]


def waves(engine: Engine) -> list[str]:
    """The waves named by kept checks, sorted."""
    with session(engine) as orm:
        return list(orm.scalars(
            select(CheckRecord.wave).where(CheckRecord.wave.is_not(None)).distinct()
            .order_by(CheckRecord.wave)))


def wave_candidates(engine: Engine, wave: str,
                    latest_per_dossier: bool = True) -> list[CheckRecord]:
    """The checks kept with this wave, oldest first; by default only the newest check of
    each dossier reference (a dossier checked again after a correction counts once), and
    every check without a reference."""
    with session(engine) as orm:
        records = list(orm.scalars(
            select(CheckRecord).where(CheckRecord.wave == wave)
            .order_by(CheckRecord.checked_at.desc(), CheckRecord.id.desc())))
    if latest_per_dossier:
        seen: set[str] = set()
        kept = []
        for record in records:
            key = record.dossier_ref.casefold() if record.dossier_ref else None
            if key is None or key not in seen:
                kept.append(record)
                if key is not None:
                    seen.add(key)
        records = kept
    return records[::-1]
