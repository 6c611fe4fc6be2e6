"""PostGIS classification by cells, in its own schema (PostGIS only)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

``fabriques_classify`` of 0002/0005 probed the GIST indexes of the EPSG:4326 tables for every
point and projected every candidate contour on the fly: about 5,700 points/s. A GIST probe
alone costs tens of microseconds (every entry of each page visited is tested), so the new
function does not probe one per point and layer. What the function needs is cut once, when
the cache of what the QPV sources tell is computed (``fabriques_qpv_complete_areas``), into:

- ``fabriques_internal.pieces_<srid>``, one table per CRS of ``territories`` (typed
  ``geometry(Geometry, srid)``, GIST index): per *zone* (a vintage and a territory, a row of
  ``qpv_complete_areas``), the commune contours (cut in pieces of at most 64 vertices), the
  QPV contours of the vintage (whole), the communes hosting a QPV according to the official
  list (pieces), the area where the QPV sources are complete (pieces) and its frontier
  (pieces), all projected in the territory's CRS;
- ``fabriques_internal.cells_<srid>``: square cells of 1 km of that CRS, keyed by
  ``floor(x / 1000) * 10^7 + floor(y / 1000)``, listing the pieces a point of the cell must be
  tested against: pieces meeting the cell (contours, area; ``whole`` when the cell lies
  inside the piece: no test), pieces within 1 km (hosting communes, frontier), and the QPV
  that may be the nearest to a point of the cell, up to 5 km (a QPV whose distance to the cell
  exceeds the smallest upper bound, distance to the cell's centre plus half its diagonal, of
  another QPV cannot be the nearest; the QPV meeting the cell are always kept).

A point is then answered by one b-tree probe of its cell and exact tests against a handful of
small pieces, in one set-based statement; the answers are those of 0005 (kept as
``fabriques_internal.classify_unindexed``, used when the cache cannot be written: read-only
session, or for parameters beyond what the cells hold: search radius over 5 km, proximity
over 900 m).

``qpv_complete_areas`` and ``qpv_hosting_pieces`` move to the schema ``fabriques_internal``
with the new tables: they are the function's working tables, out of the layers analysts
browse. ``qpv_complete_areas`` gains an integer ``zone`` key.

As in 0002, the values are copies of the code's at the time of writing.
"""

import importlib

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INTERNAL = "fabriques_internal"
SRIDS = (2154, 5490, 2972, 2975, 4471)
"""The CRS of the territories table (migration 0002), each with its pieces and cells."""
CELL_M = 1000
CELL_KEY = 10_000_000
"""A cell's key: column * CELL_KEY + row (rows stay under 10^7 km from the CRS's origin)."""
REACH_M = 1000
"""Hosting communes and the frontier are listed in the cells within this distance."""
RADIUS_M = 5000
"""The QPV that may be the nearest are listed up to this distance (the search radius)."""
SUBDIVIDE = 64
HOSTING_TOLERANCE_M = 100
"""engine.HOSTING_TOLERANCE_M, as in 0002."""
HALF_DIAGONAL = f"{CELL_M} * sqrt(2) / 2"
LAYERS = ("commune", "qpv", "hosting", "area", "frontier")


def _cell(x: str, y: str) -> str:
    """The SQL key of the cell holding (x, y)."""
    return f"(floor(({x}) / {CELL_M}.0)::bigint * {CELL_KEY} + floor(({y}) / {CELL_M}.0)::bigint)"


SCHEMA = f"""
CREATE SCHEMA {INTERNAL};
COMMENT ON SCHEMA {INTERNAL} IS
    'Tables de travail de fabriques_classify (caches recalculés automatiquement quand les '
    'données changent) : ni couches à publier ni données de référence.';
ALTER TABLE qpv_complete_areas SET SCHEMA {INTERNAL};
ALTER TABLE qpv_hosting_pieces SET SCHEMA {INTERNAL};
DELETE FROM {INTERNAL}.qpv_complete_areas;  -- computed again, with their pieces and cells
ALTER TABLE {INTERNAL}.qpv_complete_areas
    ADD COLUMN zone int GENERATED ALWAYS AS IDENTITY
        CONSTRAINT uq_qpv_complete_areas_zone UNIQUE;
"""

TABLES = """
CREATE TABLE {internal}.pieces_{srid} (
    id int GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_pieces_{srid} PRIMARY KEY,
    zone int NOT NULL
        CONSTRAINT fk_pieces_{srid}_zone_qpv_complete_areas
        REFERENCES {internal}.qpv_complete_areas (zone) ON DELETE CASCADE,
    layer text NOT NULL CONSTRAINT ck_pieces_{srid}_layer CHECK (layer IN {layers}),
    code text,
    geom geometry(Geometry, {srid}) NOT NULL
);
CREATE INDEX ix_pieces_{srid}_zone ON {internal}.pieces_{srid} (zone);
CREATE INDEX ix_pieces_{srid}_geom ON {internal}.pieces_{srid} USING gist (geom);
COMMENT ON TABLE {internal}.pieces_{srid} IS
    'Cache de fabriques_classify : contours des communes, des QPV, des communes accueillant '
    'un QPV, de la zone où les sources QPV sont complètes et de sa frontière, projetés dans '
    'l''EPSG:{srid} et découpés, par zone (qpv_complete_areas.zone : millésime et territoire).';
-- No foreign key: millions of rows, deleted by zone with their pieces (index_zone).
CREATE TABLE {internal}.cells_{srid} (
    zone int NOT NULL,
    cell bigint NOT NULL,
    piece int NOT NULL,
    layer text NOT NULL,
    code text,
    whole boolean NOT NULL,
    CONSTRAINT pk_cells_{srid} PRIMARY KEY (zone, cell, piece)
);
COMMENT ON TABLE {internal}.cells_{srid} IS
    'Cache de fabriques_classify : pour chaque carré de {cell} m de l''EPSG:{srid} '
    '(cell = floor(x / {cell}) * {key} + floor(y / {cell})), les morceaux de pieces_{srid} '
    'qu''un point du carré doit tester ; whole : le carré est dans le morceau.';
"""

INDEX_ZONE = """
-- Cut the zone's layers in pieces and list them by cell (see the migration's docstring).
CREATE FUNCTION {internal}.index_zone_{srid}(zone int)
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = {search_path}
AS $$
#variable_conflict use_column
DECLARE
    zone_row {internal}.qpv_complete_areas;
BEGIN
    SELECT a.* INTO zone_row FROM {internal}.qpv_complete_areas AS a
     WHERE a.zone = index_zone_{srid}.zone;
    -- The zone's former cells, and those of zones no longer cached (their pieces went with
    -- them: foreign key).
    DELETE FROM {internal}.cells_{srid} AS c
     WHERE c.zone = index_zone_{srid}.zone
        OR c.zone NOT IN (SELECT a.zone FROM {internal}.qpv_complete_areas AS a);
    DELETE FROM {internal}.pieces_{srid} AS p WHERE p.zone = index_zone_{srid}.zone;
    INSERT INTO {internal}.pieces_{srid} (zone, layer, code, geom)
    SELECT index_zone_{srid}.zone, 'commune', cc.code,
           ST_Subdivide(ST_Transform(cc.geom, {srid}), {subdivide})
      FROM commune_contours AS cc
     WHERE cc.kind = 'COM' AND cc.territory = zone_row.territory
    UNION ALL
    SELECT index_zone_{srid}.zone, 'qpv', q.code, ST_Transform(q.geom, {srid})
      FROM qpv AS q
     WHERE q.vintage = zone_row.vintage AND q.territory = zone_row.territory
    UNION ALL
    SELECT index_zone_{srid}.zone, 'hosting', NULL,
           ST_Subdivide(ST_SetSRID(zone_row.hosting_area, {srid}), {subdivide})
     WHERE zone_row.hosting_area IS NOT NULL AND NOT ST_IsEmpty(zone_row.hosting_area)
    UNION ALL
    SELECT index_zone_{srid}.zone, 'area', NULL,
           ST_Subdivide(ST_SetSRID(zone_row.area, {srid}), {subdivide})
     WHERE zone_row.area IS NOT NULL AND NOT ST_IsEmpty(zone_row.area)
    UNION ALL
    SELECT index_zone_{srid}.zone, 'frontier', NULL,
           ST_Subdivide(ST_SetSRID(zone_row.frontier, {srid}), {subdivide})
     WHERE zone_row.frontier IS NOT NULL AND NOT ST_IsEmpty(zone_row.frontier);

    -- Contours and area: the cells they meet; whole when the cell lies inside.
    INSERT INTO {internal}.cells_{srid} (zone, cell, piece, layer, code, whole)
    SELECT p.zone, grid.i::bigint * {key} + grid.j, p.id, p.layer, p.code,
           ST_CoveredBy(grid.geom, p.geom)
      FROM {internal}.pieces_{srid} AS p
     CROSS JOIN LATERAL ST_SquareGrid({cell}, p.geom) AS grid
     WHERE p.zone = index_zone_{srid}.zone
       AND p.layer IN ('commune', 'area')
       AND ST_Intersects(grid.geom, p.geom);

    -- Hosting communes and frontier: the cells within {reach} m of their boxes.
    INSERT INTO {internal}.cells_{srid} (zone, cell, piece, layer, code, whole)
    SELECT p.zone, i::bigint * {key} + j, p.id, p.layer, p.code, false
      FROM {internal}.pieces_{srid} AS p
     CROSS JOIN LATERAL generate_series(floor((ST_XMin(p.geom) - {reach}) / {cell}.0)::int,
                                        floor((ST_XMax(p.geom) + {reach}) / {cell}.0)::int) AS i
     CROSS JOIN LATERAL generate_series(floor((ST_YMin(p.geom) - {reach}) / {cell}.0)::int,
                                        floor((ST_YMax(p.geom) + {reach}) / {cell}.0)::int) AS j
     WHERE p.zone = index_zone_{srid}.zone
       AND p.layer IN ('hosting', 'frontier');

    -- QPV: those that may be the nearest to a point of the cell, up to {radius} m.
    INSERT INTO {internal}.cells_{srid} (zone, cell, piece, layer, code, whole)
    WITH pairs AS MATERIALIZED (
        SELECT p.zone, p.id, p.code, i::bigint * {key} + j AS cell,
               ST_Distance(box.geom, p.geom) AS low,
               ST_Distance(ST_Centroid(box.geom), p.geom) + {half_diagonal} AS high
          FROM {internal}.pieces_{srid} AS p
         CROSS JOIN LATERAL generate_series(
                   floor((ST_XMin(p.geom) - {radius}) / {cell}.0)::int,
                   floor((ST_XMax(p.geom) + {radius}) / {cell}.0)::int) AS i
         CROSS JOIN LATERAL generate_series(
                   floor((ST_YMin(p.geom) - {radius}) / {cell}.0)::int,
                   floor((ST_YMax(p.geom) + {radius}) / {cell}.0)::int) AS j
         CROSS JOIN LATERAL (SELECT ST_MakeEnvelope(i * {cell}.0, j * {cell}.0,
                                                    (i + 1) * {cell}.0, (j + 1) * {cell}.0,
                                                    {srid}) AS geom) AS box
         WHERE p.zone = index_zone_{srid}.zone AND p.layer = 'qpv'),
    bounded AS (
        SELECT pairs.*, min(pairs.high) OVER (PARTITION BY pairs.cell) AS bound
          FROM pairs
         WHERE pairs.low <= {radius})
    SELECT b.zone, b.cell, b.id, 'qpv', b.code, false
      FROM bounded AS b
     WHERE b.low <= b.bound;
    -- Fresh statistics: the planner probes the cells of a few points, scans for many.
    ANALYZE {internal}.pieces_{srid};
    ANALYZE {internal}.cells_{srid};
END
$$;
"""

COMPLETE_AREAS = """
-- As in 0002, and each zone computed again is cut in pieces and cells (index_zone_<srid>).
CREATE OR REPLACE FUNCTION fabriques_qpv_complete_areas(vintage text)
RETURNS SETOF {internal}.qpv_complete_areas
LANGUAGE plpgsql VOLATILE
SET search_path = {search_path}
AS $$
DECLARE
    key int[] := fabriques_qpv_version_ids(fabriques_qpv_complete_areas.vintage);
    place record;
    known {internal}.qpv_complete_areas;
BEGIN
    FOR place IN SELECT t.code, t.epsg FROM territories AS t ORDER BY t.position LOOP
        SELECT a.* INTO known
          FROM {internal}.qpv_complete_areas AS a
         WHERE a.vintage = fabriques_qpv_complete_areas.vintage
           AND a.territory = place.code
           AND a.version_ids = key;
        IF NOT FOUND THEN
            SELECT fabriques_qpv_complete_areas.vintage, place.code, key, computed.everywhere,
                   computed.area, computed.frontier, computed.hosting_area, now(), NULL
              INTO known
              FROM fabriques_compute_qpv_complete_area(
                       fabriques_qpv_complete_areas.vintage, place.code) AS computed;
            BEGIN
                INSERT INTO {internal}.qpv_complete_areas AS a
                       (vintage, territory, version_ids, everywhere, area, frontier,
                        hosting_area, computed_at)
                VALUES (known.vintage, known.territory, known.version_ids, known.everywhere,
                        known.area, known.frontier, known.hosting_area, known.computed_at)
                ON CONFLICT ON CONSTRAINT pk_qpv_complete_areas DO UPDATE
                   SET version_ids = EXCLUDED.version_ids,
                       everywhere = EXCLUDED.everywhere,
                       area = EXCLUDED.area,
                       frontier = EXCLUDED.frontier,
                       hosting_area = EXCLUDED.hosting_area,
                       computed_at = EXCLUDED.computed_at
                RETURNING a.zone INTO known.zone;
                DELETE FROM {internal}.qpv_hosting_pieces AS hp
                 WHERE hp.vintage = known.vintage AND hp.territory = known.territory;
                INSERT INTO {internal}.qpv_hosting_pieces (vintage, territory, geom)
                SELECT known.vintage, known.territory, ST_Subdivide(known.hosting_area, 64);
                EXECUTE format('SELECT {internal}.index_zone_%s($1)', place.epsg)
                  USING known.zone;
            EXCEPTION WHEN read_only_sql_transaction OR insufficient_privilege THEN
                known.zone := NULL;  -- not cached: computed again next time
            END;
        END IF;
        RETURN NEXT known;
    END LOOP;
END
$$;
COMMENT ON FUNCTION fabriques_qpv_complete_areas(text) IS
    'Ce que disent les sources QPV du millésime, par territoire : zone où elles sont '
    'complètes, sa frontière, communes accueillant un QPV selon la liste officielle (voir la '
    'table {internal}.qpv_complete_areas, qui sert de cache et se recalcule quand les données '
    'changent, avec les morceaux et carrés de fabriques_classify).';
"""

BRANCH = """
    projected_{srid} AS MATERIALIZED (
        SELECT l.ord, l.zone, pt.geom, {cell_of_point} AS cell
          FROM located AS l
         CROSS JOIN LATERAL (
               SELECT ST_Transform(ST_SetSRID(ST_MakePoint(l.lon, l.lat), 4326), {srid})
                   AS geom) AS pt
         WHERE l.epsg = {srid}),
    tested_{srid} AS (
        SELECT pt.ord, c.layer, c.code,
               CASE WHEN c.whole THEN true
                    WHEN c.layer IN ('commune', 'area') THEN ST_Intersects(p.geom, pt.geom)
                    WHEN c.layer = 'hosting'
                         THEN ST_DWithin(p.geom, pt.geom,
                                         fabriques_classify.proximity_m + {hosting_tolerance})
                    WHEN c.layer = 'frontier'
                         THEN ST_DWithin(p.geom, pt.geom, fabriques_classify.proximity_m)
               END AS hit,
               CASE WHEN c.layer = 'qpv' THEN ST_Distance(p.geom, pt.geom) END AS distance
          FROM projected_{srid} AS pt
          JOIN {internal}.cells_{srid} AS c ON c.zone = pt.zone AND c.cell = pt.cell
          LEFT JOIN {internal}.pieces_{srid} AS p ON NOT c.whole AND p.id = c.piece),"""

CLASSIFY = """
-- The classification of geodata.eligibility.engine.classify for exact points, as in 0005,
-- each point tested against the pieces its cell lists (the migration's docstring).
CREATE OR REPLACE FUNCTION fabriques_classify(
    lons float8[], lats float8[], vintage text, proximity_m float8, search_radius_m float8,
    urban_definition text, density_levels int[], precedence text)
RETURNS TABLE (
    ord int, territory text, commune_code text, density_level int, metropole boolean,
    in_qpv boolean, qpv_code text, nearest_qpv_code text, distance_to_qpv_m float8,
    near_qpv boolean, outside_large_urban_centre boolean, category text)
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling this query costs more than running it
SET work_mem = '64MB'  -- the hash tables of a few hundred thousand points stay in memory
SET search_path = {search_path}
AS $$
#variable_conflict use_column
DECLARE
    complete_areas {internal}.qpv_complete_areas[];
BEGIN
    IF coalesce(cardinality(fabriques_classify.lons), 0)
       <> coalesce(cardinality(fabriques_classify.lats), 0) THEN
        RAISE EXCEPTION 'fabriques_classify : % longitude(s) pour % latitude(s)',
            coalesce(cardinality(fabriques_classify.lons), 0),
            coalesce(cardinality(fabriques_classify.lats), 0);
    END IF;
    IF fabriques_classify.urban_definition IS NULL
       OR fabriques_classify.urban_definition NOT IN ('density_grid', 'metropole') THEN
        RAISE EXCEPTION 'fabriques_classify : urban_definition doit valoir density_grid ou '
            'metropole, pas %', fabriques_classify.urban_definition;
    END IF;
    IF fabriques_classify.precedence IS NULL
       OR fabriques_classify.precedence NOT IN ('qpv', 'outside_large_urban_centres') THEN
        RAISE EXCEPTION 'fabriques_classify : precedence doit valoir qpv ou '
            'outside_large_urban_centres, pas %', fabriques_classify.precedence;
    END IF;
    IF NOT (0 < fabriques_classify.proximity_m
            AND fabriques_classify.proximity_m <= fabriques_classify.search_radius_m) THEN
        RAISE EXCEPTION 'fabriques_classify : il faut 0 < proximity_m <= search_radius_m';
    END IF;

    -- Computed (and cached, with the pieces and cells) in a statement of its own.
    complete_areas := ARRAY(
        SELECT a FROM fabriques_qpv_complete_areas(fabriques_classify.vintage) AS a);
    -- Without the cells (a session that may not write them) or beyond what they hold: the
    -- index probes of 0005.
    IF EXISTS (SELECT 1 FROM unnest(complete_areas) AS a WHERE a.zone IS NULL)
       OR fabriques_classify.search_radius_m > {radius}
       OR fabriques_classify.proximity_m + {hosting_tolerance} > {reach} THEN
        RETURN QUERY SELECT * FROM {internal}.classify_unindexed(
            fabriques_classify.lons, fabriques_classify.lats, fabriques_classify.vintage,
            fabriques_classify.proximity_m, fabriques_classify.search_radius_m,
            fabriques_classify.urban_definition, fabriques_classify.density_levels,
            fabriques_classify.precedence, complete_areas);
        RETURN;
    END IF;

    RETURN QUERY
    WITH
    -- The territory is the first (by position) whose box holds the point; its zone is the
    -- cache row of the vintage there.
    zones AS MATERIALIZED (
        SELECT t.code AS territory, t.epsg, t.position, t.min_lon, t.min_lat, t.max_lon,
               t.max_lat, z.zone, coalesce(z.everywhere, false) AS everywhere,
               z.hosting_area IS NOT NULL AS has_hosting_list
          FROM territories AS t
          LEFT JOIN unnest(complete_areas) AS z ON z.territory = t.code),
    located AS MATERIALIZED (
        SELECT DISTINCT ON (input.ord) input.ord::int AS ord, input.lon, input.lat,
               z.territory, z.epsg, z.zone, z.everywhere, z.has_hosting_list
          FROM unnest(fabriques_classify.lons, fabriques_classify.lats)
               WITH ORDINALITY AS input(lon, lat, ord)
          LEFT JOIN zones AS z
            ON input.lon BETWEEN z.min_lon AND z.max_lon
           AND input.lat BETWEEN z.min_lat AND z.max_lat
         ORDER BY input.ord, z.position),
    -- Every piece the point's cell lists, tested (per CRS: the tables are typed).
{branches}
    tested AS ({tested}),
    -- The commune and the QPV holding the point (several: the lowest code), the nearest QPV
    -- within the search radius (in a QPV: that one, at 0 m), a hosting commune within
    -- proximity_m + 100 m, inside the complete area, near its frontier.
    facts AS (
        SELECT t.ord,
               min(t.code) FILTER (WHERE t.layer = 'commune' AND t.hit) AS commune_code,
               min(t.code) FILTER (WHERE t.layer = 'qpv' AND t.distance = 0) AS qpv_code,
               (array_agg(t.code ORDER BY t.distance, t.code) FILTER (
                   WHERE t.layer = 'qpv'
                     AND t.distance <= fabriques_classify.search_radius_m))[1] AS nearest_code,
               min(t.distance) FILTER (
                   WHERE t.layer = 'qpv'
                     AND t.distance <= fabriques_classify.search_radius_m) AS nearest_distance,
               coalesce(bool_or(t.hit) FILTER (WHERE t.layer = 'hosting'), false)
                   AS hosting_near,
               coalesce(bool_or(t.hit) FILTER (WHERE t.layer = 'area'), false) AS in_area,
               coalesce(bool_or(t.hit) FILTER (WHERE t.layer = 'frontier'), false)
                   AS near_frontier
          FROM tested AS t
         GROUP BY t.ord),
    -- _completeness and _no_hosting_commune_within, as in 0002.
    known AS (
        SELECT l.ord, l.territory, f.commune_code, f.qpv_code,
               coalesce(f.qpv_code, f.nearest_code) AS nearest_qpv_code,
               CASE WHEN f.qpv_code IS NOT NULL THEN 0.0::float8
                    ELSE floor(f.nearest_distance * 10.0 + 0.5) / 10.0
               END AS distance,
               coalesce(l.everywhere, false) OR coalesce(f.in_area, false) AS inside,
               coalesce(l.everywhere, false)
                   OR (coalesce(f.in_area, false) AND NOT coalesce(f.near_frontier, false))
                   AS proximity_known,
               CASE WHEN NOT coalesce(l.has_hosting_list, false) THEN false
                    ELSE NOT coalesce(f.hosting_near, false)
               END AS no_hosting_commune
          FROM located AS l
          LEFT JOIN facts AS f ON f.ord = l.ord),
    -- The communes of the métropoles (METRO, MET69).
    metropole_communes AS MATERIALIZED (
        SELECT DISTINCT em.commune_code
          FROM epci_members AS em
          JOIN epci AS e ON e.code = em.epci_code
         WHERE e.kind IN ('METRO', 'MET69')),
    epci_list AS MATERIALIZED (
        SELECT EXISTS (SELECT 1 FROM epci) AS loaded),
    answered AS (
        SELECT k.ord, k.territory, k.commune_code, k.qpv_code, k.nearest_qpv_code, k.distance,
               CASE WHEN k.territory IS NULL THEN NULL
                    WHEN k.qpv_code IS NOT NULL THEN true
                    WHEN k.inside OR k.no_hosting_commune THEN false
               END AS in_qpv,
               CASE WHEN k.territory IS NULL THEN NULL
                    WHEN k.distance <= fabriques_classify.proximity_m THEN true
                    WHEN k.proximity_known OR k.no_hosting_commune THEN false
               END AS near_qpv,
               nullif(cl.level, 0) AS density_level,
               -- unknown when no EPCI list is loaded at all
               CASE WHEN k.commune_code IS NULL OR NOT el.loaded THEN NULL
                    ELSE mc.commune_code IS NOT NULL
               END AS metropole
          FROM known AS k
          CROSS JOIN epci_list AS el
          LEFT JOIN metropole_communes AS mc ON mc.commune_code = k.commune_code
          LEFT JOIN commune_classes AS cl
            ON cl.typology = 'densite' AND cl.commune_code = k.commune_code),
    outside AS (
        SELECT a.*,
               CASE WHEN fabriques_classify.urban_definition = 'metropole'
                    THEN NOT a.metropole
                    ELSE NOT (a.density_level = ANY (fabriques_classify.density_levels))
               END AS outside_large_urban_centre
          FROM answered AS a),
    halves AS (
        SELECT o.*,
               CASE WHEN o.in_qpv OR o.near_qpv THEN true
                    WHEN NOT o.in_qpv AND NOT o.near_qpv THEN false
               END AS qpv_half
          FROM outside AS o)
    SELECT h.ord,
           h.territory::text,
           h.commune_code::text,
           h.density_level::int,
           h.metropole,
           h.in_qpv,
           h.qpv_code::text,
           h.nearest_qpv_code::text,
           h.distance,
           h.near_qpv,
           h.outside_large_urban_centre,
           CASE WHEN h.territory IS NULL THEN 'a-verifier'
                WHEN h.outside_large_urban_centre AND fabriques_classify.precedence <> 'qpv'
                     THEN 'hors-grands-centres-urbains'
                WHEN h.qpv_half THEN 'qpv'
                WHEN h.qpv_half = false AND h.outside_large_urban_centre
                     THEN 'hors-grands-centres-urbains'
                WHEN h.qpv_half = false AND h.outside_large_urban_centre = false
                     THEN 'non-eligible'
                ELSE 'a-verifier'
           END::text
      FROM halves AS h
     ORDER BY h.ord;
END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS {internal}.classify_unindexed(
    float8[], float8[], text, float8, float8, text, int[], text,
    {internal}.qpv_complete_areas[]);
{drop_index_zone}
{drop_tables}
DELETE FROM {internal}.qpv_complete_areas;
ALTER TABLE {internal}.qpv_complete_areas DROP COLUMN zone;
ALTER TABLE {internal}.qpv_hosting_pieces SET SCHEMA {schema};
ALTER TABLE {internal}.qpv_complete_areas SET SCHEMA {schema};
DROP SCHEMA {internal};
"""


def _migration(name: str):
    return importlib.import_module(f"geodata.storage.migrations.versions.{name}")


def _unindexed(search_path: str) -> str:
    """0005's fabriques_classify, taking the complete areas its caller computed."""
    statement = _migration("0005_missing_outlines")._classify_rounded()
    replacements = (
        ("CREATE OR REPLACE FUNCTION fabriques_classify(",
         f"CREATE FUNCTION {INTERNAL}.classify_unindexed("),
        ("urban_definition text, density_levels int[], precedence text)\nRETURNS",
         "urban_definition text, density_levels int[], precedence text,\n"
         f"    complete_areas {INTERNAL}.qpv_complete_areas[])\nRETURNS"),
        ("SET jit = off  -- compiling this query costs more than running it\n",
         "SET jit = off  -- compiling this query costs more than running it\n"
         f"SET search_path = {search_path}\n"),
        ("DECLARE\n    complete_areas qpv_complete_areas[];\n", ""),
        ("    complete_areas := ARRAY(\n"
         "        SELECT a FROM fabriques_qpv_complete_areas(fabriques_classify.vintage) AS a);\n",
         ""),
        ("fabriques_classify.", "classify_unindexed."),
    )
    for old, new in replacements:
        assert old in statement, old
        statement = statement.replace(old, new)
    return statement


def _classify(search_path: str) -> str:
    cell_of_point = _cell("ST_X(pt.geom)", "ST_Y(pt.geom)")
    branches = "".join(
        BRANCH.format(srid=srid, internal=INTERNAL, cell_of_point=cell_of_point,
                      hosting_tolerance=HOSTING_TOLERANCE_M)
        for srid in SRIDS)
    tested = "\n        UNION ALL ".join(f"SELECT * FROM tested_{srid}" for srid in SRIDS)
    return CLASSIFY.format(internal=INTERNAL, search_path=search_path, branches=branches,
                           tested=tested,
                           radius=RADIUS_M, reach=REACH_M, hosting_tolerance=HOSTING_TOLERANCE_M)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
    search_path = f"{schema}, {INTERNAL}"
    op.execute(SCHEMA)
    layers = "(" + ", ".join(f"'{layer}'" for layer in LAYERS) + ")"
    for srid in SRIDS:
        op.execute(TABLES.format(internal=INTERNAL, srid=srid, layers=layers, cell=CELL_M,
                                 key=CELL_KEY))
        op.execute(INDEX_ZONE.format(
            internal=INTERNAL, srid=srid, search_path=search_path, subdivide=SUBDIVIDE,
            cell=CELL_M, key=CELL_KEY, reach=REACH_M, radius=RADIUS_M,
            half_diagonal=HALF_DIAGONAL))
    # fabriques_qpv_complete_areas changes its return type: dropped with what uses it.
    op.execute("DROP FUNCTION fabriques_qpv_complete_areas(text)")
    op.execute(COMPLETE_AREAS.format(internal=INTERNAL, search_path=search_path))
    op.execute(_unindexed(search_path))
    op.execute(_classify(search_path))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
    m5 = _migration("0005_missing_outlines")
    op.execute("DROP FUNCTION fabriques_qpv_complete_areas(text)")
    op.execute(DROP.format(
        internal=INTERNAL, schema=schema,
        drop_index_zone="\n".join(f"DROP FUNCTION {INTERNAL}.index_zone_{srid}(int);"
                                  for srid in SRIDS),
        drop_tables="\n".join(f"DROP TABLE {INTERNAL}.cells_{srid}; "
                              f"DROP TABLE {INTERNAL}.pieces_{srid};" for srid in SRIDS)))
    op.execute(m5._classify_rounded())
    op.execute(m5._function_0002("fabriques_qpv_complete_areas")
               .replace("CREATE OR REPLACE FUNCTION", "CREATE FUNCTION", 1))
