"""Per-client rate limit, set by ``FABRIQUES_RATELIMIT`` ("50/second"; "off" disables it).

Each route counts its own requests per client address (Flask-Limiter's default limits), in
the process's memory (``RATELIMIT_STORAGE_URI``: a shared store, e.g. Redis with its Python
package installed, makes several gunicorn workers count together). Static files are never
limited. A value that cannot be read stops the start with the reason, in French.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError

__all__ = ["DISABLED", "batch_limits", "init_app", "parse_limits", "rows_wait"]

DISABLED = {"", "off", "none", "0"}


def init_app(app: Flask) -> Limiter:
    """Attach the limiter the settings describe (disabled for "off")."""
    setting = str(app.config.get("RATELIMIT") or "off").strip()
    enabled = setting.lower() not in DISABLED
    if enabled:
        parse_limits("RATELIMIT", setting, "50/second")
        batch_limits(app.config)  # a value that cannot be read stops the start
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


ROWS_KEY = "lignes-de-lot"
"""The namespace of the rows counted by ``rows_wait`` in the limiter's storage."""


def rows_wait(app: Flask, rows: int) -> int | None:
    """Count ``rows`` rows of a batch against the client's ``BATCH_RATELIMIT`` (rows per
    period, e.g. "300000/minute"; off when it or ``RATELIMIT`` is): None when they fit, else
    the seconds to wait. Requests alone let eight parallel batches of 100,000 rows hold every
    worker (a single check then waited 44 s)."""
    limits = batch_limits(app.config)
    limiter = next(iter(app.extensions.get("limiter", ())), None)
    if not limits or limiter is None:
        return None
    client = get_remote_address()
    for item in limits:
        if not limiter.limiter.hit(item, ROWS_KEY, client, cost=rows):
            reset = limiter.limiter.get_window_stats(item, ROWS_KEY, client).reset_time
            return max(1, math.ceil(reset - time.time()))
    return None


def batch_limits(config) -> tuple[RateLimitItem, ...]:
    """``BATCH_RATELIMIT`` as limits (none when it, or ``RATELIMIT``, is off)."""
    setting = str(config.get("BATCH_RATELIMIT") or "off").strip()
    if setting.lower() in DISABLED or str(config.get("RATELIMIT") or "off").strip().lower() \
            in DISABLED:
        return ()
    return parse_limits("BATCH_RATELIMIT", setting, "300000/minute")


def _retry_after_when_limited(response: Response) -> Response:
    """``Retry-After`` on a 429 only, and one second at least: Flask-Limiter sent it on every
    answer, and « 0 » on some 429, which a client honouring it read as « retry at once ». A
    wait the service computed itself (``g.retry_after``: the rows of batches) is the one its
    message says: Flask-Limiter rewrote it, truncated, one second short of the message."""
    if response.status_code == 429:
        seconds = response.headers.get("Retry-After", "")
        if g.get("retry_after"):
            response.headers["Retry-After"] = str(g.retry_after)
        elif not seconds.isdigit() or int(seconds) < 1:
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
