"""The engine's index follows the dataset versions: at once after a load in this process;
after a change made elsewhere (another process, an analyst's SQL), seen within
``VERSIONS_TTL_S`` and built beside the old index, which answers until the swap."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from geodata.storage import cache as reference
from geodata.storage.cache import forget_versions
from geodata.storage.reference import reference_index
from loaders.pipeline import load_source

pytestmark = pytest.mark.shared_data


@pytest.fixture
def paca(engine, data_dir):
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    return engine


def _retire_paca(engine) -> None:
    """What another process's load would do: the PACA version is no longer current, so the
    index no longer counts PACA as complete (its outlines stay until a load replaces them)."""
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE dataset_versions SET current = false WHERE source = 'qpv2024-paca'"))


def test_index_is_kept_while_the_versions_are_trusted_then_read_again(paca, monkeypatch):
    monkeypatch.setattr(reference, "VERSIONS_TTL_S", 3600.0)
    first = reference_index(paca, "2024")
    assert first.qpv.complete_for
    _retire_paca(paca)
    assert reference_index(paca, "2024") is first  # trusted: no query for a while
    forget_versions(paca)
    emptied = reference_index(paca, "2024")
    assert emptied is not first
    assert emptied.qpv.complete_for == ()


def test_without_delay_a_change_made_elsewhere_is_built_beside_then_swapped(paca, monkeypatch):
    monkeypatch.setattr(reference, "VERSIONS_TTL_S", 0.0)
    first = reference_index(paca, "2024")
    _retire_paca(paca)
    assert reference_index(paca, "2024") is first  # still answering while the new one builds
    for _ in range(1000):
        if reference_index(paca, "2024") is not first:
            break
        threading.Event().wait(0.01)
    assert reference_index(paca, "2024").qpv.complete_for == ()
    assert first.qpv.complete_for


def test_a_load_in_this_process_is_served_at_once(paca, data_dir, monkeypatch):
    monkeypatch.setattr(reference, "VERSIONS_TTL_S", 3600.0)
    _retire_paca(paca)
    forget_versions(paca)
    assert reference_index(paca, "2024").qpv.complete_for == ()
    load_source(paca, "qpv2024-paca", data_dir=data_dir, progress=False)  # a new version
    assert reference_index(paca, "2024").qpv.complete_for
