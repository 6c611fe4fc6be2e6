"""Logging in and out, and the roles that open the instructors' and the ministry's pages.

Accounts live in the database (``geodata.storage.history``); the session is Flask's signed
cookie (Secure, HttpOnly, SameSite=Lax: ``app.settings``), cleared at login (nothing set
before it survives) and at logout, permanent for ``PERMANENT_SESSION_LIFETIME`` counted from
the login (not renewed by activity), and dropped when the client's address or browser
changes (Flask-Login's "strong" protection). A disabled account, or one given a new
password, is logged out at its next request. ``POST /connexion`` is limited per client
(``LOGIN_RATELIMIT``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from app.db import get_engine
from app.ratelimit import DISABLED
from geodata.storage.history import authenticate, get_user
from geodata.storage.models import ROLES, User

__all__ = ["ROLE_LABELS", "Account", "bp", "init_app", "local_path", "login_manager",
           "role_required"]

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.session_protection = "strong"

ROLE_LABELS = {"instructor": "instruction", "ministry": "ministère", "admin": "administration"}
BAD_CREDENTIALS = "Identifiants incorrects : vérifiez l'adresse électronique et le mot de passe."
LOGIN_AT = "login_at"


def _session_id(user: User) -> str:
    """What the session keeps of an account: its id and a digest of its password hash, so
    that a new password ends the sessions opened with the old one."""
    digest = hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
    return f"{user.id}.{digest}"


class Account(UserMixin):
    """The logged-in person, as the pages see it (no password hash kept)."""

    def __init__(self, user: User):
        self.id, self.email, self.name, self.role = user.id, user.email, user.name, user.role
        self.active = bool(user.active)
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
    return redirect(url_for("auth.login", next=_here()))


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
    Anonymous: redirected to the login page; logged in with another role: 403."""
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
                return render_template(
                    "erreur.html", title="Accès refusé",
                    message=f"Cette page est réservée aux comptes « {wanted} » ; votre compte "
                            f"est un compte « {current_user.role_label} ».",
                ), 403
            return view(*args, **kwargs)
        return guarded
    return decorator


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """The login form; a wrong email or password get the same answer."""
    target = local_path(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("history.index"))
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        user = authenticate(get_engine(), email, request.form.get("password", ""))
        if user is not None:
            session.clear()  # a new session: nothing set before the login survives
            login_user(Account(user))
            session.permanent = True
            session[LOGIN_AT] = int(time.time())
            flash(f"Vous êtes connecté(e) : {user.email}.", "success")
            return redirect(target or url_for("history.index"))
        error = BAD_CREDENTIALS
    return render_template("connexion.html", error=error, email=email, next=target)


@bp.post("/deconnexion")
def logout():
    """Forget the session (POST only, with its CSRF token)."""
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté(e).", "info")
    return redirect(url_for("pages.home"))


@bp.errorhandler(429)
def too_many_attempts(_error):
    return render_template(
        "erreur.html", title="Trop de tentatives",
        message="Trop de tentatives de connexion depuis votre poste : patientez une minute "
                "avant de recommencer.",
    ), 429


@bp.after_request
def not_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _expire_old_login() -> None:
    """Log out a session older than PERMANENT_SESSION_LIFETIME, however active it was."""
    started = session.get(LOGIN_AT)
    if started is None:
        return
    if time.time() - started > current_app.permanent_session_lifetime.total_seconds():
        logout_user()
        session.clear()


def init_app(app: Flask) -> None:
    """Register the login manager, the blueprint, and the login attempts' rate limit."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.before_request(_expire_old_login)
    setting = str(app.config.get("LOGIN_RATELIMIT") or "off").strip()
    if setting.lower() in DISABLED:
        return
    for limiter in app.extensions.get("limiter", ()):
        app.view_functions["auth.login"] = limiter.limit(setting, methods=["POST"])(
            app.view_functions["auth.login"])
