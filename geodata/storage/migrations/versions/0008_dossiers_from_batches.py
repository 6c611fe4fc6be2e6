"""dossiers created from a checker's batch have no filing date

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

A finished ``/verifier/lot`` can be turned into dossiers of a wave: its rows give the DS
number and the place, not the filing date, which stays empty (never invented) until the
Démarches Simplifiées export of the wave is imported. ``dossiers.filed_at`` becomes nullable.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.alter_column("filed_at", existing_type=sa.DateTime(timezone=True),
                              nullable=True)


def downgrade() -> None:
    undated = op.get_bind().execute(
        sa.text("SELECT count(*) FROM dossiers WHERE filed_at IS NULL")).scalar_one()
    if undated:
        raise RuntimeError(f"{undated} dossier(s) sans date de dépôt (créés depuis un lot) : "
                           "importez l'export Démarches Simplifiées de leur vague avant de "
                           "revenir à la révision 0007")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.alter_column("filed_at", existing_type=sa.DateTime(timezone=True),
                              nullable=False)
