"""accounts and the instructors' history of checks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

``users``: people who log in (role instructor, ministry or admin, a CHECK constraint; the
password only as a hash). ``checks``: a check kept in a dossier's history, with the engine's
answer (the contract's keys, JSON), the dataset versions it used and the dossier's fields
(reference, project, wave, FNT, funding asked). Same tables on both backends.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('instructor', 'ministry', 'admin')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("geocoded_label", sa.Text(), nullable=True),
        sa.Column("geocoding_score", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("precision", sa.String(length=16), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("dataset_versions", sa.JSON(), nullable=False),
        sa.Column("dossier_ref", sa.Text(), nullable=True),
        sa.Column("project_name", sa.Text(), nullable=True),
        sa.Column("wave", sa.String(length=16), nullable=True),
        sa.Column("fnt", sa.Boolean(), nullable=True),
        sa.Column("funding_eur", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_checks_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
    )
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checks_checked_at"), ["checked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_checks_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checks_wave"), ["wave"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checks_wave"))
        batch_op.drop_index(batch_op.f("ix_checks_user_id"))
        batch_op.drop_index(batch_op.f("ix_checks_checked_at"))

    op.drop_table("checks")
    op.drop_table("users")
