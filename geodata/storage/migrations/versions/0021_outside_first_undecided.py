"""PostGIS classification: under the precedence « outside large urban centres first », a
place in or near a QPV whose urban half is unknown is « à vérifier », not « qpv » (PostGIS only)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

With that precedence, a place outside large urban centres counts there even in a QPV: one in
a QPV whose urban half is unknown may still be outside them, so it is undecided. The engine
(``geodata.eligibility.categories``) and the SQL both said « qpv »; no shipped policy uses
that precedence, but a policy file may. The category's CASE is in two functions, each
rewritten by several migrations (0010 to 0020): their definitions in service are read back
(``pg_get_functiondef``) and only that branch is replaced, once in each, counted.
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

FUNCTIONS = ("classify_unindexed", "classify_part")
"""The functions of ``fabriques_internal`` that write the category."""
BEFORE = "WHEN h.qpv_half THEN 'qpv'"


def _after(function: str) -> str:
    return (f"WHEN h.qpv_half AND ({function}.precedence = 'qpv' "
            "OR h.outside_large_urban_centre = false) THEN 'qpv'")


def _rewrite(old, new) -> None:
    connection = op.get_bind()
    for function in FUNCTIONS:
        definition = connection.exec_driver_sql(
            f"SELECT pg_get_functiondef('fabriques_internal.{function}'::regproc)").scalar_one()
        before, after = old(function), new(function)
        assert definition.count(before) == 1, f"{function} : {definition.count(before)} fois"
        op.execute(definition.replace(before, after))  # op.execute: the RAISE's « % » escaped


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    _rewrite(lambda _: BEFORE, _after)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rewrite(_after, lambda _: BEFORE)
