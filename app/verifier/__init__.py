"""The instructors' checker: one location (``/verifier``, its attestation) or a file of
locations run as a background job (``/verifier/lot``)."""

from __future__ import annotations

from flask import Flask

from app.verifier import executor, lot, views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprints and give it its executor of batch jobs."""
    executor.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(lot.bp)
