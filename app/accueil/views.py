"""``/`` and ``/sante``."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from app.db import get_engine
from geodata.storage.database import DatabaseUnreachable
from geodata.storage.jury_laureates import JURY_SOURCE, JURY_TITLE
from geodata.storage.reference import loaded_versions
from loaders.registry import SOURCES

__all__ = ["bp"]

bp = Blueprint("accueil", __name__, template_folder="templates")


@bp.get("/")
def home():
    """What the service does, and the dataset versions in service (a database that does not
    answer is the 503 page of ``app.errors``, never "not created yet")."""
    titles = {name: source.title for name, source in SOURCES.items()} | {
        JURY_SOURCE: JURY_TITLE}
    return render_template("home.html", versions=loaded_versions(get_engine()),
                           titles=titles, jury_source=JURY_SOURCE)


@bp.get("/sante")
def health():
    """200 when the database answers with its schema, else 503: "base injoignable" when it
    does not answer, "schéma absent" when it answers without the schema."""
    try:
        versions = loaded_versions(get_engine())
    except DatabaseUnreachable:
        return jsonify(status="base injoignable", datasets=None), 503
    status = 200 if versions is not None else 503
    return jsonify(
        status="ok" if versions is not None else "schéma absent",
        datasets=len(versions or []),
    ), status
