"""PostGIS cross-check: ``fabriques_classify`` (SQL, migration 0002) against the Python engine.

Every source of the shared folder is loaded once into a PostGIS copy of the test template
(``tests/geodata/conftest.py``, shared with ``test_sql_layers``);
then, for both shipped policies, the laureates' points and a few thousand seeded random
points (uniform over metropolitan France, clustered around real QPVs and along the frontier
of the QPV sources' complete area, in every overseas territory, and outside them all) are
classified by both and compared column by column. The other tests check the views, the
cached complete areas, the cache's refresh and its absence in read-only sessions, the
migration's downgrade, and that SQLite gets none of it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
import shapely
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from geodata.policy import load_policy
from geodata.storage.database import MIGRATIONS, DatabaseError, embedded_url, make_engine, upgrade
from geodata.storage.reference import reference_index
from geodata.storage.sql_classification import (
    SQL_COLUMNS,
    classify_sql,
    prepare_sql_classification,
)
from geodata.territories import TERRITORIES
from tests.geodata.sql_crosscheck import (
    DISTANCE_TOLERANCE_M,
    THRESHOLD_M,
    assert_not_vacuous,
    compare,
    differences,
    engine_rows,
    laureate_points,
    random_points,
)

POLICIES = ("current", "ami-2019")
SEED = 20261127
MAX_EXCLUDED = 5


# --- tests -------------------------------------------------------------------------------


@pytest.mark.postgis
@pytest.mark.shared_data
@pytest.mark.parametrize("policy_name", POLICIES)
def test_sql_classification_agrees_with_the_engine(loaded, policy_name, capsys):
    policy = load_policy(policy_name)
    ids, laureate_lons, laureate_lats = laureate_points(loaded)
    assert len(ids) > 300
    lons, lats, kinds = random_points(loaded, np.random.default_rng(SEED))
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
    assert_not_vacuous(result, compared, policy, kept=~excluded)
    seeded = {kind.removeprefix("uniform-") for kind in kinds if kind.startswith("uniform-")}
    compared_territories = {row["territory"] for row in compared}
    assert seeded <= compared_territories
    assert None in compared_territories  # the points outside every territory


@pytest.mark.postgis
@pytest.mark.shared_data
def test_views_classify_every_located_laureate_like_the_service(loaded):
    """Each laureate as the service answers it, at its own precision: the published list
    places every Fabrique at its commune's centroid, which the views took as exact (47
    laureates had a definite category there, « à vérifier » everywhere else)."""
    with loaded.connect() as connection:
        laureates = connection.execute(text(
            "SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat, precision, commune_code "
            "FROM laureates WHERE geom IS NOT NULL ORDER BY id")).all()
    ids = [row.id for row in laureates]
    assert {row.precision for row in laureates} & {"commune", "locality"}  # not vacuous
    columns = ("category", "in_qpv", "near_qpv", "commune_code", "qpv_code",
               "nearest_qpv_code", "distance_to_qpv_m", "outside_large_urban_centre")
    for view, policy_name in (("laureates_eligibility_current", "current"),
                              ("laureates_eligibility_ami_2019", "ami-2019")):
        with loaded.connect() as connection:
            rows = connection.execute(text(
                f"SELECT id, {', '.join(columns)} FROM {view} ORDER BY id")).mappings().all()
        assert [row["id"] for row in rows] == ids, view
        _, _, python_rows = engine_rows(
            loaded, load_policy(policy_name), [r.lon for r in laureates],
            [r.lat for r in laureates], [r.precision or "point" for r in laureates],
            [r.commune_code for r in laureates])
        for row, python in zip(rows, python_rows, strict=True):
            assert {c: row[c] for c in columns} == {c: python[c] for c in columns}, \
                (view, row["id"])
        categories = Counter(row["category"] for row in rows)
        assert len(categories) >= 2, (view, categories)  # decided ones too, not all unknown
        print(view, dict(categories))


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


@pytest.mark.postgis
@pytest.mark.shared_data
def test_a_vintage_with_no_qpv_loaded_is_warned_and_left_to_check(loaded):
    """« 2023 » (no such list) answers « à vérifier » on the QPV half, and says why."""
    call = ("SELECT in_qpv, near_qpv FROM fabriques_classify(ARRAY[5.4034]::float8[], "
            "ARRAY[43.3305]::float8[], :vintage, 300, 5000, 'density_grid', ARRAY[1], 'qpv')")
    said = []
    with loaded.connect() as connection:
        connection.connection.driver_connection.add_notice_handler(
            lambda notice: said.append((notice.severity_nonlocalized, notice.message_primary)))
        assert None not in connection.execute(text(call), {"vintage": "2024"}).one()
        assert said == []
        assert connection.execute(text(call), {"vintage": "2023"}).one() == (None, None)
    ((severity, message),) = said
    assert severity == "WARNING"
    assert "millésime 2023" in message and "millésimes chargés : 2015, 2024" in message


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
    lons, lats, _ = random_points(loaded, np.random.default_rng(SEED + 1))
    lons, lats = lons[::40], lats[::40]
    expected = classify_sql(loaded, policy, lons, lats)  # fills the cache
    view = text("SELECT id, in_qpv, near_qpv, category FROM laureates_eligibility_current "
                "ORDER BY id")
    with loaded.connect() as connection:
        laureates = connection.execute(view).all()
    with loaded.begin() as connection:
        connection.execute(text("DELETE FROM fabriques_internal.qpv_complete_areas"))
    try:
        with loaded.connect() as connection:
            connection.execute(text("SET TRANSACTION READ ONLY"))
            rows = _classify_in(connection, policy, lons, lats)  # by index probes, no cells
            # the laureates at commune precision by the official list itself, not its pieces
            assert connection.execute(view).all() == laureates
            for table in ("qpv_complete_areas", "qpv_hosting_pieces", "pieces_2154"):
                assert connection.scalar(
                    text(f"SELECT count(*) FROM fabriques_internal.{table}")) == 0
    finally:  # left as found: the next tests read the cache instead of computing it again
        prepare_sql_classification(loaded)
    different = [(i, a, b) for i, (a, b) in enumerate(zip(expected, rows, strict=True))
                 if differences(a, b)]
    assert not different, different[:5]
    assert {row.in_qpv for row in laureates} == {None, False}  # both ways of the rule


@pytest.mark.postgis
@pytest.mark.shared_data
def test_cache_follows_the_dataset_versions(loaded):
    query = text("SELECT version_ids, area IS NOT NULL AS complete FROM "
                 "fabriques_qpv_complete_areas('2024') WHERE territory = 'metropole'")
    with loaded.connect() as connection:  # one transaction, rolled back
        before = connection.execute(query).one()
        assert before.complete  # PACA, complete for 2024
        stored = connection.scalar(text(
            "SELECT version_ids FROM fabriques_internal.qpv_complete_areas "
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


@pytest.mark.postgis
@pytest.mark.shared_data
def test_sql_decides_the_distance_it_shows_as_the_engine(loaded):
    """Just past D (by 3 and 7 cm) from the Occitanie QPV farthest from the others: both
    round to the decimetre before deciding, so 300.0 m is near and 300.1 m is not."""
    from tests.geodata.test_engine import lonlat, ring_vertex

    policy = load_policy("ami-2019")
    index = reference_index(loaded, "2015")
    metro = index.territories["metropole"]
    geometries = metro.qpv_geometries
    gaps = [shapely.distance(g, np.delete(geometries, i)).min()
            if shapely.contains(metro.complete_area, g) else 0.0
            for i, g in enumerate(geometries)]
    isolated = geometries[int(np.argmax(gaps))]
    points = [lonlat(ring_vertex(isolated, policy.proximity_m + offset, tolerance=0.005))
              for offset in (0.03, 0.07)]
    lons, lats = [p[0] for p in points], [p[1] for p in points]

    sql = classify_sql(loaded, policy, lons, lats)
    _, _, python = engine_rows(loaded, policy, lons, lats)

    assert [row["distance_to_qpv_m"] for row in sql] == [300.0, 300.1]
    assert [row["near_qpv"] for row in sql] == [True, False]
    for mine, theirs in zip(python, sql, strict=True):
        assert (mine["distance_to_qpv_m"], mine["near_qpv"]) == (
            theirs["distance_to_qpv_m"], theirs["near_qpv"])


@pytest.mark.postgis
@pytest.mark.shared_data
def test_beyond_what_the_cells_hold_the_index_probes_answer_alike(loaded):
    """A search radius over 5 km (and a proximity over 900 m) is answered by the index
    probes of migration 0005, which agree with the engine as the cells do."""
    policy = replace(load_policy("current"), proximity_m=950.0, search_radius_m=6000.0)
    lons, lats, _ = random_points(loaded, np.random.default_rng(SEED + 2))
    lons, lats = lons[::10], lats[::10]
    result, rows, excluded = compare(loaded, policy, lons, lats, "au-delà des carrés")
    assert excluded.sum() <= MAX_EXCLUDED
    distances = [row["distance_to_qpv_m"] for row in rows if row["distance_to_qpv_m"]]
    assert max(distances) > 5000.0  # the wider radius was used


@pytest.mark.postgis
@pytest.mark.shared_data
def test_gis_clients_see_typed_layers_and_no_working_table(loaded):
    """Every geometry column of the public schema is in EPSG:4326 with a primary key on its
    table; the working tables are in fabriques_internal, typed with their territory's CRS."""
    classify_sql(loaded, load_policy("current"), [2.35], [48.85])  # fills the cache
    with loaded.connect() as connection:
        columns = connection.execute(text(
            "SELECT f_table_schema AS schema, f_table_name AS name, srid, "
            "       (SELECT count(*) FROM pg_index AS i "
            "         WHERE i.indrelid = format('%I.%I', f_table_schema, f_table_name)"
            "               ::regclass AND i.indisprimary) AS keys, "
            "       (SELECT c.relkind FROM pg_class AS c "
            "         WHERE c.oid = format('%I.%I', f_table_schema, f_table_name)::regclass) "
            "       AS kind "
            "FROM geometry_columns ORDER BY 1, 2")).mappings().all()
        public = [c for c in columns if c["schema"] == "public"]
        internal = {c["name"]: c["srid"] for c in columns if c["schema"] == "fabriques_internal"}
        pieces = connection.execute(text(
            "SELECT DISTINCT ST_SRID(geom) FROM fabriques_internal.pieces_2154")).scalars().all()
    assert {"qpv", "commune_contours", "laureates", "places"} <= {c["name"] for c in public}
    assert {(c["name"], c["srid"]) for c in public if c["srid"] != 4326} == set()
    tables = [c for c in public if c["kind"] == "r"]
    assert [c["name"] for c in tables if c["keys"] != 1] == []
    assert {"qpv_complete_areas", "qpv_hosting_pieces"} <= set(internal)
    srids = {int(name.removeprefix("pieces_")) for name in internal if name.startswith("pieces_")}
    assert srids == {territory.epsg for territory in TERRITORIES.values()}
    assert all(internal[f"pieces_{srid}"] == srid for srid in srids)
    assert pieces == [2154]


@pytest.mark.postgis
@pytest.mark.shared_data
def test_a_place_on_a_qpv_outline_is_in_it_in_sql_as_in_the_engine(loaded):
    """The vertices of Marseille's QPV outlines (« limite comprise »): projected, a vertex
    lands a fraction of a millimetre inside or outside, and PostGIS and pyproj did not land
    it alike (an outside audit found 21 of 43,026 points « en QPV » in SQL, « dans aucun QPV
    … à 0,0 m » in the engine). Both read « 0,0 m » as on the outline: in the QPV, by the
    cells (``classify_part``) and by the index probes (``classify_unindexed``)."""
    policy = load_policy("current")
    with loaded.connect() as connection:
        vertices = connection.execute(text(
            "SELECT ST_X(d.geom), ST_Y(d.geom) FROM qpv AS q "
            "JOIN commune_contours AS c ON c.code = '13055' "
            "CROSS JOIN LATERAL ST_Dump(q.geom) AS part "
            "CROSS JOIN LATERAL ST_DumpPoints(ST_ExteriorRing(part.geom)) AS d "
            "WHERE q.vintage = '2024' AND ST_Intersects(c.geom, q.geom) "
            "ORDER BY q.code, part.path, d.path")).all()
    lons = [lon for lon, _ in vertices][::7] + [5.40547]  # the audit's, on QN01308I
    lats = [lat for _, lat in vertices][::7] + [43.2805284]
    assert len(lons) > 500

    cells = classify_sql(loaded, policy, lons, lats)
    _, _, python = engine_rows(loaded, policy, lons, lats)
    with loaded.begin() as connection:
        connection.execute(text("DELETE FROM fabriques_internal.qpv_complete_areas"))
    try:
        with loaded.connect() as connection:
            connection.execute(text("SET TRANSACTION READ ONLY"))
            probes = _classify_in(connection, policy, lons, lats)
    finally:
        prepare_sql_classification(loaded)

    for answers in (python, cells, probes):
        assert {row["in_qpv"] for row in answers} == {True}
        assert {row["distance_to_qpv_m"] for row in answers} == {0.0}
    assert python[-1]["qpv_code"] == cells[-1]["qpv_code"] == probes[-1]["qpv_code"] \
        == "QN01308I"
    assert [row["qpv_code"] for row in python] == [row["qpv_code"] for row in cells] \
        == [row["qpv_code"] for row in probes]
