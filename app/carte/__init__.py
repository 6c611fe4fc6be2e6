"""The public map of the Fabriques (``/carte``) and the JSON it reads (``/api/v1/couches``,
``/api/v1/fabriques``)."""

from __future__ import annotations

from flask import Flask

from app.carte import api, views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprints."""
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
