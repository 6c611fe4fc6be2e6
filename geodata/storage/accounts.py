"""Accounts as stored: who may log in, with which role, and a password hash made elsewhere;
the failed login attempts, and each account's session generation.

Hashing and verifying passwords is the web application's business (``app.access``): this
module keeps the hash it is given and never sees a password. Login attempts are kept in the
database so that every worker process counts them (``count_login_attempts``): each is recorded
before its password is checked, and forgotten if the login succeeds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from geodata.storage.database import session
from geodata.storage.models import ROLES, Departement, LoginAttempt, User

__all__ = [
    "ROLES",
    "AccountError",
    "change_user",
    "check_new_user",
    "count_login_attempts",
    "end_sessions",
    "forget_login_attempt",
    "get_user",
    "insert_user",
    "list_users",
    "normalise_email",
    "record_login_attempt",
    "user_by_email",
]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """An account that cannot be created or changed (bad email, role, password)."""


def normalise_email(email: str) -> str:
    """An email as stored: trimmed, lower-case."""
    return (email or "").strip().lower()


def insert_user(engine: Engine, email: str, password_hash: str, role: str,
                name: str | None = None, departements: list[str] | None = None) -> User:
    """Create an active account; raises AccountError on a bad or already used email, or
    départements given to a role other than prefecture (which needs at least one)."""
    address, codes = _valid_fields(engine, email, role, departements)
    user = User(email=address, name=(name or "").strip() or address.split("@")[0], role=role,
                password_hash=password_hash, active=True, created_at=datetime.now(UTC),
                departements=codes)
    with session(engine) as orm:
        orm.add(user)
        try:
            orm.commit()
        except IntegrityError:
            raise AccountError(f"un compte existe déjà pour {address}") from None
    return user


def check_new_user(engine: Engine, email: str, role: str,
                   departements: list[str] | None = None) -> None:
    """Raise the AccountError ``insert_user`` would raise for these fields (an address
    already used included), before anyone is asked for a password."""
    address, _codes = _valid_fields(engine, email, role, departements)
    if user_by_email(engine, address) is not None:
        raise AccountError(f"un compte existe déjà pour {address}")


def _valid_fields(engine: Engine, email: str, role: str,
                  departements: list[str] | None) -> tuple[str, list[str] | None]:
    """The normalised address and département codes of a new account, or AccountError."""
    address = normalise_email(email)
    if len(address) > 254 or not EMAIL.match(address):
        raise AccountError(f"adresse électronique invalide : {email!r}")
    if role not in ROLES:
        raise AccountError(f"rôle inconnu : {role!r} (attendu : {', '.join(ROLES)})")
    return address, _departements(engine, role, departements)


DEPARTEMENT = re.compile(r"^(\d{2}|2[AB]|97\d)$")


def _departements(engine: Engine, role: str,
                  departements: list[str] | None) -> list[str] | None:
    """A prefecture's codes, sorted; each a département of the loaded COG list (source
    ``departements``, complete) when it is loaded, else of the right form only."""
    codes = sorted({code.strip().upper() for code in departements or [] if code.strip()})
    if role != "prefecture":
        if codes:
            raise AccountError("seul un compte de préfecture a des départements")
        return None
    if not codes:
        raise AccountError("un compte de préfecture a au moins un département (--departements)")
    bad = [code for code in codes if not DEPARTEMENT.match(code)]
    if bad:
        raise AccountError(f"code de département invalide : {', '.join(bad)}")
    with session(engine) as orm:
        known = set(orm.scalars(select(Departement.code)))
    unknown = [code for code in codes if known and code not in known]
    if unknown:
        raise AccountError(f"département inconnu du Code officiel géographique chargé : "
                           f"{', '.join(unknown)}")
    return codes


def user_by_email(engine: Engine, email: str) -> User | None:
    """The account with this email (any case), active or not."""
    with session(engine) as orm:
        return orm.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(engine: Engine, user_id: int) -> User | None:
    """The account with this id, active or not."""
    with session(engine) as orm:
        return orm.get(User, user_id)


def list_users(engine: Engine) -> list[User]:
    """Every account, by email."""
    with session(engine) as orm:
        return list(orm.scalars(select(User).order_by(User.email)))


def change_user(engine: Engine, email: str, *, active: bool | None = None,
                password_hash: str | None = None,
                departements: list[str] | None = None) -> User:
    """Disable or enable an account (its history stays), give it a new password hash, or
    a prefecture other départements (checked as at its creation); raises AccountError for
    an unknown email or bad départements."""
    with session(engine) as orm:
        user = orm.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise AccountError(f"aucun compte pour {normalise_email(email)}")
        if departements is not None:
            user.departements = _departements(engine, user.role, departements)
        if active is not None:
            user.active = active
        if password_hash is not None:
            user.password_hash = password_hash
        orm.commit()
    return user


def end_sessions(engine: Engine, user_id: int) -> None:
    """Raise the account's session generation: every session opened before ends."""
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id == user_id)
                           .values(session_generation=User.session_generation + 1))


def _attempt_key(client: str, email: str) -> tuple[str, str]:
    """The client and email as stored (cut to their columns' size)."""
    return (client or "")[:64], normalise_email(email)[:254]


def prefecture_departements(engine: Engine) -> set[str]:
    """The départements an active prefecture account sees (where an avis can be given)."""
    with session(engine) as orm:
        return {code for codes in orm.scalars(select(User.departements).where(
            User.role == "prefecture", User.active.is_(True))) for code in codes or []}


def record_login_attempt(engine: Engine, client: str, email: str, at: datetime,
                         forget_before: datetime) -> int:
    """Record a login attempt (committed, so that other workers count it at once) and drop
    the attempts older than ``forget_before``; returns the attempt's id."""
    client, email = _attempt_key(client, email)
    with engine.begin() as connection:
        connection.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < forget_before))
        inserted = connection.execute(
            insert(LoginAttempt).values(client=client, email=email, attempted_at=at))
        return inserted.inserted_primary_key[0]


def count_login_attempts(engine: Engine, client: str, email: str,
                         since: datetime) -> tuple[int, int]:
    """The attempts since ``since`` from this client, and for this email (any client)."""
    client, email = _attempt_key(client, email)
    recent = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.attempted_at >= since)
    with engine.connect() as connection:
        return (connection.scalar(recent.where(LoginAttempt.client == client)),
                connection.scalar(recent.where(LoginAttempt.email == email)))


def forget_login_attempt(engine: Engine, attempt_id: int) -> None:
    """Drop one attempt (a login that succeeded, or one refused before its check)."""
    with engine.begin() as connection:
        connection.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
