"""The jury's laureates under the licence's one name (migration 0024): the data page said
« Licence Ouverte 2.0 » for them and « Licence Ouverte / Etalab 2.0 » for every other
source, the same licence."""

from __future__ import annotations

import importlib

import sqlalchemy as sa

from geodata.storage.database import make_engine, upgrade
from geodata.storage.jury_laureates import JURY_LICENCE, JURY_SOURCE
from loaders.registry.source import LICENCE_OUVERTE
from tests.old_schema import VERSIONS, insert_version

MIGRATION = importlib.import_module(
    "geodata.storage.migrations.versions.0024_jury_licence_named_as_others")


def test_the_jury_names_the_licence_as_the_registry_does():
    assert JURY_LICENCE == LICENCE_OUVERTE == MIGRATION.NEW
    assert MIGRATION.JURY_SOURCE == JURY_SOURCE


def test_a_jury_version_written_before_takes_the_name(unmigrated_url):
    engine = make_engine(unmigrated_url)
    upgrade(engine, "0023")
    with engine.begin() as connection:
        for source in (JURY_SOURCE, "un-jeu-ajoute-a-la-main"):
            insert_version(connection, source=source, dataset="laureates",
                           vintage="2026-12-06", licence="Licence Ouverte 2.0")
    upgrade(engine)
    with engine.connect() as connection:
        found = dict(connection.execute(sa.select(VERSIONS.c.source, VERSIONS.c.licence)).all())
    engine.dispose()
    # another source's licence is its own to name
    assert found == {JURY_SOURCE: LICENCE_OUVERTE,
                     "un-jeu-ajoute-a-la-main": "Licence Ouverte 2.0"}
