"""A dataset version keeps its source's title, the name people read (migration 0023): the
verdicts and the attestation named the sources by their registry keys (« densite »)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from types import SimpleNamespace

from geodata.storage import reference
from geodata.storage.database import make_engine, upgrade
from geodata.storage.jury_laureates import JURY_SOURCE, JURY_TITLE
from geodata.storage.reference import dataset_versions, titled
from loaders.registry import SOURCES
from tests.old_schema import insert_version

MIGRATION = importlib.import_module(
    "geodata.storage.migrations.versions.0023_dataset_version_titles")


def test_the_migration_names_sources_that_exist():
    """Its keys are sources (a typo would leave a source untitled); its titles are those of
    its date, which later releases of the registry may change."""
    assert set(MIGRATION.TITLES) <= {*SOURCES, JURY_SOURCE}
    assert MIGRATION.TITLES[JURY_SOURCE] == JURY_TITLE


def test_a_version_loaded_before_takes_its_title(unmigrated_url):
    engine = make_engine(unmigrated_url)
    upgrade(engine, "0022")
    with engine.begin() as connection:
        for source in ("densite", "un-jeu-ajoute-a-la-main"):
            insert_version(connection, source=source)
    upgrade(engine)
    assert [titled(v) for v in dataset_versions(engine)] == [
        "Grille communale de densité à 7 niveaux (INSEE)", "un-jeu-ajoute-a-la-main"]
    engine.dispose()


def test_a_source_loaded_late_in_the_evening_is_dated_as_in_paris():
    """The verdicts date a source by its load: stored in UTC, a load at 23:30 UTC on the
    6th of December was made on the 7th in Paris (the pages said the 6th)."""
    version = SimpleNamespace(title="QPV 2024 : contours", source="qpv2024", vintage="2024",
                              complete_for={"scope": "none"},
                              loaded_at=datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    assert reference._label(version, {}).endswith("(partielle, chargée le 07/12/2026)")
