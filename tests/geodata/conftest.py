"""The PostGIS database with every source of the shared folder loaded, shared by the SQL
modules (``test_sql_classification``, ``test_sql_layers``): loading it and building the SQL
classification's cells take minutes, once per session is enough. Tests that change it do so
in a transaction they roll back, or leave it as they found it."""

from __future__ import annotations

import os

import pytest

from geodata.storage.database import make_engine
from loaders.pipeline import load_source
from loaders.registry import SOURCES
from tests.conftest import database_copy


@pytest.fixture(scope="session")
def loaded_url(postgis_template, data_dir):
    """A copy of the migrated template with every registered source loaded."""
    with database_copy(postgis_template, f"{postgis_template}_sqlcls_{os.getpid()}") as url:
        engine = make_engine(url)
        try:
            for name in SOURCES:
                load_source(engine, name, data_dir=data_dir, progress=False)
        finally:
            engine.dispose()
        yield url


@pytest.fixture
def loaded(loaded_url):
    engine = make_engine(loaded_url)
    yield engine
    engine.dispose()
