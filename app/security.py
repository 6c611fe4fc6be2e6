"""Sessions and forms: the secret key, secure cookies, and CSRF protection on every form.

The secret key comes from ``SECRET_KEY`` (instance file or ``FABRIQUES_SECRET_KEY``); when
none is set, one is generated once and kept in the instance folder (``secret_key``, readable
by its owner only), so that sessions survive a restart and every gunicorn worker agrees.

Every POST of an HTML form carries a CSRF token (Flask-WTF); the JSON API is exempt: it
keeps no session and authenticates nobody, so a forged cross-site request gains nothing.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.errors import error_page

__all__ = ["csrf", "init_app", "no_store"]

csrf = CSRFProtect()
SECRET_FILE = "secret_key"


def _instance_secret(instance_path: str) -> str:
    """The instance folder's secret key, created on first use (mode 0600)."""
    path = Path(instance_path) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    """Bind the secret key, harden the session cookie, protect forms against CSRF (the JSON
    API's blueprint exempts itself: ``csrf.exempt``)."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    csrf.init_app(app)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return error_page("Formulaire expiré",
                          "Le formulaire a expiré ou ne vient pas de ce site "
                          f"({error.description}). Rechargez la page et recommencez.", 400)


def no_store(blueprint: Blueprint) -> None:
    """Keep the blueprint's answers out of every cache (pages behind a login)."""

    @blueprint.after_request
    def not_cached(response):
        response.headers["Cache-Control"] = "no-store"
        return response
