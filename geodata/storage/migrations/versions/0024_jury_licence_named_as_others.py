"""dataset_versions.licence: the jury's laureates under the name every other source gives
the same licence

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

The data page listed the jury's laureates under « Licence Ouverte 2.0 » and every other open
source under « Licence Ouverte / Etalab 2.0 »: one licence, two names. The jury's versions
written before take the registry's name (copied here: a migration never imports the
registry); those written since carry it (``geodata.storage.jury_laureates.JURY_LICENCE``).
Same on both backends.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

JURY_SOURCE = "decisions-jury"
OLD, NEW = "Licence Ouverte 2.0", "Licence Ouverte / Etalab 2.0"


def _rename(old: str, new: str) -> None:
    versions = sa.table("dataset_versions", sa.column("source", sa.String),
                        sa.column("licence", sa.String))
    op.execute(versions.update().where(versions.c.source == JURY_SOURCE,
                                       versions.c.licence == old).values(licence=new))


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
