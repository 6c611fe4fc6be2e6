"""One load writes at a time: the lock a load's transaction takes before it reads what it
replaces, on either backend.

Two loads of a source at once would each read the versions in service, add their own and
retire only what they had read: two versions "current" for one source. Taken first in the
transaction, this lock makes the second load wait until the first commits (then it retires
the first's version as any later load would), or give up cleanly after ``wait_s``.

PostgreSQL: a transaction-scoped advisory lock, under ``lock_timeout``. SQLite: the
database's write lock, taken at once by a statement that writes nothing, under
``busy_timeout`` (a deferred transaction would meet the other writer only at its first write,
and fail there without waiting).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from geodata.storage.database import DatabaseError, is_postgis

__all__ = ["LOAD_LOCK_KEY", "LOAD_WAIT_S", "DatabaseBusy", "lock_for_loading"]

LOAD_LOCK_KEY = 0x6661627269  # "fabri": the advisory lock of the loads
LOAD_WAIT_S = 300.0
"""How long a load waits for another one to finish before giving up."""


class DatabaseBusy(DatabaseError):
    """Another load held the lock longer than the wait allowed."""


def lock_for_loading(connection: Connection, wait_s: float | None = None) -> None:
    """Take the loads' lock for the rest of ``connection``'s transaction, waiting at most
    ``wait_s`` seconds (``LOAD_WAIT_S`` by default) for a load in progress to end."""
    wait_ms = max(1, int(1000 * (LOAD_WAIT_S if wait_s is None else wait_s)))
    try:
        if is_postgis(connection.engine):
            _lock_postgis(connection, wait_ms)
        else:
            _lock_sqlite(connection, wait_ms)
    except OperationalError as error:
        if not _busy(error):  # a read-only file, a full disk…: not another load
            reason = str(error.orig).strip().splitlines()[0]
            raise DatabaseError(f"la base ne peut pas être écrite ({reason}) : vérifiez les "
                                "droits et la place du fichier et de son dossier (SQLite), "
                                "ou ceux du rôle (PostgreSQL)") from error
        raise DatabaseBusy(f"un autre chargement est en cours depuis plus de "
                           f"{wait_ms / 1000:g} s ; réessayez quand il sera terminé") from error


def _busy(error: OperationalError) -> bool:
    """Whether the lock was held by another writer (SQLite's « database is locked »,
    PostgreSQL's lock_not_available), rather than the database refusing to write at all
    (a read-only file was said « un autre chargement est en cours depuis plus de 300 s »
    after 3 s)."""
    if getattr(error.orig, "sqlstate", None) == "55P03":
        return True
    return "locked" in str(error.orig).lower() or "busy" in str(error.orig).lower()


def _lock_postgis(connection: Connection, wait_ms: int) -> None:
    before = connection.scalar(text("SELECT current_setting('lock_timeout')"))
    connection.execute(text("SELECT set_config('lock_timeout', :wait, true)"),
                       {"wait": f"{wait_ms}ms"})
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOAD_LOCK_KEY})
    connection.execute(text("SELECT set_config('lock_timeout', :wait, true)"),
                       {"wait": before})


def _lock_sqlite(connection: Connection, wait_ms: int) -> None:
    before = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {wait_ms}")
    try:
        connection.execute(text("UPDATE dataset_versions SET current = current WHERE 0"))
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(before)}")
