"""Each Fabrique's public page (``/fabriques/<id>``): who and where it is, its category under
the current rules with the engine's explanation, its declared network, and what it
documents and shares (its deliverables), which instructors record on the page."""

from __future__ import annotations

from flask import Flask

from app.fabriques import views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprint."""
    app.register_blueprint(views.bp)
