"""PostGIS cross-check: ``fabriques_classify`` (SQL, migration 0002) against the Python engine.

Every source of the shared folder is loaded once into a PostGIS copy of the test template;
then, for both shipped policies, the laureates' points and a few thousand seeded random
points (uniform over metropolitan France, clustered around real QPVs and along the frontier
of the QPV sources' complete area, in every overseas territory, and outside them all) are
classified by both and compared column by column. The other tests check the views, the
cached complete areas, the cache's refresh and its absence in read-only sessions, the
migration's downgrade, and that SQLite gets none of it.
"""

from __future__ import annotations

import math
import os
from collections import Counter

import numpy as np
import pytest
import shapely
from alembic import command
from alembic.config import Config
from pyproj import Transformer
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from geodata.eligibility import classify
from geodata.eligibility.engine import FALSE, HOSTING_TOLERANCE_M, TRUE, UNKNOWN
from geodata.policy import CATEGORIES, load_policy
from geodata.storage.database import (
    MIGRATIONS,
    DatabaseError,
    embedded_url,
    make_engine,
    upgrade,
)
from geodata.storage.reference import reference_index
from geodata.storage.sql_classification import SQL_COLUMNS, classify_sql
from geodata.territories import TERRITORIES
from loaders.pipeline import load_source
from loaders.registry import SOURCES
from tests.conftest import TEST_DATABASE_URL

POLICIES = ("current", "ami-2019")
SEED = 20261127
THRESHOLD_M = 0.05
"""Points this close to a decision threshold may fall either way (float noise, GEOS versions)."""
DISTANCE_TOLERANCE_M = 0.01
MAX_EXCLUDED = 5
OUTSIDE_EVERY_TERRITORY = [(-30.0, 40.0), (0.0, 0.0), (12.5, 41.9), (-5.6, 48.0), (-61.5, 17.0)]


@pytest.fixture(scope="module")
def loaded_url(postgis_template, data_dir):
    """A copy of the migrated template with every registered source loaded, for the module."""
    url = make_url(TEST_DATABASE_URL)
    copy = f"{postgis_template}_sqlcls_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{copy}"'))
        connection.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{postgis_template}"'))
    copy_url = url.set(database=copy).render_as_string(hide_password=False)
    try:
        engine = make_engine(copy_url)
        try:
            for name in SOURCES:
                load_source(engine, name, data_dir=data_dir, progress=False)
        finally:
            engine.dispose()
        yield copy_url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def loaded(loaded_url):
    engine = make_engine(loaded_url)
    yield engine
    engine.dispose()


# --- points ------------------------------------------------------------------------------


def _offsets(rng, count: int, max_m: float, lat: np.ndarray):
    """Random lon/lat offsets up to ``max_m`` metres, uniform in distance and direction."""
    distance = rng.uniform(0.0, max_m, count)
    angle = rng.uniform(0.0, 2 * math.pi, count)
    dlat = distance * np.cos(angle) / 111_320.0
    dlon = distance * np.sin(angle) / (111_320.0 * np.cos(np.radians(lat)))
    return dlon, dlat


def _uniform(rng, bbox, count: int):
    min_lon, min_lat, max_lon, max_lat = bbox
    return rng.uniform(min_lon, max_lon, count), rng.uniform(min_lat, max_lat, count)


def _random_points(engine, rng) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Seeded points: where they come from is kept to show which kinds were compared."""
    lons, lats, kinds = [], [], []

    def add(lon, lat, kind):
        lons.extend(lon)
        lats.extend(lat)
        kinds.extend([kind] * len(lon))

    add(*_uniform(rng, TERRITORIES["metropole"].bbox, 2000), "uniform-metropole")
    with engine.connect() as connection:
        centroids = np.array(connection.execute(text(
            "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM qpv "
            "ORDER BY vintage, code")).all())
    picked = centroids[rng.integers(0, len(centroids), 3000)]
    dlon, dlat = _offsets(rng, len(picked), 600.0, picked[:, 1])
    add(picked[:, 0] + dlon, picked[:, 1] + dlat, "around-qpv")
    for code, territory in TERRITORIES.items():
        if code != "metropole":
            add(*_uniform(rng, territory.bbox, 150), f"uniform-{code}")
    # Along the frontier of each vintage's complete area, where "not near" needs the whole
    # proximity disc inside the area.
    metropole = TERRITORIES["metropole"]
    to_lonlat = Transformer.from_crs(metropole.epsg, 4326, always_xy=True)
    for vintage in ("2015", "2024"):
        frontier = reference_index(engine, vintage).territories["metropole"].frontier
        if frontier is None or frontier.is_empty:
            continue
        along = shapely.line_interpolate_point(frontier, rng.uniform(0, frontier.length, 500))
        angle = rng.uniform(0.0, 2 * math.pi, 500)
        distance = rng.uniform(0.0, 600.0, 500)
        x = shapely.get_x(along) + distance * np.cos(angle)
        y = shapely.get_y(along) + distance * np.sin(angle)
        add(*to_lonlat.transform(x, y), f"frontier-{vintage}")
    add([p[0] for p in OUTSIDE_EVERY_TERRITORY], [p[1] for p in OUTSIDE_EVERY_TERRITORY],
        "outside")
    return np.array(lons, dtype=float), np.array(lats, dtype=float), kinds


def _laureate_points(engine) -> tuple[list[str], np.ndarray, np.ndarray]:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM laureates WHERE geom IS NOT NULL "
            "ORDER BY id")).all()
    return [r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows])


# --- the engine's answers as SQL rows ---------------------------------------------------


def _tristate(value) -> bool | None:
    return None if value == UNKNOWN else bool(value == TRUE)


def _code(codes: np.ndarray, row: int) -> str | None:
    return None if row < 0 else str(codes[row])


def engine_rows(engine, policy, lons, lats):
    """The Python engine's classification (precision "point") in the SQL function's shape:
    the same with the engine's cell grid as with its trees alone."""
    index = reference_index(engine, policy.qpv_vintage)
    result = classify(index, policy, lons, lats, grid=False)
    rows = _as_rows(index, result)
    assert _as_rows(index, classify(index, policy, lons, lats, grid=True)) == rows
    return index, result, rows


def _as_rows(index, result) -> list[dict]:
    rows = []
    for i in range(len(result)):
        distance = float(result.distance[i])
        rows.append({
            "ord": i + 1,
            "territory": result.territory[i],
            "commune_code": _code(index.communes.codes, result.commune[i]),
            "density_level": int(result.density_level[i]) or None,
            "metropole": _tristate(result.metropole[i]),
            "in_qpv": _tristate(result.in_qpv[i]),
            "qpv_code": _code(index.qpv.codes, result.qpv[i]),
            "nearest_qpv_code": _code(index.qpv.codes, result.nearest[i]),
            "distance_to_qpv_m": None if math.isnan(distance) else distance,
            "near_qpv": _tristate(result.near_qpv[i]),
            "outside_large_urban_centre": _tristate(result.outside[i]),
            "category": result.category[i],
        })
    return rows


def _near_threshold(index, policy, lons, lats, python_rows, sql_rows) -> np.ndarray:
    """Points within THRESHOLD_M of a decision threshold: the QPV distance against the
    proximity distance and the search radius, the frontier of the complete area against the
    proximity distance, the boundary of the complete area itself, and the communes hosting a
    QPV (official list) against the proximity distance plus their tolerance."""
    near = np.zeros(len(lons), dtype=bool)
    for i, (python, sql) in enumerate(zip(python_rows, sql_rows, strict=True)):
        for distance in (python["distance_to_qpv_m"], sql["distance_to_qpv_m"]):
            if distance is not None and min(
                    abs(distance - policy.proximity_m),
                    abs(distance - policy.search_radius_m)) < THRESHOLD_M:
                near[i] = True
    territories = np.array([row["territory"] for row in python_rows], dtype=object)
    for code, ti in index.territories.items():
        rows = np.flatnonzero(territories == code)
        if not len(rows):
            continue
        points = ti.project_points(lons[rows], lats[rows])
        if ti.complete_area is not None:
            to_frontier = shapely.distance(ti.frontier, points)
            to_boundary = shapely.distance(ti.complete_area.boundary, points)
            near[rows] |= (np.abs(to_frontier - policy.proximity_m) < THRESHOLD_M) \
                | (to_boundary < THRESHOLD_M)
        if ti.hosting_area is not None and not ti.hosting_area.is_empty:
            to_hosting = shapely.distance(ti.hosting_area, points)
            reach = policy.proximity_m + HOSTING_TOLERANCE_M
            near[rows] |= np.abs(to_hosting - reach) < THRESHOLD_M
    return near


def _differences(python: dict, sql: dict) -> list[str]:
    different = []
    for column in SQL_COLUMNS:
        left, right = python[column], sql[column]
        if column == "distance_to_qpv_m" and left is not None and right is not None:
            if abs(left - right) > DISTANCE_TOLERANCE_M:
                different.append(column)
        elif left != right:
            different.append(column)
    return different


def compare(engine, policy, lons, lats, label: str):
    """Classify with both and assert agreement; returns the engine's classification and which
    points were left out of the comparison (near a threshold)."""
    index, result, python_rows = engine_rows(engine, policy, lons, lats)
    sql_rows = classify_sql(engine, policy, lons, lats)
    assert len(sql_rows) == len(python_rows)
    assert [row["ord"] for row in sql_rows] == list(range(1, len(lons) + 1))
    excluded = _near_threshold(index, policy, lons, lats, python_rows, sql_rows)
    failures = []
    for i, (python, sql) in enumerate(zip(python_rows, sql_rows, strict=True)):
        if excluded[i]:
            continue
        different = _differences(python, sql)
        if different:
            failures.append(
                f"point {i + 1} ({lons[i]!r}, {lats[i]!r}) differs on {different}\n"
                f"    engine: {python}\n    sql:    {sql}")
    assert not failures, (
        f"{label}, politique {policy.name} : {len(failures)} désaccord(s) sur {len(lons)} "
        "points\n" + "\n".join(failures[:20]))
    return result, python_rows, excluded


def _assert_not_vacuous(result, rows: list[dict], policy, kept: np.ndarray) -> None:
    """Every answer, every category and every way of deciding occurred among compared points."""
    for column in ("in_qpv", "near_qpv"):
        seen = {row[column] for row in rows}
        assert seen == {True, False, None}, f"{policy.name}: {column} n'a pris que {seen}"
    categories = Counter(row["category"] for row in rows)
    assert set(categories) == set(CATEGORIES), f"{policy.name}: catégories {categories}"
    listed = result.no_hosting_commune
    ways = {
        # not in / not near a QPV because the sources are complete there
        "in_qpv faux (zone complète)": (result.in_qpv == FALSE) & ~listed,
        "near_qpv faux (disque complet)": (result.near_qpv == FALSE) & ~listed,
        # in the complete area, but the proximity disc crosses its frontier
        "in_qpv faux, near_qpv inconnu (frontière)": (result.in_qpv == FALSE)
        & (result.near_qpv == UNKNOWN),
    }
    if result.index.qpv.hosting_communes is not None:
        ways["in_qpv faux (liste officielle)"] = (result.in_qpv == FALSE) & listed
        ways["near_qpv faux (liste officielle)"] = (result.near_qpv == FALSE) & listed
    for way, mask in ways.items():
        assert (mask & kept).any(), f"{policy.name}: aucun point « {way} » comparé"


# --- tests -------------------------------------------------------------------------------


@pytest.mark.postgis
@pytest.mark.shared_data
@pytest.mark.parametrize("policy_name", POLICIES)
def test_sql_classification_agrees_with_the_engine(loaded, policy_name, capsys):
    policy = load_policy(policy_name)
    ids, laureate_lons, laureate_lats = _laureate_points(loaded)
    assert len(ids) > 300
    lons, lats, kinds = _random_points(loaded, np.random.default_rng(SEED))
    lons, lats = np.concatenate([laureate_lons, lons]), np.concatenate([laureate_lats, lats])
    kinds = ["laureate"] * len(ids) + kinds

    result, rows, excluded = compare(loaded, policy, lons, lats, "lauréats et points aléatoires")

    compared = [row for row, skip in zip(rows, excluded, strict=True) if not skip]
    with capsys.disabled():
        print(f"\n[{policy_name}] comparés : {len(compared)} points "
              f"({Counter(k for k, skip in zip(kinds, excluded, strict=True) if not skip)}) ; "
              f"exclus (à {THRESHOLD_M} m d'un seuil) : {int(excluded.sum())} ; "
              f"catégories : {dict(Counter(row['category'] for row in compared))}")
    assert excluded.sum() <= MAX_EXCLUDED
    _assert_not_vacuous(result, compared, policy, kept=~excluded)
    seeded = {kind.removeprefix("uniform-") for kind in kinds if kind.startswith("uniform-")}
    compared_territories = {row["territory"] for row in compared}
    assert seeded <= compared_territories
    assert None in compared_territories  # the points outside every territory


@pytest.mark.postgis
@pytest.mark.shared_data
def test_views_classify_every_located_laureate_like_the_engine(loaded):
    ids, lons, lats = _laureate_points(loaded)
    for view, policy_name in (("laureates_eligibility_current", "current"),
                              ("laureates_eligibility_ami_2019", "ami-2019")):
        with loaded.connect() as connection:
            rows = connection.execute(text(
                f"SELECT id, category, in_qpv, near_qpv, commune_code FROM {view} "
                "ORDER BY id")).mappings().all()
        assert [row["id"] for row in rows] == ids, view
        _, _, python_rows = engine_rows(loaded, load_policy(policy_name), lons, lats)
        sample = range(0, len(ids), max(1, len(ids) // 20))
        for i in sample:
            for column in ("category", "in_qpv", "near_qpv", "commune_code"):
                assert rows[i][column] == python_rows[i][column], (view, ids[i], column)


@pytest.mark.postgis
@pytest.mark.shared_data
def test_sql_classification_signature_and_errors(loaded):
    with loaded.connect() as connection:
        columns = connection.execute(text(
            "SELECT * FROM fabriques_classify(ARRAY[2.35]::float8[], ARRAY[48.85]::float8[], "
            "'2024', 300, 5000, 'density_grid', ARRAY[1], 'qpv')")).keys()
        assert tuple(columns) == SQL_COLUMNS
        comment = connection.scalar(text(
            "SELECT obj_description('laureates_eligibility_current'::regclass, 'pg_class')"))
        assert "current" in comment
        with pytest.raises(Exception, match="longitude"):
            connection.execute(text(
                "SELECT * FROM fabriques_classify(ARRAY[1, 2]::float8[], ARRAY[1]::float8[], "
                "'2024', 300, 5000, 'density_grid', ARRAY[1], 'qpv')"))
    assert classify_sql(loaded, load_policy("current"), [], []) == []


def test_sqlite_gets_no_sql_classification(tmp_path):
    engine = make_engine(embedded_url(tmp_path))
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert "laureates" in tables
        assert not {"territories", "qpv_complete_areas"} & tables
        with pytest.raises(DatabaseError, match="PostGIS"):
            classify_sql(engine, load_policy("current"), [2.35], [48.85])
    finally:
        engine.dispose()


def _classify_in(connection, policy, lons, lats) -> list[dict]:
    return [dict(row) for row in connection.execute(text(
        "SELECT * FROM fabriques_classify(CAST(:lons AS float8[]), CAST(:lats AS float8[]), "
        ":vintage, :proximity, :radius, :urban, CAST(:levels AS int[]), :precedence) "
        "ORDER BY ord"), {
            "lons": [float(v) for v in lons], "lats": [float(v) for v in lats],
            "vintage": policy.qpv_vintage, "proximity": policy.proximity_m,
            "radius": policy.search_radius_m, "urban": policy.urban_definition,
            "levels": list(policy.density_levels), "precedence": policy.precedence,
        }).mappings()]


@pytest.mark.postgis
@pytest.mark.shared_data
def test_read_only_session_classifies_without_the_cache(loaded):
    policy = load_policy("current")
    lons, lats, _ = _random_points(loaded, np.random.default_rng(SEED + 1))
    lons, lats = lons[::40], lats[::40]
    expected = classify_sql(loaded, policy, lons, lats)  # fills the cache
    with loaded.begin() as connection:
        connection.execute(text("DELETE FROM qpv_complete_areas"))
    with loaded.connect() as connection:
        connection.execute(text("SET TRANSACTION READ ONLY"))
        rows = _classify_in(connection, policy, lons, lats)
        assert connection.scalar(text("SELECT count(*) FROM qpv_complete_areas")) == 0
        assert connection.scalar(text("SELECT count(*) FROM qpv_hosting_pieces")) == 0
    different = [(i, a, b) for i, (a, b) in enumerate(zip(expected, rows, strict=True))
                 if _differences(a, b)]
    assert not different, different[:5]


@pytest.mark.postgis
@pytest.mark.shared_data
def test_cache_follows_the_dataset_versions(loaded):
    query = text("SELECT version_ids, area IS NOT NULL AS complete FROM "
                 "fabriques_qpv_complete_areas('2024') WHERE territory = 'metropole'")
    with loaded.connect() as connection:  # one transaction, rolled back
        before = connection.execute(query).one()
        assert before.complete  # PACA, complete for 2024
        stored = connection.scalar(text(
            "SELECT version_ids FROM qpv_complete_areas "
            "WHERE vintage = '2024' AND territory = 'metropole'"))
        assert stored == before.version_ids
        connection.execute(text(
            "UPDATE dataset_versions SET current = false WHERE source = 'qpv2024-paca'"))
        after = connection.execute(query).one()
        assert not after.complete
        assert after.version_ids != before.version_ids
        connection.rollback()


@pytest.mark.postgis
def test_migration_0002_downgrades_and_upgrades_again(postgis_url):
    engine = make_engine(postgis_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    probe = text("SELECT to_regclass('territories') IS NOT NULL, "
                 "to_regclass('laureates_eligibility_current') IS NOT NULL, "
                 "to_regprocedure('fabriques_classify(float8[], float8[], text, float8, float8, "
                 "text, int[], text)') IS NOT NULL")
    try:
        command.downgrade(config, "0001")
        with engine.connect() as connection:
            assert tuple(connection.execute(probe).one()) == (False, False, False)
            assert connection.scalar(text("SELECT to_regclass('laureates')")) is not None
        upgrade(engine)
        with engine.connect() as connection:
            assert tuple(connection.execute(probe).one()) == (True, True, True)
            assert connection.scalar(text("SELECT count(*) FROM territories")) == len(TERRITORIES)
            codes = connection.scalars(text("SELECT code FROM territories ORDER BY position"))
            assert list(codes) == list(TERRITORIES)
    finally:
        engine.dispose()


@pytest.mark.postgis
@pytest.mark.shared_data
def test_cached_areas_are_the_engines(loaded):
    """The complete areas, frontiers and hosting areas SQL caches are the engine's shapes."""
    checked = 0
    with loaded.connect() as connection:
        for vintage in ("2015", "2024"):
            index = reference_index(loaded, vintage)
            rows = connection.execute(text(
                "SELECT territory, everywhere, ST_AsBinary(area) AS area, "
                "ST_AsBinary(frontier) AS frontier, ST_AsBinary(hosting_area) AS hosting "
                "FROM fabriques_qpv_complete_areas(:vintage)"), {"vintage": vintage}).all()
            assert [row.territory for row in rows] == list(TERRITORIES)
            for row in rows:
                ti = index.territories[row.territory]
                assert row.everywhere == ti.complete_everywhere
                for name, stored, shape in (("area", row.area, ti.complete_area),
                                            ("frontier", row.frontier, ti.frontier),
                                            ("hosting", row.hosting, ti.hosting_area)):
                    where = f"{vintage} {row.territory} {name}"
                    assert (stored is None) == (shape is None), where
                    if stored is None:
                        continue
                    stored = shapely.from_wkb(bytes(stored))
                    assert stored.is_empty == shape.is_empty, where
                    if not shape.is_empty:
                        # vertex for vertex; else (another GEOS) at most 1 cm apart
                        same = shapely.normalize(stored).equals_exact(
                            shapely.normalize(shape), DISTANCE_TOLERANCE_M) or \
                            shapely.hausdorff_distance(stored, shape) < DISTANCE_TOLERANCE_M
                        assert same, where
                        checked += 1
    assert checked >= 5
