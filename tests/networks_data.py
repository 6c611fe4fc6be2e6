"""A session database with the real places, for the networks and coverage tests.

``places_engine`` is a copy (SQLite backup API) of the shared ``reference_engine`` (real
communes, contours, EPCI, laureates) into which the five real place lists are loaded: the
shared reference database itself is never written to. Import the fixture into a test
module; the copy is made once per session whichever modules use it.
"""

from __future__ import annotations

import sqlite3

import pytest

from geodata.storage.database import embedded_url, make_engine
from loaders.pipeline import load_source

__all__ = ["PLACE_SOURCES", "places_engine"]

PLACE_SOURCES = ("tierslieux-cget-2019", "manufactures-proximite", "france-tiers-lieux-extrait",
                 "france-services", "conseillers-numeriques")
_engines: dict[str, object] = {}


@pytest.fixture(scope="session")
def places_engine(reference_engine, tmp_path_factory, data_dir, request):
    """An embedded database: the reference layers plus every real place list (read-only)."""
    key = reference_engine.url.database
    if key not in _engines:
        folder = tmp_path_factory.mktemp("places")
        source = sqlite3.connect(key)
        target = sqlite3.connect(folder / "fabriques.sqlite3")
        with target:
            source.backup(target)
        source.close()
        target.close()
        engine = make_engine(embedded_url(folder))
        for name in PLACE_SOURCES:
            load_source(engine, name, data_dir=data_dir, progress=False)
        _engines[key] = engine
        request.addfinalizer(engine.dispose)
    return _engines[key]
