"""The Flask application: ``create_app()`` builds it; nothing is built at import time.

Settings come in layers: defaults (``app.settings``), then the instance folder's
``config.py``, then ``FABRIQUES_*`` environment variables; a test passes its own mapping
instead, and then no instance file or environment variable is read. The names read that
are no setting (a typo) are kept in ``app.extensions[settings.UNKNOWN]``, for the command
or the gunicorn worker to say.

The core (this module, ``settings``, ``db``, ``errors``, ``security``, ``access``,
``ratelimit``, ``compression``, ``assets``, ``formats``, ``forms``) serves every room; each
room is a package for one audience, with its blueprints, forms, templates and static files
(``docs/architecture.md``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import import_module

from flask import Config, Flask

from app import db, settings

__all__ = ["ROOM_NAMES", "create_app", "rooms"]

ROOM_NAMES = ("accueil", "verifier", "carte", "fabriques", "reseaux", "comptes", "instruction",
              "tableau_de_bord", "api", "ogc")
"""The rooms, in the order their blueprints are registered."""


def rooms() -> tuple:
    """The rooms' packages (imported on first call: a command that needs only the database
    never imports them, nor maps, folium or the web extensions)."""
    return tuple(import_module(f"app.{name}") for name in ROOM_NAMES)


def _read_instance_file(app: Flask) -> list[str]:
    """The instance folder's ``config.py``, if any; the names it set. It is Python, so any
    error it raises (a syntax error, an import) is said as a setting the service cannot use
    (``ValueError``)."""
    read = Config(app.instance_path)
    try:
        read.from_pyfile("config.py", silent=True)
    except Exception as error:  # noqa: BLE001 — the file's own code: whatever it raises
        raise ValueError(f"{os.path.join(app.instance_path, 'config.py')} : "
                         f"{type(error).__name__} : {error}") from error
    app.config.update(read)
    return list(read)


def create_app(config: Mapping | None = None, *, web: bool = True) -> Flask:
    """Build the application; ``config`` replaces the instance file and the environment.
    ``web=False``: the settings and the database only, for a command such as
    ``fabriques check`` that serves no page (``app.cli``)."""
    if config is None:
        instance_path = os.environ.get("FABRIQUES_INSTANCE_PATH")
    else:
        instance_path = config.get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
    )
    app.config.from_mapping(settings.DEFAULTS)
    if config is None:
        names = _read_instance_file(app)
        app.config.from_prefixed_env("FABRIQUES")
        app.extensions[settings.UNKNOWN] = settings.unknown(
            os.environ, names, os.path.join(app.instance_path, "config.py"))
    else:
        if config.get("TESTING"):
            app.config.from_mapping(settings.TESTING)
        app.config.from_mapping(config)
    settings.check(app.config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # keep the contract's column order
    db.init_app(app)
    if not web:
        return app
    from app import (
        assets,
        cli,
        compression,
        errors,
        formats,
        forms,
        ratelimit,
        security,
    )

    security.init_app(app)
    ratelimit.init_app(app)
    compression.init_app(app)
    formats.init_app(app)
    forms.init_app(app)
    assets.init_app(app, rooms())
    for room in rooms():
        room.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
