"""failed login attempts, and the sessions' generation of each account

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

``login_attempts``: failed logins (client address, normalised email, time), counted per
client and per account by every worker, so that the login limit holds across processes.
``users.session_generation``: part of every session's id, raised at logout, so that a copied
session cookie stops working once its owner has logged out. Same on both backends.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_client_attempted_at",
                              ["client", "attempted_at"], unique=False)
        batch_op.create_index("ix_login_attempts_email_attempted_at",
                              ["email", "attempted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempts_attempted_at"), ["attempted_at"],
                              unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
    op.drop_table("login_attempts")
