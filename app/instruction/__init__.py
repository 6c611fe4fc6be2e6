"""The instructors' space: the history of the checks they kept with a dossier (list,
export), and a wave's dossiers (``dossiers``)."""

from __future__ import annotations

from flask import Flask

from app.instruction import dossiers, views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprints."""
    app.register_blueprint(views.bp)
    app.register_blueprint(dossiers.bp)
