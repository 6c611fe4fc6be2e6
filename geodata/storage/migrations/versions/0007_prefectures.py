"""prefecture accounts and their avis on dossiers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

``users``: the role ``prefecture`` (the CHECK constraint rewritten) and ``departements``, the
départements a prefecture's account sees (JSON list of codes). ``dossiers``: the prefecture's
avis (favorable, reserve, defavorable), its text, who gave it and when. Same on both backends.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("ck_users_role", type_="check")
        batch_op.create_check_constraint(
            "ck_users_role", "role IN ('instructor', 'ministry', 'prefecture', 'admin')")
        batch_op.add_column(sa.Column("departements", sa.JSON(), nullable=True))
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avis", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("avis_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("avis_by", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("avis_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        for column in ("avis_at", "avis_by", "avis_text", "avis"):
            batch_op.drop_column(column)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("departements")
        batch_op.drop_constraint("ck_users_role", type_="check")
        batch_op.create_check_constraint(
            "ck_users_role", "role IN ('instructor', 'ministry', 'admin')")
