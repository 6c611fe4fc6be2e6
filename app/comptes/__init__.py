"""Accounts: logging in and out, and the roles that open the instructors' and the
ministry's pages (``role_required``). Accounts are made from the command line
(``fabriques users``): there is no sign-up page."""

from __future__ import annotations

from flask import Flask

from app.access import expire_old_login, login_manager
from app.comptes import views
from app.ratelimit import DISABLED

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the login manager, the blueprint, and the login attempts' rate limit."""
    login_manager.init_app(app)
    app.register_blueprint(views.bp)
    app.before_request(expire_old_login)
    setting = str(app.config.get("LOGIN_RATELIMIT") or "off").strip()
    if setting.lower() in DISABLED:
        return
    for limiter in app.extensions.get("limiter", ()):
        app.view_functions["comptes.login"] = limiter.limit(setting, methods=["POST"])(
            app.view_functions["comptes.login"])
