"""Accounts and the instructors' history of checks, without Flask.

Passwords are hashed with werkzeug's scrypt (``generate_password_hash``): memory-hard, salted,
already installed with Flask, and verified with a constant-time comparison. An unknown email
costs the same hash verification as a wrong password, so timing does not tell which it was.

A kept check holds the engine's answer as it was (the contract's keys), the dataset versions
it was computed with, and the dossier it was for. The candidates of a wave are the checks
kept with that wave (the newest one per dossier reference).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geodata.checks import Check
from geodata.policy import load_policy
from geodata.storage.models import ROLES, CheckRecord, User
from geodata.storage.reference import current_versions

__all__ = [
    "DOSSIER_FIELDS",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "AccountError",
    "DossierError",
    "HistoryEntry",
    "authenticate",
    "clean_dossier",
    "count_checks",
    "create_user",
    "disable_user",
    "update_user",
    "get_user",
    "list_checks",
    "list_users",
    "check_password",
    "normalise_email",
    "record_check",
    "versions_used",
    "wave_candidates",
    "waves",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
DOSSIER_FIELDS = ("dossier_ref", "project_name", "wave", "fnt", "funding_eur")
TEXT_LIMITS = {"dossier_ref": 100, "project_name": 300, "wave": 16}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ENGINE_DATASETS = ("commune-contours", "communes", "commune-classes", "epci")
"""Datasets every check reads, besides the QPV outlines and list of its policy's vintage."""


class AccountError(ValueError):
    """An account that cannot be created or changed (bad email, role, password)."""


class DossierError(ValueError):
    """Dossier fields that cannot be kept (too long, funding not a whole number of euros)."""


@dataclass(frozen=True)
class HistoryEntry:
    """A kept check and who kept it."""

    record: CheckRecord
    email: str
    name: str


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown (made once, on first use)."""
    return generate_password_hash("fabriques: no such account")


def _session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def normalise_email(email: str) -> str:
    """An email as stored: trimmed, lower-case."""
    return (email or "").strip().lower()


def check_password(password: str) -> None:
    """Refuse a password too short (or absurdly long) to be kept."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au moins")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop long : {MAX_PASSWORD_LENGTH} caractères au plus")


def create_user(engine: Engine, email: str, password: str, role: str,
                name: str | None = None) -> User:
    """Create an active account; raises AccountError on a bad or already used email."""
    address = normalise_email(email)
    if len(address) > 254 or not EMAIL.match(address):
        raise AccountError(f"adresse électronique invalide : {email!r}")
    if role not in ROLES:
        raise AccountError(f"rôle inconnu : {role!r} (attendu : {', '.join(ROLES)})")
    check_password(password)
    user = User(email=address, name=(name or "").strip() or address.split("@")[0], role=role,
                password_hash=generate_password_hash(password), active=True,
                created_at=datetime.now(UTC))
    with _session(engine) as session:
        session.add(user)
        try:
            session.commit()
        except IntegrityError:
            raise AccountError(f"un compte existe déjà pour {address}") from None
    return user


def authenticate(engine: Engine, email: str, password: str) -> User | None:
    """The active account with this email and password, else None (same work either way)."""
    with _session(engine) as session:
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if len(password or "") > MAX_PASSWORD_LENGTH:
        return None
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def get_user(engine: Engine, user_id: int) -> User | None:
    """The account with this id, active or not."""
    with _session(engine) as session:
        return session.get(User, user_id)


def list_users(engine: Engine) -> list[User]:
    """Every account, by email."""
    with _session(engine) as session:
        return list(session.scalars(select(User).order_by(User.email)))


def update_user(engine: Engine, email: str, *, active: bool | None = None,
                password: str | None = None) -> User:
    """Disable or enable an account (its history stays), or give it a new password; raises
    AccountError for an unknown email or a password too short."""
    if password is not None:
        check_password(password)
    with _session(engine) as session:
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise AccountError(f"aucun compte pour {normalise_email(email)}")
        if active is not None:
            user.active = active
        if password is not None:
            user.password_hash = generate_password_hash(password)
        session.commit()
    return user


def disable_user(engine: Engine, email: str) -> User:
    """Disable an account (its history stays); raises AccountError for an unknown email."""
    return update_user(engine, email, active=False)


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


def versions_used(connection: Connection, qpv_vintage: str) -> list[dict]:
    """The dataset versions in service that a check under this QPV vintage reads."""
    versions = [v for v in current_versions(connection)
                if v.dataset in ENGINE_DATASETS
                or (v.dataset in ("qpv", "qpv-communes") and v.vintage == qpv_vintage)]
    return [{"id": v.id, "source": v.source, "dataset": v.dataset, "vintage": v.vintage,
             "checksum": v.checksum} for v in versions]


def record_check(engine: Engine, user_id: int, check: Check, policy_name: str, query: str,
                 dossier: Mapping[str, Any]) -> int:
    """Keep a check in the history of ``user_id``'s dossiers; returns its id."""
    fields = clean_dossier(dossier)
    row = check.as_dict()
    geocoding = check.geocoding
    vintage = load_policy(policy_name).qpv_vintage
    with _session(engine) as session:
        record = CheckRecord(
            user_id=user_id, checked_at=datetime.now(UTC), policy=policy_name,
            query=" ".join(query.split()),
            geocoded_label=geocoding.label if geocoding else None,
            geocoding_score=geocoding.score if geocoding else None,
            lon=row["lon"], lat=row["lat"], precision=row["precision"],
            commune_code=row["commune_code"], category=row["category"], result=row,
            dataset_versions=versions_used(session.connection(), vintage), **fields,
        )
        session.add(record)
        session.commit()
        return record.id


def _scope(query, user_id: int | None):
    return query if user_id is None else query.where(CheckRecord.user_id == user_id)


def list_checks(engine: Engine, user_id: int | None = None, limit: int | None = 50,
                offset: int = 0) -> list[HistoryEntry]:
    """Kept checks, newest first: one user's, or everyone's when ``user_id`` is None."""
    query = _scope(select(CheckRecord, User.email, User.name)
                   .join(User, User.id == CheckRecord.user_id), user_id)
    query = query.order_by(CheckRecord.checked_at.desc(), CheckRecord.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with _session(engine) as session:
        return [HistoryEntry(record, email, name)
                for record, email, name in session.execute(query)]


def count_checks(engine: Engine, user_id: int | None = None) -> int:
    """How many checks ``list_checks`` can page through."""
    with _session(engine) as session:
        return session.scalar(_scope(select(func.count(CheckRecord.id)), user_id))


def waves(engine: Engine) -> list[str]:
    """The waves named by kept checks, sorted."""
    with _session(engine) as session:
        return list(session.scalars(
            select(CheckRecord.wave).where(CheckRecord.wave.is_not(None)).distinct()
            .order_by(CheckRecord.wave)))


def wave_candidates(engine: Engine, wave: str,
                    latest_per_dossier: bool = True) -> list[CheckRecord]:
    """The checks kept with this wave, oldest first; by default only the newest check of
    each dossier reference (a dossier checked again after a correction counts once), and
    every check without a reference."""
    with _session(engine) as session:
        records = list(session.scalars(
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
