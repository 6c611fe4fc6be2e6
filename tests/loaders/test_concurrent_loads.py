"""Loads at the same time, on both backends: one waits for the other, never two current
versions of a source, and a load that waits too long gives up cleanly, nothing written."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine

from geodata.storage import locks
from geodata.storage.database import DatabaseError, embedded_url, make_engine, upgrade
from geodata.storage.locks import lock_for_loading
from geodata.storage.models import DatasetVersion
from loaders.errors import LoadError
from tests.loaders.common import count, load, version_count

pytestmark = pytest.mark.shared_data


def current_versions_of(engine, source: str) -> int:
    return count(engine, DatasetVersion, DatasetVersion.source == source,
                 DatasetVersion.current.is_(True))


def test_two_loads_of_a_source_at_once_leave_one_current_version(engine, data_dir):
    start = threading.Barrier(2, timeout=30)

    def load_together(_):
        start.wait()
        return load(engine, "regions", data_dir)

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(load_together, range(2)))
    assert {report.status for report in reports} <= {"chargé", "inchangé"}
    assert current_versions_of(engine, "regions") == 1


def test_a_load_waits_for_the_one_in_progress(engine, data_dir):
    load(engine, "regions", data_dir)
    with engine.begin() as holder:  # a load in progress, as far as the lock is concerned
        lock_for_loading(holder)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(load, engine, "departements", data_dir)
            finished_early = waiting.done() or _finishes_within(waiting, 1.0)
            holder.commit()
            report = waiting.result(timeout=60)
    assert not finished_early
    assert report.status == "chargé"
    assert current_versions_of(engine, "departements") == 1


def test_a_load_that_waits_too_long_gives_up_and_writes_nothing(engine, data_dir,
                                                                monkeypatch):
    monkeypatch.setattr(locks, "LOAD_WAIT_S", 0.3)
    before = version_count(engine)
    with engine.begin() as holder:
        lock_for_loading(holder)
        with pytest.raises(LoadError) as refused:
            load(engine, "regions", data_dir)
    assert "un autre chargement est en cours" in str(refused.value)
    assert version_count(engine) == before


def _finishes_within(future, seconds: float) -> bool:
    try:
        future.result(timeout=seconds)
    except TimeoutError:
        return False
    return True


def test_a_database_that_cannot_be_written_is_not_called_busy(tmp_path):
    """A read-only SQLite file was said « un autre chargement est en cours depuis plus de
    300 s » after three seconds: the operator waited for a load that did not exist."""
    url = embedded_url(tmp_path / "instance")
    writable = make_engine(url)
    upgrade(writable)
    writable.dispose()
    path = url.removeprefix("sqlite:///")
    read_only = create_engine(f"sqlite+pysqlite:///file:{path}?mode=ro&uri=true")
    with read_only.begin() as connection, pytest.raises(DatabaseError) as refused:
        lock_for_loading(connection, wait_s=0.5)
    assert not isinstance(refused.value, locks.DatabaseBusy)
    assert "la base ne peut pas être écrite (attempt to write a readonly database)" \
        in str(refused.value)
    read_only.dispose()
