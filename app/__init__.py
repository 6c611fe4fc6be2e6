"""The Flask application: ``create_app()`` builds it; nothing is built at import time.

Settings come in layers: defaults (``app.settings``), then the instance folder's
``config.py``, then ``FABRIQUES_*`` environment variables; a test passes its own mapping
instead, and then no instance file or environment variable is read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from app import (
    api,
    auth,
    batch_page,
    carte,
    compression,
    dashboard,
    db,
    errors,
    history,
    ratelimit,
    reseaux,
    security,
    settings,
    views,
)

__all__ = ["create_app"]


def create_app(config: Mapping | None = None) -> Flask:
    """Build the application; ``config`` replaces the instance file and the environment."""
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
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("FABRIQUES")
    else:
        app.config.from_mapping(config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # keep the contract's column order
    security.init_app(app, exempt=(api.bp,))
    db.init_app(app)
    ratelimit.init_app(app)
    compression.init_app(app)
    auth.init_app(app)  # after ratelimit: it limits the login attempts
    app.register_blueprint(views.bp)
    app.register_blueprint(batch_page.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(reseaux.bp)
    app.register_blueprint(carte.bp)
    app.register_blueprint(carte.api_bp)
    app.register_blueprint(api.bp)
    errors.register_api_fallback(app, api.bp.url_prefix)
    return app
