"""Per-client rate limit, set by ``FABRIQUES_RATELIMIT`` ("50/second"; "off" disables it).

Each route counts its own requests per client address (Flask-Limiter's default limits), in
the process's memory (``RATELIMIT_STORAGE_URI``: a shared store, e.g. Redis with its Python
package installed, makes several gunicorn workers count together). Static files are never
limited. A value that cannot be read stops the start with the reason, in French.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError

__all__ = ["DISABLED", "init_app", "parse_limits"]

DISABLED = {"", "off", "none", "0"}


def init_app(app: Flask) -> Limiter:
    """Attach the limiter the settings describe (disabled for "off")."""
    setting = str(app.config.get("RATELIMIT") or "off").strip()
    enabled = setting.lower() not in DISABLED
    if enabled:
        parse_limits("RATELIMIT", setting, "50/second")
    storage = app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    app.after_request(_retry_after_when_limited)  # before the limiter's: runs after it
    try:
        return Limiter(
            get_remote_address,
            app=app,
            default_limits=[setting] if enabled else [],
            default_limits_exempt_when=lambda: request.endpoint == "static",
            storage_uri=storage,
            headers_enabled=True,
            enabled=enabled,
        )
    except ConfigurationError as error:
        raise ValueError(f"RATELIMIT_STORAGE_URI inutilisable : {storage!r} (« memory:// » "
                         f"par défaut) : {error}") from None


def _retry_after_when_limited(response: Response) -> Response:
    """``Retry-After`` on a 429 only, and one second at least: Flask-Limiter sent it on every
    answer, and « 0 » on some 429, which a client honouring it read as « retry at once »."""
    if response.status_code == 429:
        seconds = response.headers.get("Retry-After", "")
        if not seconds.isdigit() or int(seconds) < 1:
            response.headers["Retry-After"] = "1"
    else:
        response.headers.pop("Retry-After", None)
    return response


def parse_limits(name: str, setting: str, example: str) -> tuple[RateLimitItem, ...]:
    """The limits a setting ``name`` gives (Flask-Limiter's syntax); ``ValueError`` naming
    the setting, with ``example``, for a value that cannot be read."""
    try:
        return tuple(parse_many(setting))
    except ValueError as error:
        raise ValueError(f"{name} illisible : {setting!r} (attendu par exemple « {example} », "
                         f"ou « off ») : {error}") from None
