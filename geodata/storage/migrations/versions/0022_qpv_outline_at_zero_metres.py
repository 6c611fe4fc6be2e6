"""PostGIS classification: a place at « 0,0 m » from a QPV (under 5 cm, the distance as
shown) is on its outline, so in it (PostGIS only)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

The rules count a QPV's outline as its own (« limite comprise »). A point on an outline's
vertex, projected, lands a fraction of a millimetre inside or outside it, and PostGIS's
projection and the engine's (pyproj) do not land it on the same side: on 43,026 points
around the QPV of the Bouches-du-Rhône, 21 were « en QPV » in SQL and « dans aucun QPV …
à 0,0 m » in the engine. Both now read the outline as the distance shown: rounded to
« 0,0 m », the point is in the nearest QPV (``geodata.eligibility.engine._qpv_search``).
As 0021 does, the definitions in service are read back (``pg_get_functiondef``) and one
expression is replaced in each function, counted.
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

EXPRESSIONS = {
    "classify_part": (
        "SELECT f.ord, z.territory, f.commune_code, f.qpv_code,",
        "SELECT f.ord, z.territory, f.commune_code, coalesce(f.qpv_code, CASE WHEN "
        "floor(f.nearest_distance * 10.0 + 0.5) = 0 THEN f.nearest_code END) AS qpv_code,"),
    "classify_unindexed": (
        "inq.code AS qpv_code,",
        "coalesce(inq.code, CASE WHEN floor(nq.distance * 10.0 + 0.5) = 0 THEN nq.code END) "
        "AS qpv_code,"),
}
"""Function of ``fabriques_internal`` -> (the QPV holding the point before, after)."""


def _rewrite(upgrading: bool) -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    for function, (before, after) in EXPRESSIONS.items():
        old, new = (before, after) if upgrading else (after, before)
        definition = connection.exec_driver_sql(
            f"SELECT pg_get_functiondef('fabriques_internal.{function}'::regproc)").scalar_one()
        assert definition.count(old) == 1, f"{function} : {definition.count(old)} fois"
        op.execute(definition.replace(old, new))  # op.execute: the RAISE's « % » escaped


def upgrade() -> None:
    _rewrite(upgrading=True)


def downgrade() -> None:
    _rewrite(upgrading=False)
