"""Networks of places around the Fabriques and the coverage of the territory, as pages
(``/reseaux``, ``/reseaux/couverture``) and as JSON (``/api/v1/reseaux``)."""

from __future__ import annotations

from flask import Flask

from app.reseaux import api, views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprints."""
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
