"""Cells read from their key alone: covering primary keys (PostGIS only)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

``fabriques_classify`` (0010, 0012, 0013) probes ``fabriques_internal.cells_<srid>`` once per
point, by its key ``(zone, cell, piece)``, and reads three more columns of every row found
(``layer``, ``code``, ``whole``): some three rows a point, each fetched from the table's heap,
2 million rows in metropolitan France for two vintages, in no useful order. The key now
carries those columns (``INCLUDE``): once the table is vacuumed (``fabriques db cache-sql``
does it after computing the cache, autovacuum soon after any other computation), the probes
are index-only scans and the heap is not read. Same rows, same answers.

Measured on 100,000 random points over metropolitan France (``bench/classify.py``'s points;
2 cores, shared, the same minute, three runs each way): best 0.69-0.74 s with the covering
key, 0.80-0.81 s without.
"""

import importlib

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

KEY = "PRIMARY KEY (zone, cell, piece)"
COVERED = "INCLUDE (layer, code, whole)"


def _keys(covered: bool) -> str:
    """The cells tables of migration 0010 (its schema, one per CRS), keyed again."""
    cells = importlib.import_module(
        "geodata.storage.migrations.versions.0010_classification_by_cells")
    return "\n".join(
        f"ALTER TABLE {cells.INTERNAL}.cells_{srid} DROP CONSTRAINT pk_cells_{srid}, "
        f"ADD CONSTRAINT pk_cells_{srid} {KEY}{' ' + COVERED if covered else ''};"
        for srid in cells.SRIDS)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    op.execute(_keys(covered=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_keys(covered=False))
