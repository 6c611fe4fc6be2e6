"""Accounts as stored: who may log in, with which role, and a password hash made elsewhere.

Hashing and verifying passwords is the web application's business (``app.access``): this
module keeps the hash it is given and never sees a password.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from geodata.storage.database import session
from geodata.storage.models import ROLES, User

__all__ = [
    "ROLES",
    "AccountError",
    "change_user",
    "get_user",
    "insert_user",
    "list_users",
    "normalise_email",
    "user_by_email",
]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """An account that cannot be created or changed (bad email, role, password)."""


def normalise_email(email: str) -> str:
    """An email as stored: trimmed, lower-case."""
    return (email or "").strip().lower()


def insert_user(engine: Engine, email: str, password_hash: str, role: str,
                name: str | None = None) -> User:
    """Create an active account; raises AccountError on a bad or already used email."""
    address = normalise_email(email)
    if len(address) > 254 or not EMAIL.match(address):
        raise AccountError(f"adresse électronique invalide : {email!r}")
    if role not in ROLES:
        raise AccountError(f"rôle inconnu : {role!r} (attendu : {', '.join(ROLES)})")
    user = User(email=address, name=(name or "").strip() or address.split("@")[0], role=role,
                password_hash=password_hash, active=True, created_at=datetime.now(UTC))
    with session(engine) as orm:
        orm.add(user)
        try:
            orm.commit()
        except IntegrityError:
            raise AccountError(f"un compte existe déjà pour {address}") from None
    return user


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
                password_hash: str | None = None) -> User:
    """Disable or enable an account (its history stays), or give it a new password hash;
    raises AccountError for an unknown email."""
    with session(engine) as orm:
        user = orm.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise AccountError(f"aucun compte pour {normalise_email(email)}")
        if active is not None:
            user.active = active
        if password_hash is not None:
            user.password_hash = password_hash
        orm.commit()
    return user
