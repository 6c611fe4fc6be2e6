"""Every table and view the guide's read-only role may read (docs/analystes.md) says what it
is, and each of its columns too, in the comments QGIS and psql show (PostGIS only, migration
0026); a view dropped and made again keeps them (``view_comments.comments_kept``)."""

from __future__ import annotations

import re

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text

from geodata.storage.database import make_engine
from geodata.storage.migrations.view_comments import comments_kept, comments_of
from tests.geodata.test_analysts_guide import guide_sql

PRIVATE = {"alembic_version", "users", "login_attempts", "checks", "dossiers",
           "dossier_events", "jury_sessions", "deliverables", "networks", "network_members"}
"""The public schema's tables that the guide's role does not read: accounts, histories and
dossiers (personal data), the service's own."""
RELATIONS = """
SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment,
       array_agg(a.attname ORDER BY a.attnum)
           FILTER (WHERE coalesce(col_description(c.oid, a.attnum), '') = '') AS bare,
       bool_or(format_type(a.atttypid, NULL) = 'geometry') AS spatial
  FROM pg_class AS c
  JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
   AND NOT EXISTS (SELECT FROM pg_depend AS d WHERE d.classid = 'pg_class'::regclass
                   AND d.objid = c.oid AND d.deptype = 'e')
 GROUP BY c.oid, c.relname
"""


def published() -> set[str]:
    """The tables and views of the guide's ``GRANT SELECT``."""
    grant = re.search(r"GRANT SELECT ON (.*?)\s+TO analyste", guide_sql()[0], re.DOTALL)
    return {name.strip() for name in grant.group(1).split(",")}


@pytest.fixture
def relations(postgis_url) -> dict[str, dict]:
    engine = make_engine(postgis_url)
    try:
        with engine.connect() as connection:
            return {row.relname: row._asdict()
                    for row in connection.execute(text(RELATIONS))}
    finally:
        engine.dispose()


@pytest.mark.postgis
def test_every_published_table_and_column_says_what_it_is(relations):
    tables = published()
    # a new table is either granted by the guide (and then commented) or private here
    assert set(relations) == tables | PRIVATE
    assert {name: relations[name]["bare"] for name in tables if relations[name]["bare"]} == {}
    assert [name for name in tables if not relations[name]["comment"]] == []
    # the lasting key of each; the CRS and the unit of distances of each geometry
    assert [name for name in tables if "Clé" not in relations[name]["comment"]] == []
    spatial = [name for name in tables if relations[name]["spatial"]]
    assert [name for name in spatial if "EPSG:4326" not in relations[name]["comment"]
            or "mètres" not in relations[name]["comment"]] == []


@pytest.mark.postgis
def test_a_view_made_again_keeps_its_comments_unless_it_says_new_ones(postgis_url):
    view = "laureates_eligibility_current"
    engine = make_engine(postgis_url)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            definition = connection.scalar(
                text("SELECT pg_get_viewdef(CAST(:v AS regclass))"), {"v": view})
            with Operations.context(MigrationContext.configure(connection)):
                with comments_kept(view):
                    connection.exec_driver_sql(f"DROP VIEW {view}")
                    connection.exec_driver_sql(f"CREATE VIEW {view} AS {definition}")
                    connection.exec_driver_sql(f"COMMENT ON COLUMN {view}.name IS 'Nouveau.'")
                kept = comments_of(view)
            transaction.rollback()
    finally:
        engine.dispose()
    assert kept["name"] == "Nouveau."
    assert "Clé durable : id" in kept[None] and "mètres" in kept["distance_to_qpv_m"]
    assert all(kept.values())
