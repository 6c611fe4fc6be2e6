"""An analyst's role given only the guide's grants (docs/analystes.md: nothing on
``fabriques_internal``) classifies points with ``fabriques_classify`` and reads both views of
laureates, with the answers the service's role gets (PostGIS only, migration 0025): the
functions run with their owner's rights, on a search path that the caller's temporary
tables do not enter."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geodata.storage.database import make_engine
from tests.geodata.test_analysts_guide import create_guide_role
from tests.loaders.common import load

SOURCES = ("regions", "departements", "communes", "qpv2024-paca", "laureates")
"""Enough for the views to classify the published laureates and for QPVs to be found."""
# Marseille near two QPVs, Paris (no outline of 2024 loaded there), outside every territory
POINTS = ((5.4034, 43.3305), (5.3698, 43.2965), (2.3522, 48.8566), (0.0, 0.0))
LONS, LATS = ([point[i] for point in POINTS] for i in (0, 1))
CLASSIFY = (f"SELECT * FROM fabriques_classify(ARRAY{LONS}::float8[], ARRAY{LATS}::float8[], "
            "'2024', 300, 5000, 'density_grid', ARRAY[1]::int[], 'qpv') ORDER BY ord")
QUERIES = (CLASSIFY,
           "SELECT * FROM laureates_eligibility_current ORDER BY id",
           "SELECT * FROM laureates_eligibility_ami_2019 ORDER BY id")
SHADOWS = ("territories", "qpv")
"""Tables the functions read unqualified; the analyst makes empty temporary ones of the
same names, which the functions must not read instead."""
DEFINERS = {"fabriques_classify", "fabriques_qpv_complete_areas", "hosting_within"}
OURS = ("(p.pronamespace = 'fabriques_internal'::regnamespace OR (p.pronamespace = "
        "'public'::regnamespace AND starts_with(p.proname, 'fabriques_')))")


def answers(connection) -> list[list[tuple]]:
    return [[tuple(row) for row in connection.execute(text(query))] for query in QUERIES]


@pytest.mark.postgis
@pytest.mark.shared_data
def test_the_guides_role_classifies_and_reads_the_views_without_internal_grants(
        postgis_url, data_dir):
    engine = make_engine(postgis_url)
    try:
        for name in SOURCES:
            load(engine, name, data_dir)
        with engine.connect() as connection:
            expected = answers(connection)  # the service's role, owner of everything
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(text("DELETE FROM fabriques_internal.qpv_complete_areas"))
            role = create_guide_role(connection)
            assert not connection.scalar(text(
                "SELECT has_schema_privilege(:r, 'fabriques_internal', 'USAGE')"), {"r": role})
            connection.execute(text(f"SET LOCAL ROLE {role}"))
            for table in SHADOWS:
                connection.execute(text(
                    f"CREATE TEMP TABLE {table} AS SELECT * FROM public.{table} WHERE false"))
            got = answers(connection)
            connection.execute(text("RESET ROLE"))
            cached = connection.scalar(text(
                "SELECT count(*) FROM fabriques_internal.qpv_complete_areas"))
            transaction.rollback()
    finally:
        engine.dispose()
    assert got == expected
    classified, current, ami_2019 = got
    assert [row[-1] for row in classified] == ["qpv", "qpv", "a-verifier", "a-verifier"]
    assert len(current) == len(ami_2019) > 300
    assert cached  # the analyst's call kept the cache, with its owner's rights


@pytest.mark.postgis
def test_the_functions_analysts_call_run_as_their_owner_on_a_fixed_path(postgis_url):
    """Pinned at the head of the migrations, so that a later one rewriting a function
    (``CREATE OR REPLACE`` resets both) keeps them."""
    engine = make_engine(postgis_url)
    try:
        with engine.connect() as connection:
            definers = set(connection.scalars(text(
                f"SELECT p.proname FROM pg_proc AS p WHERE {OURS} AND p.prosecdef")))
            paths = dict(connection.execute(text(
                "SELECT p.oid::regprocedure::text, c.setting FROM pg_proc AS p "
                f"CROSS JOIN LATERAL unnest(p.proconfig) AS c(setting) WHERE {OURS} "
                "AND starts_with(c.setting, 'search_path=')")).all())
    finally:
        engine.dispose()
    assert definers == DEFINERS
    assert len(paths) >= 3 + 2 + 5  # the definers, the two classifiers, index_zone_<srid>
    assert {function: path for function, path in paths.items()
            if not path.endswith(", pg_temp")} == {}
