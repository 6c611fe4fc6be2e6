"""One cache for what is read from the data in service, keyed on the dataset versions.

A value read from the database (the engine's index, the places, the map's layers...) stays
valid until a load changes the set of dataset versions in service. ``versioned`` caches a
reader ``function(engine, *args)`` per database and arguments; a value is built once per key
and set of versions, by one thread while the others asking for the same key wait for it
(different keys build side by side), and replaced when the versions change.

When a load by another process changes the versions, the new value is built beside the old
one, in a background thread, and swapped in when ready: meanwhile the old value, consistent
with the data it was read from, keeps answering, so that a load does not stall every worker
for the seconds an index takes to build. A load in this process (the loaders call
``forget_versions``) is served at once: the next call waits for the new value. A value read
while another is built (the Fabriques' categories read the engine's index) is always the
one of the versions in service, never an old one kept for answering: the value built from
it is kept for those versions, and an old dependency would stay in it until the next load.

Reading the set of versions costs a query; it is trusted for ``VERSIONS_TTL_S``: a load by
another process (``fabriques load``) is seen within that delay.
"""

from __future__ import annotations

import contextvars
import logging
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

log = logging.getLogger(__name__)

VERSIONS_TTL_S = 1.0
_seen: dict[str, tuple[float, tuple[int, ...]]] = {}  # engine key -> (when read, version ids)
_local_loads: dict[str, int] = {}  # engine key -> loads made by this process (forget_versions)
_seen_lock = threading.Lock()
_building = contextvars.ContextVar("building", default=False)  # inside some value's build


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
    """Read the dataset versions again on the next call, and wait for the values built from
    them (after a load in this process)."""
    key = engine_key(engine)
    with _seen_lock:
        _seen.pop(key, None)
        _local_loads[key] = _local_loads.get(key, 0) + 1


def _local_load_count(engine: Engine) -> int:
    with _seen_lock:
        return _local_loads.get(engine_key(engine), 0)


_MISSING = object()


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    versions: Hashable = None
    value: Any = _MISSING
    epoch: Hashable = None  # what the value may be kept for while a newer one is built
    rebuilding: Hashable = None  # the versions being built in the background


class VersionedCache:
    """Values by key, each kept with the versions it was built for."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, _Entry] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, versions: Hashable, build: Callable[[], Any],
            epoch: Hashable = None) -> Any:
        """The value of ``key`` for ``versions``: the kept one, or ``build()`` run once
        under the key's lock (other threads asking for the key wait for it).

        With an ``epoch`` (not None) equal to the kept value's, a value kept for other
        versions is still answered while ``build()`` runs in a background thread, then
        swapped in; without one, or when the epoch changed, or when the caller is itself
        building a value (which would keep an old one inside it), the caller waits.
        """
        if _building.get():
            epoch = None
        with self._guard:
            entry = self._entries.setdefault(key, _Entry())
        with entry.lock:
            if entry.value is not _MISSING and entry.versions == versions:
                return entry.value
            if entry.value is _MISSING or epoch is None or entry.epoch != epoch:
                entry.value, entry.versions, entry.epoch = _built(build), versions, epoch
                entry.rebuilding = None
                return entry.value
            if entry.rebuilding != versions:
                entry.rebuilding = versions
                threading.Thread(target=self._rebuild, args=(entry, versions, build, epoch),
                                 daemon=True, name="cache-rebuild").start()
            return entry.value

    @staticmethod
    def _rebuild(entry: _Entry, versions: Hashable, build: Callable[[], Any],
                 epoch: Hashable) -> None:
        """Build the value for ``versions`` beside the kept one, then swap it in."""
        try:
            value = _built(build)
        except Exception:  # noqa: BLE001 - the kept value goes on answering; retried later
            log.exception("valeur en cache non reconstruite ; l'ancienne reste servie")
            with entry.lock:
                entry.rebuilding = None
            return
        with entry.lock:
            if entry.rebuilding == versions:  # not overtaken by a build the caller waited for
                entry.value, entry.versions, entry.epoch = value, versions, epoch
                entry.rebuilding = None

    def clear(self) -> None:
        """Forget every value (what a restarted process would hold)."""
        with self._guard:
            self._entries.clear()


def _built(build: Callable[[], Any]) -> Any:
    """``build()``, the values it reads from the cache being those of the versions in
    service (``VersionedCache.get``)."""
    token = _building.set(True)
    try:
        return build()
    finally:
        _building.reset(token)


def versioned(function: Callable) -> Callable:
    """Cache ``function(engine, *args)`` per database, arguments and dataset versions in
    service, rebuilt beside the old value after another process's load and at once after
    this process's; the wrapper's ``cache`` is its ``VersionedCache``."""
    cache = VersionedCache()

    @wraps(function)
    def wrapper(engine: Engine, *args):
        return cache.get((engine_key(engine), *args), versions_in_service(engine),
                         lambda: function(engine, *args), epoch=_local_load_count(engine))

    wrapper.cache = cache
    return wrapper
