"""Who is logged in, the roles that open the instructors' and the ministry's pages, and the
accounts' passwords.

Accounts live in the database (``geodata.storage.accounts``), which keeps only password
hashes: werkzeug's scrypt (``generate_password_hash``), memory-hard, salted, verified with a
constant-time comparison. An unknown email costs the same hash verification as a wrong
password, so timing does not tell which it was. The session is Flask's signed
cookie (Secure, HttpOnly, SameSite=Lax: ``app.settings``), cleared at login (nothing set
before it survives) and at logout, permanent for ``PERMANENT_SESSION_LIFETIME`` counted from
the login (not renewed by activity), and dropped when the client's address or browser
changes (Flask-Login's "strong" protection). A disabled account, or one given a new
password, is logged out at its next request. Logging out raises the account's session
generation, part of every session's id: a copy of the cookie stops working too (and so do the
account's sessions in other browsers).

Failed logins are counted in the database (``LOGIN_RATELIMIT``, e.g. ``10/minute``), per
client address and per account, so that the limit holds across gunicorn workers and an
account attacked from many addresses is slowed too: each attempt is recorded before its
password is checked, forgotten if it succeeds; over the limit, the password is not checked.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache, wraps
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from flask import current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user
from limits import RateLimitItem
from sqlalchemy import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import get_engine
from app.errors import error_page
from app.ratelimit import DISABLED, parse_limits
from geodata.storage.accounts import (
    ROLES,
    AccountError,
    change_user,
    count_login_attempts,
    end_sessions,
    forget_login_attempt,
    get_user,
    insert_user,
    record_login_attempt,
    user_by_email,
)
from geodata.storage.models import User

__all__ = ["LOGIN_AT", "LOGIN_LIMITS", "MIN_PASSWORD_LENGTH", "ROLE_LABELS", "Account",
           "AccountError", "Attempt", "authenticate", "check_password", "create_user",
           "disable_user", "end_login_attempt", "expire_old_login", "local_path", "log_out",
           "login_limits", "login_manager", "may_open", "role_required",
           "start_login_attempt", "update_user"]

login_manager = LoginManager()
login_manager.session_protection = "strong"

ROLE_LABELS = {"instructor": "instruction", "ministry": "ministère", "prefecture": "préfecture",
               "admin": "administration"}
LOGIN_AT = "login_at"
LOGIN_LIMITS = "fabriques.login_limits"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def check_password(password: str) -> None:
    """Refuse a password too short (or absurdly long) to be kept."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au moins")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop long : {MAX_PASSWORD_LENGTH} caractères au plus")


def create_user(engine: Engine, email: str, password: str, role: str,
                name: str | None = None, departements: list[str] | None = None) -> User:
    """Create an active account; raises AccountError on a bad password, email or role."""
    check_password(password)
    return insert_user(engine, email, generate_password_hash(password), role, name,
                       departements)


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown (made once, on first use)."""
    return generate_password_hash("fabriques: no such account")


def authenticate(engine: Engine, email: str, password: str) -> User | None:
    """The active account with this email and password, else None (same work either way)."""
    user = user_by_email(engine, email)
    if len(password or "") > MAX_PASSWORD_LENGTH:
        return None
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def update_user(engine: Engine, email: str, *, active: bool | None = None,
                password: str | None = None, departements: list[str] | None = None) -> User:
    """Disable or enable an account (its history stays), give it a new password, or a
    prefecture other départements (seen from its next page on); raises AccountError for an
    unknown email, a password too short or bad départements."""
    if password is not None:
        check_password(password)
    return change_user(engine, email, active=active, password_hash=None if password is None
                       else generate_password_hash(password), departements=departements)


def disable_user(engine: Engine, email: str) -> User:
    """Disable an account (its history stays); raises AccountError for an unknown email."""
    return update_user(engine, email, active=False)


def _session_id(user: User) -> str:
    """What the session keeps of an account: its id and a digest of its password hash and
    session generation, so that a new password, or a logout, ends the sessions opened
    before."""
    secret = f"{user.password_hash}\n{user.session_generation or 0}"
    digest = hashlib.sha256(secret.encode()).hexdigest()[:16]
    return f"{user.id}.{digest}"


def log_out() -> None:
    """End the current account's sessions (this cookie and any copy of it), then forget
    the session."""
    if current_user.is_authenticated:
        end_sessions(get_engine(), current_user.id)
    logout_user()
    session.clear()


class Account(UserMixin):
    """The logged-in person, as the pages see it (no password hash kept)."""

    def __init__(self, user: User):
        self.id, self.email, self.name, self.role = user.id, user.email, user.name, user.role
        self.active = bool(user.active)
        self.departements = tuple(user.departements or ())  # a prefecture's
        self.session_id = _session_id(user)

    def get_id(self) -> str:
        return self.session_id

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def has_role(self, *roles: str) -> bool:
        """True for one of ``roles``, and always for an admin."""
        return self.role == "admin" or self.role in roles


@login_manager.user_loader
def _load_account(session_id: str) -> Account | None:
    try:
        user = get_user(get_engine(), int(session_id.partition(".")[0]))
    except ValueError:
        return None
    if user is None or not user.active or _session_id(user) != session_id:
        return None
    return Account(user)


def _here() -> str:
    """The current page, to come back to after logging in."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return request.path


def _to_login():
    return redirect(url_for("comptes.login", next=_here()))


login_manager.unauthorized_handler(_to_login)


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path of this site ("/..."), else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def role_required(*roles: str) -> Callable:
    """Open a view to the given roles (admins always; no role given: any logged-in person).
    Anonymous: redirected to the login page; logged in with another role: 403. The roles
    are kept on the view (``accepted_roles``), for ``may_open`` to read."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"rôle inconnu : {', '.join(sorted(unknown))}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return _to_login()
            if roles and not current_user.has_role(*roles):
                wanted = ", ".join(ROLE_LABELS[r] for r in roles)
                return error_page(
                    "Accès refusé",
                    f"Cette page est réservée aux comptes « {wanted} » ; votre compte est un "
                    f"compte « {current_user.role_label} ».", 403)
            return view(*args, **kwargs)
        guarded.accepted_roles = roles
        return guarded
    return decorator


def may_open(path: str) -> bool | None:
    """Whether the logged-in person may open the local ``path`` (a GET; its query does not
    matter), by the roles its view accepts (``role_required``); None when no view answers
    it. A path the site redirects (``/page/`` for ``/page``) is judged where it leads."""
    adapter = current_app.create_url_adapter(request)
    path = unquote(urlsplit(path).path)
    for _ in range(2):
        try:
            endpoint, _args = adapter.match(path, method="GET")
        except RequestRedirect as moved:
            path = unquote(urlsplit(moved.new_url).path)
            continue
        except HTTPException:
            return None
        roles = getattr(current_app.view_functions.get(endpoint), "accepted_roles", ())
        return current_user.has_role(*roles) if roles else True
    return None


def expire_old_login() -> None:
    """Log out a session older than PERMANENT_SESSION_LIFETIME, however active it was."""
    started = session.get(LOGIN_AT)
    if started is None:
        return
    if time.time() - started > current_app.permanent_session_lifetime.total_seconds():
        logout_user()
        session.clear()




def login_limits(config: Mapping) -> tuple[RateLimitItem, ...]:
    """``LOGIN_RATELIMIT`` as limits (none when it, or ``RATELIMIT``, is off); a bad value
    stops the start with the reason."""
    setting = str(config.get("LOGIN_RATELIMIT") or "off").strip()
    if setting.lower() in DISABLED or str(config.get("RATELIMIT") or "off").strip().lower() \
            in DISABLED:
        return ()
    return parse_limits("LOGIN_RATELIMIT", setting, "10/minute")


class Attempt(NamedTuple):
    """A login attempt as counted: its id (None when not recorded) and, when refused, the
    seconds to wait before trying again."""

    id: int | None
    wait: int = 0


def start_login_attempt(engine: Engine, limits: Sequence[RateLimitItem], client: str,
                        email: str) -> Attempt:
    """Record a login attempt before its password is checked; when the client or the account
    is over a limit, the attempt is refused (``wait`` > 0) and forgotten: its password must
    not be checked. Recording first, then counting, keeps the limit exact however many
    workers take attempts at once."""
    if not limits:
        return Attempt(None)
    now = datetime.now(UTC)
    windows = [(item.amount, timedelta(seconds=item.get_expiry())) for item in limits]
    attempt = record_login_attempt(engine, client, email, now,
                                   forget_before=now - max(w for _, w in windows))
    for amount, window in windows:
        if max(count_login_attempts(engine, client, email, now - window)) > amount:
            forget_login_attempt(engine, attempt)
            return Attempt(None, int(window.total_seconds()))
    return Attempt(attempt)


def end_login_attempt(engine: Engine, attempt: Attempt, succeeded: bool) -> None:
    """A successful login is not counted: forget its attempt; a failed one stays."""
    if attempt.id is not None and succeeded:
        forget_login_attempt(engine, attempt.id)
