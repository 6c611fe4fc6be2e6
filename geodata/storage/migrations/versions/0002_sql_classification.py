"""eligibility classification in SQL (PostGIS only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The classification of ``geodata.eligibility.engine`` (for exact points) as SQL objects, so that
analysts connected with QGIS or psql see the same answers as the service:

- ``territories``: the territories of ``geodata.territories`` (bounding box, measuring CRS);
- ``qpv_complete_areas``: a cache, per QPV vintage and territory, of what the loaded QPV
  sources tell: where they are complete (area, and its frontier with land where they say
  nothing) and which communes the official list names as hosting a QPV, the latter also cut
  in indexed pieces in ``qpv_hosting_pieces``;
- ``fabriques_classify(...)``: one row per input point, the engine's columns, with helper
  functions (``fabriques_qpv_complete_areas``, ``fabriques_compute_qpv_complete_area``,
  ``fabriques_qpv_version_ids``, ``fabriques_lonlat_box``, ``fabriques_without_small_holes``);
- ``laureates_eligibility_current`` and ``laureates_eligibility_ami_2019``: the laureates
  classified under the two shipped policies.

Nothing is created on SQLite. The values below are copies of the code's values at the time
of writing (a migration must not change when the code changes): the territories, the two
policies' parameters, and the engine's constants (1 m grid of the unions, holes under 1 km²
closed: layers.SMALL_HOLE_M2; 100 m between neighbouring contours: FRONTIER_TOLERANCE_M;
100 m added around the communes of the official list: engine.HOSTING_TOLERANCE_M). A later
change of any of them needs a new migration that replaces the SQL objects concerned.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (code, name, epsg, (min_lon, min_lat, max_lon, max_lat)), in the order of
# geodata.territories.TERRITORIES: a point gets the first territory whose box holds it.
TERRITORIES = (
    ("metropole", "France métropolitaine", 2154, (-5.5, 41.2, 9.8, 51.3)),
    ("guadeloupe", "Guadeloupe", 5490, (-61.9, 15.8, -60.9, 16.6)),
    ("martinique", "Martinique", 5490, (-61.3, 14.35, -60.75, 14.9)),
    ("guyane", "Guyane", 2972, (-54.7, 2.0, -51.5, 5.9)),
    ("reunion", "La Réunion", 2975, (55.1, -21.5, 55.9, -20.8)),
    ("mayotte", "Mayotte", 4471, (44.9, -13.1, 45.4, -12.5)),
    ("saint-barthelemy", "Saint-Barthélemy", 5490, (-62.95, 17.85, -62.75, 17.98)),
    ("saint-martin", "Saint-Martin", 5490, (-63.2, 18.0, -62.95, 18.13)),
)

SCHEMA = """
-- The territories of geodata.territories: a point belongs to the first one (by position)
-- whose bounding box holds it, and is measured in metres in that territory's CRS.
CREATE TABLE territories (
    code text CONSTRAINT pk_territories PRIMARY KEY,
    name text NOT NULL,
    epsg int NOT NULL,
    min_lon float8 NOT NULL,
    min_lat float8 NOT NULL,
    max_lon float8 NOT NULL,
    max_lat float8 NOT NULL,
    position int NOT NULL CONSTRAINT uq_territories_position UNIQUE
);
COMMENT ON TABLE territories IS
    'Territoires couverts (copie de geodata/territories.py) : emprise en lon/lat WGS84 et '
    'projection métrique (EPSG) dans laquelle les distances sont mesurées. Un point appartient '
    'au premier territoire (position) dont l''emprise le contient.';

-- Cache of what the QPV sources of a vintage tell, per territory, in the territory's CRS
-- (see fabriques_compute_qpv_complete_area). version_ids are the ids of the current dataset
-- versions it was computed from: when they change (a source loaded again, or removed),
-- fabriques_qpv_complete_areas computes the row again.
CREATE TABLE qpv_complete_areas (
    vintage text NOT NULL,
    territory text NOT NULL
        CONSTRAINT fk_qpv_complete_areas_territory_territories REFERENCES territories (code),
    version_ids int[] NOT NULL,
    everywhere boolean NOT NULL,
    area geometry,
    frontier geometry,
    hosting_area geometry,
    computed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_qpv_complete_areas PRIMARY KEY (vintage, territory)
);
COMMENT ON TABLE qpv_complete_areas IS
    'Cache (recalculé automatiquement) de la zone où les sources QPV d''un millésime sont '
    'complètes, par territoire, dans la projection du territoire : everywhere = une source '
    'couvre toute la France ; area = union des communes des régions ou départements complets '
    '(trous de moins de 1 km² bouchés) ; frontier = partie de son contour qui touche des '
    'communes non couvertes ; hosting_area = union des communes que la liste officielle '
    'désigne comme accueillant un QPV (NULL sans liste complète pour la France). '
    'version_ids : versions de données (dataset_versions.id) utilisées.';

-- hosting_area cut in small pieces with a GIST index: "no hosting commune within d" is then
-- a quick index probe, where a distance to the whole union (tens of thousands of vertices)
-- takes milliseconds per point. Rewritten with its qpv_complete_areas row.
CREATE TABLE qpv_hosting_pieces (
    vintage text NOT NULL,
    territory text NOT NULL,
    geom geometry NOT NULL,
    CONSTRAINT fk_qpv_hosting_pieces_vintage_qpv_complete_areas
        FOREIGN KEY (vintage, territory) REFERENCES qpv_complete_areas (vintage, territory)
        ON DELETE CASCADE
);
CREATE INDEX ix_qpv_hosting_pieces_geom ON qpv_hosting_pieces USING gist (geom);
CREATE INDEX ix_qpv_hosting_pieces_vintage ON qpv_hosting_pieces (vintage, territory);
COMMENT ON TABLE qpv_hosting_pieces IS
    'Cache : qpv_complete_areas.hosting_area découpée en petits morceaux indexés '
    '(projection du territoire).';

-- A lon/lat box around a point that holds every geometry lying within radius_m metres of it
-- in any territory's projected CRS: the prefilter that lets the GIST indexes of the EPSG:4326
-- columns work. Generous on purpose (25 % plus 10 m: projection scale errors are under 1 %).
CREATE FUNCTION fabriques_lonlat_box(lon float8, lat float8, radius_m float8)
RETURNS geometry LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_Expand(
        ST_SetSRID(ST_MakePoint(lon, lat), 4326),
        (radius_m * 1.25 + 10.0) / 110000.0
            / cos(radians(least(abs(lat) + (radius_m * 1.25 + 10.0) / 110000.0, 89.0))),
        (radius_m * 1.25 + 10.0) / 110000.0)
$$;

-- A (multi)polygon without its interior rings smaller than min_hole_area: the gaps that
-- generalised commune contours leave between neighbours (engine: _without_small_holes).
CREATE FUNCTION fabriques_without_small_holes(area geometry, min_hole_area float8)
RETURNS geometry LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_Multi(ST_Collect(
        ST_MakePolygon(
            ST_ExteriorRing(part.geom),
            ARRAY(SELECT ST_InteriorRingN(part.geom, ring)
                  FROM generate_series(1, ST_NumInteriorRings(part.geom)) AS ring
                  WHERE ST_Area(ST_MakePolygon(ST_InteriorRingN(part.geom, ring)))
                        >= min_hole_area
                  ORDER BY ring))
        ORDER BY part.path))
    FROM ST_Dump(area) AS part
$$;

-- The current dataset versions a row of qpv_complete_areas depends on: the QPV sources and
-- the official list of the vintage, the communes (région and département of each commune)
-- and the commune contours.
CREATE FUNCTION fabriques_qpv_version_ids(vintage text)
RETURNS int[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(v.id ORDER BY v.id), '{}')
    FROM dataset_versions AS v
    WHERE v.current
      AND ((v.dataset IN ('qpv', 'qpv-communes')
            AND v.vintage = fabriques_qpv_version_ids.vintage)
           OR v.dataset IN ('communes', 'commune-contours'))
$$;

-- What the QPV sources of a vintage tell in one territory, computed without the cache, as
-- geodata.eligibility.layers.ReferenceIndex._index does it:
--   everywhere: a current QPV source of the vintage is complete for the whole country (then
--         area and frontier are NULL: they are not needed);
--   area: union (1 m grid) of the projected contours (kind COM) of the communes in the
--         régions or départements the sources are complete for, without its holes under
--         1 km² (_complete_area); NULL when the sources cover no commune of the territory;
--   frontier: the part of the area's boundary within 100 m of the other communes of the
--         territory (generalised contours leave gaps up to that wide): a disc that crosses
--         it reaches land where an unknown QPV can lie; one that crosses the coastline does
--         not;
--   hosting_area: union (1 m grid) of the contours of the communes that the official list
--         of the vintage names as hosting a QPV (_hosting_area); empty when it names none
--         of the territory; NULL when no such list, complete for the whole country, is
--         loaded, or when the territory has no commune contour.
CREATE FUNCTION fabriques_compute_qpv_complete_area(
    vintage text, territory text,
    OUT everywhere boolean, OUT area geometry, OUT frontier geometry,
    OUT hosting_area geometry)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    srid int;
    regions text[];
    departements text[];
    hosting_list boolean;
BEGIN
    SELECT t.epsg INTO srid
      FROM territories AS t
     WHERE t.code = fabriques_compute_qpv_complete_area.territory;
    IF srid IS NULL THEN
        RAISE EXCEPTION 'territoire inconnu : %', fabriques_compute_qpv_complete_area.territory;
    END IF;
    -- What the current QPV sources of the vintage say about their own completeness:
    -- complete_for = {"scope": "country" | "regions" | "departements" | "none", "codes": [...]}
    SELECT coalesce(bool_or(v.complete_for ->> 'scope' = 'country'), false),
           coalesce(array_agg(code.value) FILTER (
               WHERE v.complete_for ->> 'scope' = 'regions' AND code.value IS NOT NULL), '{}'),
           coalesce(array_agg(code.value) FILTER (
               WHERE v.complete_for ->> 'scope' = 'departements' AND code.value IS NOT NULL),
               '{}')
      INTO everywhere, regions, departements
      FROM dataset_versions AS v
      LEFT JOIN LATERAL json_array_elements_text(
               coalesce(v.complete_for -> 'codes', '[]'::json)) AS code(value) ON true
     WHERE v.current
       AND v.dataset = 'qpv'
       AND v.vintage = fabriques_compute_qpv_complete_area.vintage;
    -- The official list of the communes hosting a QPV counts only when a current version of
    -- it is complete for the whole country.
    SELECT EXISTS (
               SELECT 1 FROM dataset_versions AS v
                WHERE v.current
                  AND v.dataset = 'qpv-communes'
                  AND v.vintage = fabriques_compute_qpv_complete_area.vintage
                  AND v.complete_for ->> 'scope' = 'country')
      INTO hosting_list;

    WITH
    -- The territory's commune contours, projected; whether the QPV sources cover them (a
    -- contour without its row in communes is not covered); whether the list names them.
    contours AS MATERIALIZED (
        SELECT cc.code,
               ST_Transform(cc.geom, srid) AS geom,
               NOT everywhere
                   AND coalesce(c.region_code = ANY (regions)
                                OR c.departement_code = ANY (departements), false) AS inside,
               listed.commune_code IS NOT NULL AS hosting
          FROM commune_contours AS cc
          LEFT JOIN communes AS c ON c.code = cc.code
          LEFT JOIN (SELECT DISTINCT qc.commune_code
                       FROM qpv_communes AS qc
                      WHERE qc.vintage = fabriques_compute_qpv_complete_area.vintage) AS listed
            ON listed.commune_code = cc.code
         WHERE cc.kind = 'COM'
           AND cc.territory = fabriques_compute_qpv_complete_area.territory),
    covered AS (
        SELECT fabriques_without_small_holes(
                   ST_Union(c.geom, 1.0 ORDER BY c.code), 1000000.0) AS geom
          FROM contours AS c
         WHERE c.inside),
    -- The area cut in small pieces, only to find its neighbours fast: the distance to the
    -- area is the smallest distance to one of its pieces.
    pieces AS MATERIALIZED (
        SELECT ST_Subdivide(covered.geom, 256) AS geom FROM covered),
    neighbours AS (
        SELECT ST_Union(c.geom, 1.0 ORDER BY c.code) AS geom
          FROM contours AS c, covered
         WHERE NOT c.inside
           AND c.geom && ST_Expand(covered.geom, 100.0)
           AND EXISTS (SELECT 1 FROM pieces AS p WHERE ST_DWithin(p.geom, c.geom, 100.0))),
    hosting AS (
        SELECT CASE WHEN NOT hosting_list OR count(*) = 0 THEN NULL
                    ELSE coalesce(ST_Union(c.geom, 1.0 ORDER BY c.code)
                                      FILTER (WHERE c.hosting),
                                  ST_SetSRID('POLYGON EMPTY'::geometry, srid))
               END AS geom
          FROM contours AS c)
    SELECT covered.geom,
           ST_Intersection(
               ST_Boundary(covered.geom),
               ST_Buffer(coalesce(neighbours.geom, ST_SetSRID('POLYGON EMPTY'::geometry, srid)),
                         100.0)),
           hosting.geom
      INTO area, frontier, hosting_area
      FROM covered, neighbours, hosting;
END
$$;

-- What the QPV sources of a vintage tell, for every territory (rows of qpv_complete_areas):
-- from the cache when it was computed from the dataset versions now current, else computed
-- and stored. A session that may not write (read-only transaction, standby, role without
-- INSERT) computes it each time, and has no qpv_hosting_pieces for it.
CREATE FUNCTION fabriques_qpv_complete_areas(vintage text)
RETURNS SETOF qpv_complete_areas
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    key int[] := fabriques_qpv_version_ids(fabriques_qpv_complete_areas.vintage);
    place record;
    known qpv_complete_areas;
BEGIN
    FOR place IN SELECT t.code FROM territories AS t ORDER BY t.position LOOP
        SELECT a.* INTO known
          FROM qpv_complete_areas AS a
         WHERE a.vintage = fabriques_qpv_complete_areas.vintage
           AND a.territory = place.code
           AND a.version_ids = key;
        IF NOT FOUND THEN
            SELECT fabriques_qpv_complete_areas.vintage, place.code, key, computed.everywhere,
                   computed.area, computed.frontier, computed.hosting_area, now()
              INTO known
              FROM fabriques_compute_qpv_complete_area(
                       fabriques_qpv_complete_areas.vintage, place.code) AS computed;
            BEGIN
                INSERT INTO qpv_complete_areas AS a
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
                       computed_at = EXCLUDED.computed_at;
                DELETE FROM qpv_hosting_pieces AS hp
                 WHERE hp.vintage = known.vintage AND hp.territory = known.territory;
                INSERT INTO qpv_hosting_pieces (vintage, territory, geom)
                SELECT known.vintage, known.territory, ST_Subdivide(known.hosting_area, 64);
            EXCEPTION WHEN read_only_sql_transaction OR insufficient_privilege THEN
                NULL;  -- not cached: computed again next time
            END;
        END IF;
        RETURN NEXT known;
    END LOOP;
END
$$;
COMMENT ON FUNCTION fabriques_qpv_complete_areas(text) IS
    'Ce que disent les sources QPV du millésime, par territoire : zone où elles sont '
    'complètes, sa frontière, communes accueillant un QPV selon la liste officielle (voir la '
    'table qpv_complete_areas, qui sert de cache et se recalcule quand les données changent).';

-- The classification of geodata.eligibility.engine.classify for exact points. Each step
-- names the engine function it mirrors; three-valued answers are true / false / NULL.
CREATE FUNCTION fabriques_classify(
    lons float8[], lats float8[], vintage text, proximity_m float8, search_radius_m float8,
    urban_definition text, density_levels int[], precedence text)
RETURNS TABLE (
    ord int, territory text, commune_code text, density_level int, metropole boolean,
    in_qpv boolean, qpv_code text, nearest_qpv_code text, distance_to_qpv_m float8,
    near_qpv boolean, outside_large_urban_centre boolean, category text)
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling this query costs more than running it
AS $$
#variable_conflict use_column
DECLARE
    complete_areas qpv_complete_areas[];
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

    -- Computed (and cached) in a statement of its own, so that the query below sees the
    -- qpv_hosting_pieces it may have written.
    complete_areas := ARRAY(
        SELECT a FROM fabriques_qpv_complete_areas(fabriques_classify.vintage) AS a);

    RETURN QUERY
    WITH
    -- classify: the territory is the first (by position) whose box holds the point; the
    -- point is measured in that territory's CRS.
    located AS MATERIALIZED (
        SELECT input.ord::int AS ord, input.lon, input.lat, t.code AS territory, t.epsg,
               ST_Transform(ST_SetSRID(ST_MakePoint(input.lon, input.lat), 4326), t.epsg)
                   AS pt
          FROM unnest(fabriques_classify.lons, fabriques_classify.lats)
               WITH ORDINALITY AS input(lon, lat, ord)
          LEFT JOIN LATERAL (
               SELECT tt.code, tt.epsg
                 FROM territories AS tt
                WHERE input.lon BETWEEN tt.min_lon AND tt.max_lon
                  AND input.lat BETWEEN tt.min_lat AND tt.max_lat
                ORDER BY tt.position
                LIMIT 1) AS t ON true),
    -- What the QPV sources tell in each territory (cached): complete area, its frontier,
    -- communes hosting a QPV according to the official list.
    -- (ST_Force2D makes plain copies of the stored geometries, decompressed here once
    -- rather than at each of the thousands of tests below.)
    sources AS MATERIALIZED (
        SELECT qc.territory, qc.everywhere, ST_Force2D(qc.area) AS area,
               ST_Force2D(qc.frontier) AS frontier, ST_Force2D(qc.hosting_area) AS hosting_area,
               EXISTS (SELECT 1 FROM qpv_complete_areas AS a
                        WHERE a.vintage = qc.vintage AND a.territory = qc.territory
                          AND a.version_ids = qc.version_ids) AS has_pieces
          FROM unnest(complete_areas) AS qc),
    -- The communes of the métropoles (METRO, MET69), as a jsonb object (code -> true):
    -- "codes ? code" stays a fast lookup whatever join order the planner picks.
    metropole_communes AS MATERIALIZED (
        SELECT coalesce(jsonb_object_agg(em.commune_code, true), '{}') AS codes,
               EXISTS (SELECT 1 FROM epci) AS epci_loaded
          FROM epci_members AS em
          JOIN epci AS e ON e.code = em.epci_code
         WHERE e.kind IN ('METRO', 'MET69')),
    -- _classify_territory: the commune and the QPV holding the point (boundary included;
    -- several: the lowest code), the nearest QPV within the search radius (a point in a QPV:
    -- that QPV, at 0 m). The lon/lat boxes let the GIST indexes prefilter; the other
    -- filters are written "column || ''" to keep them out of index scans: without fresh
    -- statistics the planner would AND the selective GIST scan with a b-tree scan of every
    -- commune of the territory.
    measured AS (
        SELECT l.ord, l.territory, l.pt, hosting_near.found AS hosting_near,
               com.code AS commune_code,
               inq.code AS qpv_code,
               coalesce(inq.code, nq.code) AS nearest_qpv_code,
               CASE WHEN inq.code IS NOT NULL THEN 0.0::float8 ELSE nq.distance END
                   AS distance
          FROM located AS l
          LEFT JOIN LATERAL (
               SELECT cc.code
                 FROM commune_contours AS cc
                WHERE cc.kind || '' = 'COM'
                  AND cc.territory || '' = l.territory
                  AND cc.geom && fabriques_lonlat_box(l.lon, l.lat, 1.0)
                  AND ST_Intersects(ST_Transform(cc.geom, l.epsg), l.pt)
                ORDER BY cc.code
                LIMIT 1) AS com ON true
          LEFT JOIN LATERAL (
               SELECT q.code
                 FROM qpv AS q
                WHERE q.vintage || '' = fabriques_classify.vintage
                  AND q.territory || '' = l.territory
                  AND q.geom && fabriques_lonlat_box(l.lon, l.lat, 1.0)
                  AND ST_Intersects(ST_Transform(q.geom, l.epsg), l.pt)
                ORDER BY q.code
                LIMIT 1) AS inq ON true
          LEFT JOIN LATERAL (
               SELECT q.code, ST_Distance(projected.geom, l.pt) AS distance
                 FROM qpv AS q
                 CROSS JOIN LATERAL (SELECT ST_Transform(q.geom, l.epsg) AS geom) AS projected
                WHERE q.vintage || '' = fabriques_classify.vintage
                  AND q.territory || '' = l.territory
                  AND q.geom && fabriques_lonlat_box(
                          l.lon, l.lat, fabriques_classify.search_radius_m)
                  AND ST_DWithin(projected.geom, l.pt, fabriques_classify.search_radius_m)
                ORDER BY 2, q.code
                LIMIT 1) AS nq ON true
          -- _no_hosting_commune_within, first half: a piece of the communes that the official
          -- list names as hosting a QPV within proximity_m + 100 m (generalised contours).
          -- The CASE keeps ST_DWithin off pieces of other territories (other CRS).
          LEFT JOIN LATERAL (
               SELECT true AS found
                 FROM qpv_hosting_pieces AS hp
                WHERE hp.vintage || '' = fabriques_classify.vintage
                  AND hp.geom && ST_Expand(l.pt, fabriques_classify.proximity_m + 100.0)
                  AND CASE WHEN hp.territory = l.territory
                           THEN ST_DWithin(hp.geom, l.pt, fabriques_classify.proximity_m + 100.0)
                           ELSE false
                      END
                LIMIT 1) AS hosting_near ON true),
    -- _completeness: in the complete area; and the proximity disc clear of its frontier.
    -- _no_hosting_commune_within: no commune named by the official list within
    -- proximity_m + 100 m (generalised contours), so no QPV within proximity_m, at sea too;
    -- nothing is said without the list (hosting_area NULL).
    known AS (
        SELECT m.*,
               coalesce(s.everywhere, false)
                   OR coalesce(ST_Intersects(s.area, m.pt), false) AS inside,
               coalesce(s.everywhere, false)
                   OR (coalesce(ST_Intersects(s.area, m.pt), false)
                       AND NOT coalesce(ST_DWithin(s.frontier, m.pt,
                                                   fabriques_classify.proximity_m), false))
                   AS proximity_known,
               CASE WHEN s.hosting_area IS NULL THEN false
                    WHEN s.has_pieces THEN m.hosting_near IS NULL
                    -- not cached (read-only session): the slow way, on the whole union
                    ELSE NOT ST_DWithin(s.hosting_area, m.pt,
                                        fabriques_classify.proximity_m + 100.0)
               END AS no_hosting_commune
          FROM measured AS m
          LEFT JOIN sources AS s ON s.territory = m.territory),
    -- _classify_territory and _urban_half: the three-valued answers.
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
               CASE WHEN k.commune_code IS NULL OR NOT mc.epci_loaded THEN NULL
                    ELSE mc.codes ? k.commune_code
               END AS metropole
          FROM known AS k
          CROSS JOIN metropole_communes AS mc
          LEFT JOIN commune_classes AS cl
            ON cl.typology = 'densite' AND cl.commune_code = k.commune_code),
    outside AS (
        SELECT a.*,
               CASE WHEN fabriques_classify.urban_definition = 'metropole'
                    THEN NOT a.metropole
                    ELSE NOT (a.density_level = ANY (fabriques_classify.density_levels))
               END AS outside_large_urban_centre
          FROM answered AS a),
    -- _categories: the QPV half is true when in or near a QPV, false when neither.
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
                -- with the outside half first, outside wins whatever the QPV half says
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
COMMENT ON FUNCTION fabriques_classify(
    float8[], float8[], text, float8, float8, text, int[], text) IS
    'Classification d''éligibilité Fabriques de Territoire, identique au moteur Python '
    '(geodata.eligibility.classify) pour des points exacts : une ligne par point (ord = rang '
    'dans les tableaux, à partir de 1). Chaque point est traité avec la précision « point » : '
    'la logique des localisations connues à la commune près (centroïdes de commune, '
    'précision « commune » ou « locality ») reste dans le moteur Python, qui ne conclut alors '
    'sur les QPV que si aucun QPV ne peut être à moins de proximity_m du contour de la '
    'commune. Réponses à trois valeurs : true, false, NULL (inconnu). Hors de tout '
    'territoire : territory NULL et catégorie a-verifier. Les distances sont en mètres dans '
    'la projection du territoire (table territories).';
"""


# The two shipped policies (geodata/policies/current.toml and ami-2019.toml) as they were
# when this migration was written: (view, policy, fabriques_classify arguments after the points).
POLICY_VIEWS = (
    ("laureates_eligibility_current", "current",
     "'2024', 300, 5000, 'density_grid', ARRAY[1]::int[], 'qpv'"),
    ("laureates_eligibility_ami_2019", "ami-2019",
     "'2015', 300, 5000, 'metropole', ARRAY[]::int[], 'qpv'"),
)

VIEW = """
-- Every located laureate (laureates.geom not null) classified in one call.
CREATE VIEW {view} AS
SELECT l.id,
       l.name,
       l.commune_code AS laureate_commune_code,
       l.commune_name AS laureate_commune_name,
       l.precision AS laureate_precision,
       c.territory,
       c.commune_code,
       c.density_level,
       c.metropole,
       c.in_qpv,
       c.qpv_code,
       c.nearest_qpv_code,
       c.distance_to_qpv_m,
       c.near_qpv,
       c.outside_large_urban_centre,
       c.category,
       l.geom
  FROM (SELECT coalesce(array_agg(la.id ORDER BY la.id), '{{}}') AS ids,
               coalesce(array_agg(ST_X(la.geom) ORDER BY la.id), '{{}}') AS lons,
               coalesce(array_agg(ST_Y(la.geom) ORDER BY la.id), '{{}}') AS lats
          FROM laureates AS la
         WHERE la.geom IS NOT NULL) AS points
 CROSS JOIN LATERAL fabriques_classify(points.lons, points.lats, {arguments}) AS c
  JOIN laureates AS l ON l.id = points.ids[c.ord];
COMMENT ON VIEW {view} IS
    'Lauréats localisés classés par fabriques_classify avec les paramètres de la politique '
    '« {policy} » (geodata/policies/{policy}.toml) recopiés tels qu''ils étaient lors de la '
    'migration 0002 : {arguments_text}. Les points sont traités comme exacts : les '
    'lauréats placés au centroïde de leur commune (laureate_precision = commune) y reçoivent '
    'la réponse de ce point, alors que le service répond « à vérifier » pour la moitié QPV '
    'tant qu''un QPV peut se trouver à proximité de la commune.';
"""

DROP = """
DROP VIEW IF EXISTS laureates_eligibility_ami_2019;
DROP VIEW IF EXISTS laureates_eligibility_current;
DROP FUNCTION IF EXISTS fabriques_classify(
    float8[], float8[], text, float8, float8, text, int[], text);
DROP FUNCTION IF EXISTS fabriques_qpv_complete_areas(text);
DROP FUNCTION IF EXISTS fabriques_compute_qpv_complete_area(text, text);
DROP FUNCTION IF EXISTS fabriques_qpv_version_ids(text);
DROP FUNCTION IF EXISTS fabriques_without_small_holes(geometry, float8);
DROP FUNCTION IF EXISTS fabriques_lonlat_box(float8, float8, float8);
DROP TABLE IF EXISTS qpv_hosting_pieces;
DROP TABLE IF EXISTS qpv_complete_areas;
DROP TABLE IF EXISTS territories;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    op.execute(SCHEMA)
    territories = sa.table(
        "territories",
        sa.column("code", sa.Text), sa.column("name", sa.Text), sa.column("epsg", sa.Integer),
        sa.column("min_lon", sa.Float), sa.column("min_lat", sa.Float),
        sa.column("max_lon", sa.Float), sa.column("max_lat", sa.Float),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(territories, [
        {"code": code, "name": name, "epsg": epsg, "min_lon": box[0], "min_lat": box[1],
         "max_lon": box[2], "max_lat": box[3], "position": position}
        for position, (code, name, epsg, box) in enumerate(TERRITORIES, start=1)
    ])
    for view, policy, arguments in POLICY_VIEWS:
        op.execute(VIEW.format(view=view, policy=policy, arguments=arguments,
                               arguments_text=arguments.replace("'", "''")))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(DROP)
