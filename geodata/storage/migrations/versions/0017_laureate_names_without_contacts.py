"""laureates' names without e-mail addresses or telephone numbers (both backends)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

The published list names one Fabrique « SCENE NATIONALE 61 bdd h.s = modifier mail
alimoes@… » (a note of whoever typed it), and an applicant may type a number in a project's
name. Every page, the OGC API and the open data removed them when read
(``geodata.publication.without_contacts``), but the ``laureates`` table and the views
``laureates_eligibility_*`` that analysts read in PostGIS kept them. The loaders now remove
them when they write (``loaders.laureates``, ``geodata.storage.jury_laureates``); this
migration removes them from the rows already stored, which a load of the same file would
leave as they are (« inchangé »). The patterns are those of ``geodata.publication`` on this
date, copied so that this migration keeps doing what it did.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\d+])(?:\+33[\s.-]?(?:\(0\)[\s.-]?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")


def upgrade() -> None:
    connection = op.get_bind()
    laureates = sa.table("laureates", sa.column("id", sa.String), sa.column("name", sa.String))
    for laureate_id, name in connection.execute(sa.select(laureates.c.id, laureates.c.name)):
        cleaned = PHONE.sub("[numéro de téléphone retiré]",
                            EMAIL.sub("[adresse électronique retirée]", name or ""))
        if name and cleaned != name:
            connection.execute(sa.update(laureates).where(laureates.c.id == laureate_id)
                               .values(name=cleaned))


def downgrade() -> None:
    """The addresses and numbers removed are not kept: nothing to put back."""
