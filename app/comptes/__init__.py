"""Accounts: logging in and out, and the roles that open the instructors' and the
ministry's pages (``role_required``). Accounts are made from the command line
(``fabriques users``): there is no sign-up page."""

from __future__ import annotations

from flask import Flask

from app.access import LOGIN_LIMITS, expire_old_login, login_limits, login_manager
from app.comptes import views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the login manager, the blueprint, and the failed logins' limit (counted in the
    database by ``app.access``, so that every worker sees every attempt)."""
    login_manager.init_app(app)
    app.extensions[LOGIN_LIMITS] = login_limits(app.config)
    app.register_blueprint(views.bp)
    app.before_request(expire_old_login)
