"""The JSON API for other services, ``/api/v1``: the eligibility of a point, an address or a
batch, the policies, the data in service, and the OpenAPI document of every ``/api/v1``
route (the map's and the networks' JSON included); and its page for people, ``/aide/api``."""

from __future__ import annotations

from flask import Flask

from app.api import page, views
from app.api.openapi import documented_parameters
from app.errors import API_PARAMETERS
from app.security import csrf

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the blueprints; the API keeps no session, so it needs no CSRF token. The query
    parameters its document names are those a request may not repeat (``app.errors``)."""
    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(page.bp)
    app.extensions[API_PARAMETERS] = documented_parameters()
