"""Per-client rate limit, set by ``FABRIQUES_RATELIMIT`` ("50/second"; "off" disables it).

Limits are counted per client address in the process's memory (``RATELIMIT_STORAGE_URI``
may name a shared store, e.g. Redis, when several gunicorn workers must share counts).
Static files are never limited.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

__all__ = ["init_app"]

DISABLED = {"", "off", "none", "0"}


def init_app(app: Flask) -> Limiter:
    """Attach the limiter the settings describe (disabled for "off")."""
    setting = str(app.config.get("RATELIMIT") or "off").strip()
    enabled = setting.lower() not in DISABLED
    return Limiter(
        get_remote_address,
        app=app,
        default_limits=[setting] if enabled else [],
        default_limits_exempt_when=lambda: request.endpoint == "static",
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
        headers_enabled=True,
        enabled=enabled,
    )
