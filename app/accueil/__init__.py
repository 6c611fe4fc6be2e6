"""The front door: the home page (what the service does, the data in service) and the health
check ``/sante`` that operators and load balancers poll."""

from __future__ import annotations

from flask import Flask

from app.accueil.views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprint."""
    app.register_blueprint(bp)
