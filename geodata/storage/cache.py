"""One cache for what is read from the data in service, keyed on the dataset versions.

A value read from the database (the engine's index, the places, the map's layers...) stays
valid until a load changes the set of dataset versions in service. ``versioned`` caches a
reader ``function(engine, *args)`` per database and arguments; a value is built once per key
and set of versions, by one thread while the others asking for the same key wait for it
(different keys build side by side), and replaced when the versions change.

Reading the set of versions costs a query; it is trusted for ``VERSIONS_TTL_S``: a load by
another process (``fabriques load``) is served within that delay, a load in this process at
once (the loaders call ``forget_versions``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from sqlalchemy import Engine, select

from geodata.storage.models import DatasetVersion

__all__ = [
    "VERSIONS_TTL_S",
    "VersionedCache",
    "engine_key",
    "forget_versions",
    "versioned",
    "versions_in_service",
]

VERSIONS_TTL_S = 1.0
_seen: dict[str, tuple[float, tuple[int, ...]]] = {}  # engine key -> (when read, version ids)
_seen_lock = threading.Lock()


def engine_key(engine: Engine) -> str:
    """The database an engine reads, as a cache key (no password)."""
    return engine.url.render_as_string(hide_password=True)


def versions_in_service(engine: Engine) -> tuple[int, ...]:
    """The ids of the dataset versions in service (any load changes them), read at most
    once per ``VERSIONS_TTL_S`` and database."""
    key, now = engine_key(engine), time.monotonic()
    with _seen_lock:
        seen = _seen.get(key)
    if seen is not None and now - seen[0] < VERSIONS_TTL_S:
        return seen[1]
    with engine.connect() as connection:
        versions = tuple(connection.scalars(
            select(DatasetVersion.id).where(DatasetVersion.current.is_(True))
            .order_by(DatasetVersion.id)))
    with _seen_lock:
        _seen[key] = (now, versions)
    return versions


def forget_versions(engine: Engine) -> None:
    """Read the dataset versions again on the next call (after a load in this process)."""
    with _seen_lock:
        _seen.pop(engine_key(engine), None)


_MISSING = object()


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    versions: Hashable = None
    value: Any = _MISSING


class VersionedCache:
    """Values by key, each kept with the versions it was built for."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, _Entry] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, versions: Hashable, build: Callable[[], Any]) -> Any:
        """The value of ``key`` for ``versions``: the kept one, or ``build()`` run once
        under the key's lock (other threads asking for the key wait for it)."""
        with self._guard:
            entry = self._entries.setdefault(key, _Entry())
        with entry.lock:
            if entry.value is _MISSING or entry.versions != versions:
                entry.value = build()
                entry.versions = versions
            return entry.value

    def clear(self) -> None:
        """Forget every value (what a restarted process would hold)."""
        with self._guard:
            self._entries.clear()


def versioned(function: Callable) -> Callable:
    """Cache ``function(engine, *args)`` per database, arguments and dataset versions in
    service; the wrapper's ``cache`` is its ``VersionedCache``."""
    cache = VersionedCache()

    @wraps(function)
    def wrapper(engine: Engine, *args):
        return cache.get((engine_key(engine), *args), versions_in_service(engine),
                         lambda: function(engine, *args))

    wrapper.cache = cache
    return wrapper
