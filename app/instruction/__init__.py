"""The instructors' space: the history of the checks they kept with a dossier (list,
export). The instruction of a wave's dossiers will live here."""

from __future__ import annotations

from flask import Flask

from app.instruction import views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprint."""
    app.register_blueprint(views.bp)
