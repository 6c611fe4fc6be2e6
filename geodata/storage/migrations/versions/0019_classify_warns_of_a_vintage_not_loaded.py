"""PostGIS classification: ``fabriques_classify`` warns when no QPV of the vintage asked is
loaded (PostGIS only)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

An analyst calling ``fabriques_classify(lons, lats, '2023', ...)`` (a vintage that does not
exist) or ``'2024'`` on a database holding only the 2015 outlines got « à vérifier » for
the QPV half of every point, rightly (no outline, no « no »), but without a word: the
answer looked like data. The function now raises a WARNING naming the vintage asked and
those loaded (psql prints it; a client reads it as a notice), and answers as before. The
text is 0015's function, as its upgrade creates it, with the check added after the
parameters' checks.
"""

import importlib

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

PARAMETERS_CHECKED = (
    "        RAISE EXCEPTION 'fabriques_classify : il faut 0 < proximity_m <= search_radius_m';\n"
    "    END IF;\n")

VINTAGE_CHECK = """
    IF NOT EXISTS (SELECT 1 FROM qpv AS q WHERE q.vintage = fabriques_classify.vintage) THEN
        RAISE WARNING 'fabriques_classify : aucun contour de QPV du millésime % n''est chargé '
            '(millésimes chargés : %) : la moitié QPV de chaque point reste à vérifier',
            fabriques_classify.vintage,
            coalesce((SELECT string_agg(DISTINCT q.vintage, ', ' ORDER BY q.vintage)
                        FROM qpv AS q), 'aucun');
    END IF;
"""


def _parts_migration():
    return importlib.import_module(
        "geodata.storage.migrations.versions.0015_classify_part_in_cell_groups")


def _classify_of_0015() -> str:
    """0015's fabriques_classify, as its upgrade creates it."""
    m15 = _parts_migration()
    _m10, _part, _parts, classify = m15._sources()
    return m15._replaced(classify, *m15.ONE_PART)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    op.execute(_parts_migration()._replaced(_classify_of_0015(), PARAMETERS_CHECKED,
                                            PARAMETERS_CHECKED + VINTAGE_CHECK))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_classify_of_0015())
