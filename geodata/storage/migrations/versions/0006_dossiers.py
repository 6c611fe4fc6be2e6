"""the dossiers of the waves and their events

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

``dossiers``: one application, by its Démarches Simplifiées number: what it says, where it
is (as filed or geocoded), the automatic checks (JSON) with the policy and dataset versions
used, the category and commune found, and its instruction state. ``dossier_events``: what
happened to a dossier, appended only (who, when, from, to, motivation, details). Same tables
on both backends.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("wave", sa.String(length=16), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("ds_state", sa.String(length=32), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("legal_form", sa.Text(), nullable=True),
        sa.Column("legal_form_code", sa.String(length=8), nullable=True),
        sa.Column("project_name", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=True),
        sa.Column("existing_place", sa.Boolean(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("precision", sa.String(length=16), nullable=True),
        sa.Column("geocoded_label", sa.Text(), nullable=True),
        sa.Column("amount_1", sa.Integer(), nullable=True),
        sa.Column("amount_2", sa.Integer(), nullable=True),
        sa.Column("amount_3", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("departement_code", sa.String(length=3), nullable=True),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        sa.Column("dataset_versions", sa.JSON(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("number", name=op.f("uq_dossiers_number")),
    )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        for column in ("wave", "state", "category", "departement_code"):
            batch_op.create_index(batch_op.f(f"ix_dossiers_{column}"), [column], unique=False)
    op.create_table(
        "dossier_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("motivation", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"],
                                name=op.f("fk_dossier_events_dossier_id_dossiers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_events")),
    )
    with op.batch_alter_table("dossier_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_events_dossier_id"), ["dossier_id"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("dossier_events")
    op.drop_table("dossiers")
