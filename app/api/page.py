"""``/aide/api``: the API presented to the people who write programs (what it gives, an
example, its routes with their summaries read from the OpenAPI document, never a second
list, and the OGC API for GIS software). A page, not part of ``/api/v1``: its errors are
pages, it keeps the site's headers."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.api.openapi import document

__all__ = ["bp"]

bp = Blueprint("api_page", __name__, template_folder="templates")


@bp.get("/aide/api")
def page():
    routes = [(method.upper(), path, operation.get("summary", ""))
              for path, operations in document()["paths"].items()
              for method, operation in operations.items()]
    return render_template("api_page.html", routes=routes)
