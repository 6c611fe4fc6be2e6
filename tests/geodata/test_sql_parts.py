"""PostGIS: ``fabriques_classify`` cuts many points in parts run in parallel (migration 0013).

Over twice ``PART_POINTS`` points, the function classifies consecutive slices of its input
with ``fabriques_internal.classify_part``, one per process PostgreSQL may give the query (the
leader counting only when it takes part, migration 0015); the rows must come back complete,
in input order, and equal to those of one part.
"""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
from sqlalchemy import text

from geodata.policy import load_policy
from geodata.storage.database import make_engine
from geodata.storage.sql_classification import sql_parameters
from tests.geodata.sql_crosscheck import random_points

MIGRATION = importlib.import_module(
    "geodata.storage.migrations.versions.0013_classify_in_parallel_parts")
PART_POINTS, MAX_PARTS = MIGRATION.PART_POINTS, MIGRATION.MAX_PARTS

# classify_sql's call without its ORDER BY: the order is what the function returns.
CLASSIFY = text(
    "SELECT * FROM fabriques_classify(CAST(:lons AS float8[]), CAST(:lats AS float8[]), "
    ":vintage, :proximity_m, :search_radius_m, :urban_definition, "
    "CAST(:density_levels AS int[]), :precedence)"
)


def _classified(connection, workers: int, parameters: dict,
                leader: bool = True) -> tuple[int, list[tuple]]:
    """(the number of parts, the rows as returned) with that many parallel workers allowed,
    the leader taking part in the work or not."""
    connection.execute(text(f"SET LOCAL max_parallel_workers_per_gather = {workers}"))
    connection.execute(text(
        f"SET LOCAL parallel_leader_participation = {'on' if leader else 'off'}"))
    parts = connection.scalar(text("SELECT fabriques_internal.classify_parts(:n)"),
                              {"n": len(parameters["lons"])})
    return parts, [tuple(row) for row in connection.execute(CLASSIFY, parameters).all()]


@pytest.mark.postgis
@pytest.mark.shared_data
def test_parts_answer_in_input_order_as_one_part(loaded):
    """The seeded points of the cross-check (every territory, around QPVs, along the complete
    area's frontier, outside every territory) repeated past 3 × PART_POINTS (three parts),
    with a few more so that the parts' bounds fall inside the repetitions."""
    policy = load_policy("current")
    lons, lats, _ = random_points(loaded, np.random.default_rng(20261204))
    repeat = 3 * PART_POINTS // len(lons) + 1
    count = repeat * len(lons) + 7
    all_lons = np.resize(lons, count)
    all_lats = np.resize(lats, count)
    parameters = sql_parameters(policy, all_lons, all_lats)

    with loaded.begin() as connection:
        connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        parts, parallel = _classified(connection, 2, parameters)
        workers_only, by_workers = _classified(connection, 2, parameters, leader=False)
        one_part, serial = _classified(connection, 0, parameters)
        # The parts' generic plans were the function's own business.
        after = connection.scalar(text("SHOW plan_cache_mode"))

    assert after == "force_custom_plan"

    assert (parts, workers_only, one_part) == (3, 2, 1)
    assert [row[0] for row in parallel] == list(range(1, count + 1))
    assert parallel == serial
    assert by_workers == serial
    # The same point, wherever its copy fell, gets the same answer.
    first = [row[1:] for row in serial[:len(lons)]]
    for start in range(0, count, len(lons)):
        copy = [row[1:] for row in parallel[start:start + len(lons)]]
        assert copy == first[:len(copy)], start
    categories = {row[-1] for row in parallel}
    assert {"qpv", "hors-grands-centres-urbains", "non-eligible", "a-verifier"} <= categories


@pytest.mark.postgis
def test_few_points_make_one_part(postgis_url):
    """No worker for a single check, the views or any call under 2 × PART_POINTS points;
    never more parts than processes (workers, and the leader when it takes part), nor than
    the statement's slots; an absent array is no part."""
    engine = make_engine(postgis_url)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL max_parallel_workers_per_gather = 2"))
        parts = [connection.scalar(text("SELECT fabriques_internal.classify_parts(:n)"),
                                   {"n": n})
                 for n in (None, 0, 1, 2 * PART_POINTS - 1, 2 * PART_POINTS, 10 * PART_POINTS)]
        many = []
        for workers in (6, 7, 12):
            connection.execute(text(f"SET LOCAL max_parallel_workers_per_gather = {workers}"))
            many.append(connection.scalar(
                text("SELECT fabriques_internal.classify_parts(:n)"), {"n": 20 * PART_POINTS}))
        # A leader that takes no part: one part per worker (a third part would wait).
        connection.execute(text("SET LOCAL parallel_leader_participation = off"))
        workers_only = []
        for workers in (0, 1, 2):
            connection.execute(text(f"SET LOCAL max_parallel_workers_per_gather = {workers}"))
            workers_only.append(connection.scalar(
                text("SELECT fabriques_internal.classify_parts(:n)"), {"n": 10 * PART_POINTS}))
    engine.dispose()
    assert parts == [1, 1, 1, 1, 2, 3]
    assert many == [7, MAX_PARTS, MAX_PARTS] == [7, 8, 8]
    assert workers_only == [1, 1, 2]


@pytest.mark.postgis
def test_the_nearest_qpv_is_the_least_distance_then_the_least_code(postgis_url):
    """classify_part keeps the least (distance, code) pair of a point's QPVs (migration
    0015): the engine's nearest QPV, the lowest code among those at the same distance."""
    engine = make_engine(postgis_url)
    with engine.connect() as connection:
        nearest = connection.scalar(text(
            "SELECT (min(ARRAY[(d, c)::fabriques_internal.nearest_qpv]))[1].code "
            "FROM (VALUES (12.5::float8, 'QN00001M'), (10.0, 'QN00003M'), (10.0, 'QN00002M'), "
            "(1000.0, 'QN00000M')) AS v(d, c)"))
    engine.dispose()
    assert nearest == "QN00002M"


def _plans(node: dict):
    """A plan node and every node under it."""
    yield node
    for child in node.get("Plans", []):
        yield from _plans(child)


@pytest.mark.postgis
@pytest.mark.shared_data
def test_each_points_rows_are_aggregated_in_the_order_they_come(loaded):
    """Migration 0015: a CRS's tested rows reach their aggregate sorted by cell and point, as
    the points were sorted before the probes: no sort of the rows in between (the plan read
    with auto_explain, as PostgreSQL ran it)."""
    rng = np.random.default_rng(20261204)
    lons, lats = rng.uniform(5.30, 5.50, 2_000), rng.uniform(43.25, 43.40, 2_000)
    notices = []
    with loaded.connect() as connection:
        connection.connection.driver_connection.add_notice_handler(
            lambda notice: notices.append(notice.message_primary))
        for setting in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_nested_statements = on",
                        "SET auto_explain.log_format = json",
                        "SET auto_explain.log_level = notice"):
            connection.execute(text(setting))
        rows = connection.execute(CLASSIFY, sql_parameters(load_policy("current"), lons,
                                                           lats)).all()
    plans = [json.loads(n[n.index("{"):]) for n in notices if "{" in n]
    statement = next(p["Plan"] for p in plans if "tested_2154" in p.get("Query Text", ""))
    # The aggregate of Lambert-93's rows, where the points are (the planner may sort the
    # empty branches of other CRS, whose small tables it reads whole).
    metropole = [node for node in _plans(statement)
                 if node["Node Type"] == "Aggregate" and node.get("Strategy") == "Sorted"
                 and any(n.get("Relation Name") == "cells_2154" for n in _plans(node))]
    assert len(rows) == 2_000
    assert len(metropole) == 1
    assert [child["Node Type"] for child in metropole[0]["Plans"]] == ["Nested Loop"]
