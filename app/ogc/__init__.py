"""OGC API - Features (Part 1: Core, GeoJSON, OpenAPI 3.0) under ``/ogc``, for the analysts
who work in a GIS (QGIS, GDAL): the QPV of each vintage, the communes and their classes, the
Fabriques and their categories, the places, read from the tables in service on either
backend. Public and read-only; errors in the service's one JSON shape."""

from __future__ import annotations

from flask import Flask

from app.errors import answer_json_under
from app.ogc import views

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the blueprint; every path under ``/ogc`` answers its errors in JSON."""
    app.register_blueprint(views.bp)
    answer_json_under(app, views.OGC_PREFIX)
