"""Logging in (``/connexion``, limited per client by ``LOGIN_RATELIMIT``) and out
(``/deconnexion``)."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.access import LOGIN_AT, Account, authenticate, local_path
from app.comptes.forms import LoginForm
from app.db import get_engine
from app.errors import error_page
from app.security import no_store

__all__ = ["bp"]

bp = Blueprint("comptes", __name__, template_folder="templates")
no_store(bp)

BAD_CREDENTIALS = "Identifiants incorrects : vérifiez l'adresse électronique et le mot de passe."


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """The login form; a wrong email or password get the same answer."""
    target = local_path(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("instruction.index"))
    error = None
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(get_engine(), form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a new session: nothing set before the login survives
            login_user(Account(user))
            session.permanent = True
            session[LOGIN_AT] = int(time.time())
            flash(f"Vous êtes connecté(e) : {user.email}.", "success")
            return redirect(target or url_for("instruction.index"))
        error = BAD_CREDENTIALS
    return render_template("connexion.html", error=error, email=form.email.data, next=target)


@bp.post("/deconnexion")
def logout():
    """Forget the session (POST only, with its CSRF token)."""
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté(e).", "info")
    return redirect(url_for("accueil.home"))


@bp.errorhandler(429)
def too_many_attempts(_error):
    return error_page("Trop de tentatives",
                      "Trop de tentatives de connexion depuis votre poste : patientez une "
                      "minute avant de recommencer.", 429)


