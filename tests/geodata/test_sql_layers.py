"""PostGIS as GIS clients and analysts see it: a feature id on every published layer (GDAL),
the laureates' views read filtered as whole, and the SQL classification's cache prepared
ahead (``fabriques db cache-sql``). Same loaded database as ``test_sql_classification``."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from geodata.storage.database import DatabaseError, embedded_url, make_engine, upgrade
from geodata.storage.sql_classification import prepare_sql_classification
from geodata.territories import TERRITORIES
from tests.support import unavailable


@pytest.mark.postgis
@pytest.mark.shared_data
def test_gdal_finds_a_feature_id_on_every_published_layer(loaded_url):
    """``ogrinfo`` (Debian gdal-bin) on each spatial table and view of the public schema: an
    integer feature id (the key, or ``ogc_fid``), never the sequential numbers GDAL makes up."""
    if shutil.which("ogrinfo") is None:
        unavailable("ogrinfo absent (paquet Debian gdal-bin)")
    url = make_url(loaded_url)
    dsn = (f"PG:host={url.host} port={url.port or 5432} user={url.username} "
           f"dbname={url.database}")
    engine = make_engine(loaded_url)
    try:
        with engine.connect() as connection:
            layers = connection.scalars(text(
                "SELECT f_table_name FROM geometry_columns "
                "WHERE f_table_schema = current_schema() ORDER BY 1")).all()
    finally:
        engine.dispose()
    assert {"laureates", "commune_contours", "laureates_eligibility_current"} <= set(layers)
    without = {}
    for layer in layers:
        # the key is all that is asked: no count nor extent (a view's would classify it all)
        done = subprocess.run(["ogrinfo", "-ro", "-so", "-nocount", "-noextent", dsn, layer],
                              capture_output=True, text=True, timeout=300, check=True)
        found = re.search(r"^FID Column = (\w+)$", done.stdout, re.MULTILINE)
        if found is None:
            without[layer] = done.stdout[-300:]
    assert without == {}


@pytest.mark.postgis
@pytest.mark.shared_data
def test_a_filtered_view_reads_the_rows_of_the_whole_view(loaded):
    """A box around Marseille keeps the laureates there, classified as in the whole view
    (the view classifies once, in a materialised CTE, whatever the filter)."""
    box = "geom && ST_MakeEnvelope(5.2, 43.2, 5.6, 43.4, 4326)"
    with loaded.connect() as connection:
        whole = {row.ogc_fid: tuple(row) for row in connection.execute(text(
            "SELECT *, ST_AsText(geom) AS wkt FROM laureates_eligibility_current"))}
        kept = [tuple(row) for row in connection.execute(text(
            f"SELECT *, ST_AsText(geom) AS wkt FROM laureates_eligibility_current WHERE {box}"))]
        located = connection.scalar(text("SELECT count(*) FROM laureates "
                                         "WHERE geom IS NOT NULL"))
        expected = connection.scalar(text(f"SELECT count(*) FROM laureates WHERE {box}"))
    assert len(whole) == located
    assert 0 < len(kept) == expected
    assert all(whole[row[0]] == row for row in kept)


@pytest.mark.postgis
@pytest.mark.shared_data
def test_the_cache_is_prepared_for_every_vintage_loaded(loaded):
    """``fabriques db cache-sql``'s work: every vintage's zones cached, with their cells, and
    a second call finds them up to date (computes nothing)."""
    with loaded.begin() as connection:
        connection.execute(text("DELETE FROM fabriques_internal.qpv_complete_areas"))
    assert [vintage for vintage, _ in prepare_sql_classification(loaded)] == ["2015", "2024"]
    query = text("SELECT a.vintage, a.territory, a.computed_at, "
                 "(SELECT count(*) FROM fabriques_internal.cells_2154 AS c "
                 " WHERE c.zone = a.zone) AS cells "
                 "FROM fabriques_internal.qpv_complete_areas AS a ORDER BY 1, 2")
    with loaded.connect() as connection:
        first = connection.execute(query).all()
    assert len(first) == 2 * len(TERRITORIES)
    assert all(row.cells > 100_000 for row in first if row.territory == "metropole")
    prepare_sql_classification(loaded)
    with loaded.connect() as connection:
        assert connection.execute(query).all() == first


@pytest.mark.postgis
@pytest.mark.shared_data
def test_once_prepared_the_cells_are_probed_from_their_key_alone(loaded):
    """Migration 0014's covering keys, and the vacuum of ``prepare_sql_classification``: a
    point's cell is read by an index-only scan that never visits the table (whether the cells
    are computed by this call or were already up to date: the vacuum runs either way)."""
    prepare_sql_classification(loaded)
    with loaded.connect() as connection:
        zone, cell = connection.execute(text(
            "SELECT zone, cell FROM fabriques_internal.cells_2154 "
            "ORDER BY zone DESC, cell LIMIT 1 OFFSET 5000")).one()
        plan = connection.scalar(text(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT layer, code, whole "
            "FROM fabriques_internal.cells_2154 WHERE zone = :zone AND cell = :cell"),
            {"zone": zone, "cell": cell})[0]["Plan"]
    assert plan["Node Type"] == "Index Only Scan"
    assert plan["Index Name"] == "pk_cells_2154"
    assert plan["Actual Rows"] >= 1 and plan["Heap Fetches"] == 0


def test_the_cache_needs_postgis(tmp_path):
    engine = make_engine(embedded_url(tmp_path))
    try:
        upgrade(engine)
        with pytest.raises(DatabaseError, match="PostGIS"):
            prepare_sql_classification(engine)
    finally:
        engine.dispose()
