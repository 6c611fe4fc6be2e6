"""An analyst's grants on the views survive ``fabriques db upgrade`` (PostGIS only): the
migrations that rewrite a view (0011, 0016) dropped it and made it again, and the role given
``SELECT`` on it, as docs/analystes.md advises, lost it without a word."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from geodata.storage.database import make_engine, upgrade

VIEWS = ("laureates_eligibility_current", "laureates_eligibility_ami_2019")
ROLE = f"fabriques_analyste_test_{os.getpid()}"


def views(connection) -> list[str]:
    """The schema's views, but PostGIS's own (``geometry_columns``…)."""
    return list(connection.execute(sa.text(
        "SELECT c.relname FROM pg_class AS c WHERE c.relkind = 'v' "
        "AND c.relnamespace = current_schema()::regnamespace AND NOT EXISTS ("
        "SELECT FROM pg_depend AS d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY c.relname")).scalars())


def privileges(connection, role: str) -> dict[str, bool]:
    return {view: connection.execute(sa.text("SELECT has_table_privilege(:r, :v, 'SELECT')"),
                                     {"r": role, "v": view}).scalar_one()
            for view in views(connection)}


@pytest.mark.parametrize("backend", ["postgis"])
@pytest.mark.parametrize("revision", ["0002", "0015"])
def test_grants_on_the_views_are_kept_by_an_upgrade(unmigrated_url, revision):
    engine = make_engine(unmigrated_url)
    try:
        upgrade(engine, revision)
        with engine.begin() as connection:
            assert views(connection) == sorted(VIEWS)
            connection.execute(sa.text(f"CREATE ROLE {ROLE} NOLOGIN"))
            connection.execute(sa.text(
                f"GRANT SELECT ON {', '.join(VIEWS)}, laureates TO {ROLE}"))
            connection.execute(sa.text(
                "GRANT SELECT ON laureates_eligibility_current TO PUBLIC"))
        upgrade(engine)
        with engine.connect() as connection:
            assert privileges(connection, ROLE) == dict.fromkeys(VIEWS, True)
            assert connection.execute(sa.text(
                "SELECT has_table_privilege(:r, 'laureates', 'SELECT')"),
                {"r": ROLE}).scalar_one()
            # PUBLIC's grant is kept as PUBLIC's, not given to the role alone
            assert privileges(connection, "pg_monitor") == {
                "laureates_eligibility_ami_2019": False, "laureates_eligibility_current": True}
    finally:
        with engine.begin() as connection:
            if connection.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                  {"r": ROLE}).first():
                connection.execute(sa.text(f"DROP OWNED BY {ROLE}"))  # its grants, here
                connection.execute(sa.text(f"DROP ROLE {ROLE}"))
        engine.dispose()
