"""The ministry's dashboard: the laureates counted against the policy's quota targets (a
range each: decided to possible), by wave, région or département, and their funding."""

from __future__ import annotations

from flask import Flask

from app.tableau_de_bord import views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprint."""
    app.register_blueprint(views.bp)
