"""Default settings; an instance ``config.py`` and ``FABRIQUES_*`` variables override them."""

from __future__ import annotations

__all__ = ["DEFAULTS"]

DEFAULTS = {
    # Unset: the embedded SQLite file in the instance folder. Else postgresql+psycopg://...
    "DATABASE_URL": None,
    # Unset: ../shared/data beside the project's checkout.
    "DATA_DIR": None,
    # The Base Adresse Nationale, served by IGN's Géoplateforme since 2026.
    "GEOCODER_URL": "https://data.geopf.fr/geocodage",
    "BATCH_MAX_ROWS": 100_000,
    # Requests per client (flask-limiter syntax, e.g. "50/second"); "off" for benchmarks.
    "RATELIMIT": "50/second",
    "RATELIMIT_STORAGE_URI": "memory://",
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
}
