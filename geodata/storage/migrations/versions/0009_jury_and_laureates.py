"""jury sessions, laureates decided here, deliverables of the Fabriques

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

``jury_sessions``: a wave's jury, opened then closed (closing locks its decisions and
records who sat on it); ``dossier_events.jury_session_id``: the session a decision was made
in. ``laureates`` gains what a decision knows and the published list does not: the dossier
number, SIRET and amounts granted year by year, and how the laureate stands to the published
list (``published_match``, ``match_state``). ``deliverables``: the links a Fabrique shares,
with their licence. Same on both backends.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jury_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("members", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jury_sessions")),
    )
    with op.batch_alter_table("jury_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jury_sessions_wave"), ["wave"], unique=False)
    with op.batch_alter_table("dossier_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jury_session_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_dossier_events_jury_session_id_jury_sessions"), "jury_sessions",
            ["jury_session_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_dossier_events_jury_session_id"),
                              ["jury_session_id"], unique=False)
    with op.batch_alter_table("laureates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dossier_number", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("siret", sa.String(length=14), nullable=True))
        for column in ("amount_1", "amount_2", "amount_3"):
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("published_match", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("match_state", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_laureates_dossier_number"),
                                          ["dossier_number"])
    op.create_table(
        "deliverables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("laureate_id", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("licence", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliverables")),
    )
    with op.batch_alter_table("deliverables", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliverables_laureate_id"), ["laureate_id"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("deliverables")
    with op.batch_alter_table("laureates", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_laureates_dossier_number"), type_="unique")
        for column in ("match_state", "published_match", "amount_3", "amount_2", "amount_1",
                       "siret", "dossier_number"):
            batch_op.drop_column(column)
    with op.batch_alter_table("dossier_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_events_jury_session_id"))
        batch_op.drop_constraint(batch_op.f("fk_dossier_events_jury_session_id_jury_sessions"),
                                 type_="foreignkey")
        batch_op.drop_column("jury_session_id")
    op.drop_table("jury_sessions")
