"""``/`` and ``/sante``."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from app.db import get_engine
from geodata.storage.reference import loaded_versions
from loaders.registry import SOURCES

__all__ = ["bp"]

bp = Blueprint("accueil", __name__, template_folder="templates")


@bp.get("/")
def home():
    """What the service does, and the dataset versions in service."""
    return render_template("home.html", versions=loaded_versions(get_engine()),
                           sources=SOURCES)


@bp.get("/sante")
def health():
    """200 when the database answers with its schema, else 503."""
    versions = loaded_versions(get_engine())
    status = 200 if versions is not None else 503
    return jsonify(
        status="ok" if versions is not None else "schéma absent",
        datasets=len(versions or []),
    ), status
