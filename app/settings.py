"""Default settings; an instance ``config.py`` and ``FABRIQUES_*`` variables override them."""

from __future__ import annotations

__all__ = ["DEFAULTS", "TESTING"]

DEFAULTS = {
    # Unset: the embedded SQLite file in the instance folder. Else postgresql+psycopg://...
    "DATABASE_URL": None,
    # Unset: ../shared/data beside the project's checkout.
    "DATA_DIR": None,
    "JSON_AS_ASCII": False,
}

TESTING = {
    "TESTING": True,
    "DATABASE_URL": None,
    "DATA_DIR": None,
}
"""Sane values for tests: the caller sets the instance folder and database."""
