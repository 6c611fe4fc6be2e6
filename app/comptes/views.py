"""Logging in (``/connexion``: failed attempts limited per client and per account by
``LOGIN_RATELIMIT``) and out (``/deconnexion``, which ends the account's sessions)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user

from app.access import (
    LOGIN_AT,
    LOGIN_LIMITS,
    Account,
    authenticate,
    end_login_attempt,
    local_path,
    log_out,
    may_open,
    start_login_attempt,
)
from app.comptes.forms import LoginForm
from app.db import get_engine
from app.errors import error_page
from app.security import no_store

__all__ = ["bp"]

bp = Blueprint("comptes", __name__, template_folder="templates")
no_store(bp)

BAD_CREDENTIALS = "Identifiants incorrects : vérifiez l'adresse électronique et le mot de passe."


def landing_page() -> str:
    """Where a login leads without a ``next``: the ministry to its dashboard, the others
    (instructors, prefectures, admins) to the dossiers of the wave (the history of checks,
    where every login led, is refused to a prefecture and empty on a wave's first day)."""
    if current_user.has_role("ministry") and not current_user.has_role("instructor"):
        return url_for("tableau_de_bord.index")
    return url_for("dossiers.index")


@bp.app_template_global()
def own_page() -> tuple[str, str] | None:
    """The signed-in account's own page, named for a link back (error pages): None for an
    anonymous visitor."""
    if not current_user.is_authenticated:
        return None
    target = landing_page()
    return ("Retour au tableau de bord" if target == url_for("tableau_de_bord.index")
            else "Retour aux dossiers"), target


def destination(target: str | None) -> str:
    """Where a login leads: ``target`` when the account's role may open it (or no view
    answers it: its 404 stays), else the role's own page, with a message saying why. The
    public home page is no destination: a login from it leads to the role's own page."""
    if target is None or urlsplit(target).path == "/":
        return landing_page()
    if may_open(target) is False:
        flash(f"La page demandée ({urlsplit(target).path}) n'est pas ouverte à votre "
              "compte : voici votre page d'accueil.", "info")
        return landing_page()
    return target


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """The login form; a wrong email or password get the same answer. A ``next`` page
    leads there after the login, unless the account's role may not open it."""
    target = local_path(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(destination(target))
    error = None
    form = LoginForm()
    if form.validate_on_submit():
        engine = get_engine()
        attempt = start_login_attempt(engine, current_app.extensions[LOGIN_LIMITS],
                                      request.remote_addr or "", form.email.data)
        if attempt.wait:
            return too_many_attempts(attempt.wait)
        user = authenticate(engine, form.email.data, form.password.data)
        end_login_attempt(engine, attempt, succeeded=user is not None)
        if user is not None:
            session.clear()  # a new session: nothing set before the login survives
            login_user(Account(user))
            session.permanent = True
            session[LOGIN_AT] = int(time.time())
            flash(f"Connexion réussie : {user.email}.", "success")
            return redirect(destination(target))
        error = BAD_CREDENTIALS
    return render_template("connexion.html", error=error, email=form.email.data, next=target)


@bp.post("/deconnexion")
def logout():
    """End the account's sessions, then forget this one (POST only, with its CSRF token)."""
    log_out()
    flash("Déconnexion effectuée.", "info")
    return redirect(url_for("accueil.home"))


def _duration(seconds: int) -> str:
    """A wait in French words: "une minute", "5 minutes", "30 secondes"."""
    if seconds % 60:
        return f"{seconds} secondes"
    return "une minute" if seconds == 60 else f"{seconds // 60} minutes"


def too_many_attempts(wait: int):
    """The French 429 page of a refused login, with ``Retry-After``."""
    body, status = error_page(
        "Trop de tentatives",
        "Trop de tentatives de connexion depuis votre poste ou pour ce compte : patientez "
        f"{_duration(wait)} avant de recommencer.", 429)
    return body, status, {"Retry-After": str(wait)}


@bp.errorhandler(429)
def too_many_requests(_error):
    """The general request limit (``RATELIMIT``) reached on these pages: the French page."""
    return error_page("Trop de tentatives", "Trop de requêtes depuis votre poste : patientez "
                      "un instant avant de recommencer.", 429)
