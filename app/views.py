"""Pages of the service. Views stay thin: they read, call the domain, and render."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.db import get_engine
from geodata.storage.models import DatasetVersion
from loaders.registry import SOURCES

__all__ = ["bp"]

bp = Blueprint("pages", __name__)


def _current_versions() -> list | None:
    """The dataset versions in use, or None when the schema does not exist yet."""
    try:
        with get_engine().connect() as connection:
            return connection.execute(
                select(DatasetVersion.__table__)
                .where(DatasetVersion.current.is_(True))
                .order_by(DatasetVersion.id)
            ).all()
    except (OperationalError, ProgrammingError):
        return None


@bp.get("/")
def home():
    versions = _current_versions()
    return render_template("home.html", versions=versions, sources=SOURCES)


@bp.get("/sante")
def health():
    versions = _current_versions()
    status = 200 if versions is not None else 503
    return jsonify(
        status="ok" if versions is not None else "schéma absent",
        datasets=len(versions or []),
    ), status
