"""Rows written as an older schema had them, for the tests of the migrations that rewrite
stored rows (today's models and loaders write the columns of later migrations)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

VERSIONS = sa.table(
    "dataset_versions",
    *(sa.column(name) for name in ("id", "source", "dataset", "vintage", "licence", "path",
                                   "checksum", "loaded_at", "current")),
    sa.column("complete_for", sa.JSON), sa.column("counts", sa.JSON))
"""The columns of ``dataset_versions`` that every schema has had."""


def insert_version(connection, **values) -> None:
    """A dataset version in service, partial, loaded now; ``values`` name the rest."""
    connection.execute(VERSIONS.insert().values(
        **{"dataset": "commune-classes", "vintage": "COG 2025", "licence": "", "path": "",
           "checksum": "", "complete_for": {"scope": "none"}, "loaded_at": datetime.now(UTC),
           "counts": {}, "current": True, **values}))
