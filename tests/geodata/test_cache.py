"""The one cache keyed on dataset versions (``geodata.storage.cache``): a value is built once
per key and set of versions, however many threads ask for it at once; a load rebuilds it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from geodata.storage import cache
from geodata.storage.cache import VersionedCache, forget_versions, versioned, versions_in_service
from loaders.pipeline import load_source


def test_concurrent_cold_requests_build_a_key_once():
    store = VersionedCache()
    started, release = threading.Event(), threading.Event()
    builds = []

    def build():
        builds.append(threading.get_ident())
        started.set()
        release.wait(5)  # every other thread arrives while the first one builds
        return object()

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(store.get, "index", (1, 2), build) for _ in range(8)]
        assert started.wait(5)
        release.set()
        values = {id(future.result()) for future in futures}
    assert len(builds) == 1
    assert len(values) == 1


def test_different_keys_build_side_by_side():
    store = VersionedCache()
    both_inside = threading.Barrier(2, timeout=5)

    def build(name):
        both_inside.wait()  # raises BrokenBarrierError if the keys were built one after another
        return name

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(store.get, "2015", (1,), lambda: build("2015"))
        second = pool.submit(store.get, "2024", (1,), lambda: build("2024"))
        assert (first.result(), second.result()) == ("2015", "2024")


def test_new_versions_replace_the_value_and_old_ones_are_not_kept():
    store = VersionedCache()
    assert store.get("k", (1,), lambda: "v1") == "v1"
    assert store.get("k", (1,), lambda: "jamais") == "v1"
    assert store.get("k", (1, 2), lambda: "v2") == "v2"
    assert store.get("k", (1,), lambda: "v1 relu") == "v1 relu"  # one value per key, no history
    store.clear()
    assert store.get("k", (1, 2), lambda: "v3") == "v3"


def test_a_failed_build_is_not_kept():
    store = VersionedCache()

    def failing():
        raise RuntimeError("base indisponible")

    with pytest.raises(RuntimeError):
        store.get("k", (1,), failing)
    assert store.get("k", (1,), lambda: "lu") == "lu"


@pytest.mark.shared_data
def test_a_versioned_reader_follows_the_loads(engine, data_dir, monkeypatch):
    monkeypatch.setattr(cache, "VERSIONS_TTL_S", 3600.0)
    reads = []

    @versioned
    def regions(engine_):
        reads.append(1)
        return versions_in_service(engine_)

    empty = regions(engine)
    assert regions(engine) is empty and len(reads) == 1
    load_source(engine, "regions", data_dir=data_dir, progress=False)  # forgets the versions
    loaded = regions(engine)
    assert len(reads) == 2 and len(loaded) == len(empty) + 1
    forget_versions(engine)
    assert regions(engine) is loaded and len(reads) == 2  # same versions: kept


def test_after_a_change_elsewhere_the_old_value_answers_while_the_new_one_builds():
    store = VersionedCache()
    assert store.get("index", (1,), lambda: "ancien", epoch=0) == "ancien"
    building, release = threading.Event(), threading.Event()

    def slow_build():
        building.set()
        release.wait(5)
        return "nouveau"

    assert store.get("index", (1, 2), slow_build, epoch=0) == "ancien"  # no wait
    assert building.wait(5)
    assert store.get("index", (1, 2), lambda: "jamais", epoch=0) == "ancien"  # one build
    release.set()
    assert _eventually(lambda: store.get("index", (1, 2), lambda: "jamais", epoch=0),
                       "nouveau")


def test_after_a_load_in_this_process_the_caller_waits_for_the_new_value():
    store = VersionedCache()
    store.get("index", (1,), lambda: "ancien", epoch=0)
    assert store.get("index", (1, 2), lambda: "nouveau", epoch=1) == "nouveau"
    assert store.get("index", (1, 2, 3), lambda: "exact", epoch=None) == "exact"


def _eventually(read, expected, tries: int = 500):
    """``read()`` until it gives ``expected`` (the background swap), at most ``tries`` times."""
    for _ in range(tries):
        if read() == expected:
            return True
        threading.Event().wait(0.01)
    return read() == expected


def test_a_failed_background_build_keeps_the_old_value_and_is_tried_again():
    store = VersionedCache()
    store.get("index", (1,), lambda: "ancien", epoch=0)
    calls = []

    def failing_once():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("base indisponible")
        return "nouveau"

    assert store.get("index", (1, 2), failing_once, epoch=0) == "ancien"
    assert _eventually(lambda: store.get("index", (1, 2), failing_once, epoch=0), "nouveau")
    assert len(calls) == 2


def test_a_value_built_after_a_change_elsewhere_reads_its_dependencies_anew():
    """The Fabriques' categories read the engine's index: rebuilt after another process's
    load, they were computed on the old index (answered meanwhile) and kept for the new
    versions, so the map kept the old QPV outlines' categories until the next load."""
    index, table = VersionedCache(), VersionedCache()

    def categories(versions):
        return "catégories sur " + index.get("index", versions, lambda: f"index {versions}",
                                              epoch=0)

    assert table.get("table", (1,), lambda: categories((1,)), epoch=0) == \
        "catégories sur index (1,)"
    assert table.get("table", (1, 2), lambda: categories((1, 2)), epoch=0) == \
        "catégories sur index (1,)"  # answered while the new one builds
    assert _eventually(lambda: table.get("table", (1, 2), lambda: categories((1, 2)), epoch=0),
                       "catégories sur index (1, 2)")
    assert index.get("index", (1, 2), lambda: "jamais", epoch=0) == "index (1, 2)"
