"""communes without outline and distances decided as shown, in the SQL classification

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Mirrors two changes of the Python engine in the SQL objects of migration 0002 (PostGIS only):

- ``geodata.eligibility.missing``: a commune that the official lists name (``communes``, the
  QPV list of the vintage) and that has no outline may lie anywhere in the box of its
  département's outlined communes, widened by the largest box diagonal among them (the whole
  territory when the département has no outline there). Those boxes join the hosting area
  (hosting communes without outline) and the neighbours of the complete area (communes
  without outline outside it), so that no "no" leans on a missing outline. New:
  ``territory_departements`` (a copy of ``geodata.territories``, as 0002 copied the
  territories) and ``fabriques_missing_zone``; ``fabriques_compute_qpv_complete_area``
  replaced, and the cached areas dropped so that they are computed again.
- ``geodata.eligibility.engine.rounded_distance``: the distance to the nearest QPV is rounded
  to the decimetre (``floor(m * 10 + 0.5) / 10`` in float8, the engine's operations) before
  proximity is decided, so that the distance shown and the answer agree;
  ``fabriques_classify`` replaced (same signature and columns: the views stay).

As in 0002, the values are copies of the code's at the time of writing. The downgrade
restores the functions of 0002.
"""

import importlib
import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# geodata.territories.TERRITORIES, départements of each territory, as of this migration.
TERRITORY_DEPARTEMENTS = {
    "metropole": [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"],
    "guadeloupe": ["971"], "martinique": ["972"], "guyane": ["973"], "reunion": ["974"],
    "mayotte": ["976"], "saint-barthelemy": ["977"], "saint-martin": ["978"],
}

SCHEMA = """
CREATE TABLE territory_departements (
    departement text CONSTRAINT pk_territory_departements PRIMARY KEY,
    territory text NOT NULL
        CONSTRAINT fk_territory_departements_territory_territories REFERENCES territories (code)
);
COMMENT ON TABLE territory_departements IS
    'Départements de chaque territoire couvert (copie de geodata/territories.py).';

-- geodata.eligibility.missing.missing_communes: where the communes of the territory among
-- codes (by their code) may lie, in the territory's CRS: for each of their départements,
-- the box of its outlined communes (kind COM) widened by the largest box diagonal among
-- them; everywhere when a département has no outline in the territory.
CREATE FUNCTION fabriques_missing_zone(
    codes text[], territory text, srid int, OUT everywhere boolean, OUT zone geometry)
LANGUAGE sql STABLE AS $$
    WITH own AS (
        SELECT DISTINCT CASE WHEN left(code, 2) = '97' THEN left(code, 3)
                             ELSE left(code, 2) END AS departement
          FROM unnest(codes) AS code
          JOIN territory_departements AS td
            ON td.departement = CASE WHEN left(code, 2) = '97' THEN left(code, 3)
                                     ELSE left(code, 2) END
         WHERE code ~ '^([0-9]{5}|2[AB][0-9]{3})$'
           AND td.territory = fabriques_missing_zone.territory),
    outlined AS (
        SELECT CASE WHEN left(cc.code, 2) = '97' THEN left(cc.code, 3)
                    ELSE left(cc.code, 2) END AS departement,
               ST_Transform(cc.geom, srid) AS geom
          FROM commune_contours AS cc
         WHERE cc.kind = 'COM' AND cc.territory = fabriques_missing_zone.territory),
    boxes AS (
        SELECT own.departement,
               min(ST_XMin(o.geom)) AS x0, min(ST_YMin(o.geom)) AS y0,
               max(ST_XMax(o.geom)) AS x1, max(ST_YMax(o.geom)) AS y1,
               max(sqrt((ST_XMax(o.geom) - ST_XMin(o.geom)) ^ 2
                        + (ST_YMax(o.geom) - ST_YMin(o.geom)) ^ 2)) AS reach,
               count(o.geom) AS outlines
          FROM own LEFT JOIN outlined AS o ON o.departement = own.departement
         GROUP BY own.departement)
    SELECT coalesce(bool_or(b.outlines = 0), false),
           ST_Union(ST_MakeEnvelope(b.x0 - b.reach, b.y0 - b.reach, b.x1 + b.reach,
                                    b.y1 + b.reach, srid))
               FILTER (WHERE b.outlines > 0)
      FROM boxes AS b
$$;

-- As in 0002, with the communes without outline (geodata.eligibility.layers.ReferenceIndex):
--   missing hosting communes (the official list names them, no outline): their zone joins
--         hosting_area, which is NULL when one may lie anywhere in the territory;
--   missing neighbours (communes of the COG, or of the list, without outline, whose région
--         and département are not complete): their zone joins the neighbours of the area
--         when within 100 m of it; the whole boundary is frontier when one may lie anywhere.
CREATE OR REPLACE FUNCTION fabriques_compute_qpv_complete_area(
    vintage text, territory text,
    OUT everywhere boolean, OUT area geometry, OUT frontier geometry,
    OUT hosting_area geometry)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    srid int;
    regions text[];
    departements text[];
    hosting_list boolean;
    hosting_missing text[];
    neighbours_missing text[];
    hosting_zone record;
    neighbour_zone record;
BEGIN
    SELECT t.epsg INTO srid
      FROM territories AS t
     WHERE t.code = fabriques_compute_qpv_complete_area.territory;
    IF srid IS NULL THEN
        RAISE EXCEPTION 'territoire inconnu : %', fabriques_compute_qpv_complete_area.territory;
    END IF;
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
    SELECT EXISTS (
               SELECT 1 FROM dataset_versions AS v
                WHERE v.current
                  AND v.dataset = 'qpv-communes'
                  AND v.vintage = fabriques_compute_qpv_complete_area.vintage
                  AND v.complete_for ->> 'scope' = 'country')
      INTO hosting_list;

    -- The communes without outline: those of the list (when it counts), those of the COG.
    SELECT coalesce(array_agg(DISTINCT qc.commune_code), '{}') INTO hosting_missing
      FROM qpv_communes AS qc
     WHERE hosting_list
       AND qc.vintage = fabriques_compute_qpv_complete_area.vintage
       AND NOT EXISTS (SELECT 1 FROM commune_contours AS cc
                        WHERE cc.kind = 'COM' AND cc.code = qc.commune_code);
    SELECT coalesce(array_agg(m.code), '{}') INTO neighbours_missing
      FROM (SELECT c.code, c.region_code
              FROM communes AS c
             WHERE c.kind = 'commune-actuelle'
               AND NOT EXISTS (SELECT 1 FROM commune_contours AS cc
                                WHERE cc.kind = 'COM' AND cc.code = c.code)
            UNION
            SELECT h.code, NULL
              FROM unnest(hosting_missing) AS h(code)
             WHERE NOT EXISTS (SELECT 1 FROM communes AS c
                                WHERE c.code = h.code AND c.kind = 'commune-actuelle')) AS m
     WHERE NOT coalesce(m.region_code = ANY (regions), false)
       AND NOT (CASE WHEN left(m.code, 2) = '97' THEN left(m.code, 3)
                     ELSE left(m.code, 2) END = ANY (departements));
    SELECT * INTO hosting_zone FROM fabriques_missing_zone(
        hosting_missing, fabriques_compute_qpv_complete_area.territory, srid);
    SELECT * INTO neighbour_zone FROM fabriques_missing_zone(
        neighbours_missing, fabriques_compute_qpv_complete_area.territory, srid);

    WITH
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
    pieces AS MATERIALIZED (
        SELECT ST_Subdivide(covered.geom, 256) AS geom FROM covered),
    others AS (
        SELECT c.code, c.geom FROM contours AS c WHERE NOT c.inside
        UNION ALL
        SELECT NULL, neighbour_zone.zone WHERE neighbour_zone.zone IS NOT NULL),
    neighbours AS (
        SELECT ST_Union(o.geom, 1.0 ORDER BY o.code NULLS LAST) AS geom
          FROM others AS o, covered
         WHERE o.geom && ST_Expand(covered.geom, 100.0)
           AND EXISTS (SELECT 1 FROM pieces AS p WHERE ST_DWithin(p.geom, o.geom, 100.0))),
    hosting_shapes AS (
        SELECT c.code, c.geom FROM contours AS c WHERE c.hosting
        UNION ALL
        SELECT NULL, hosting_zone.zone WHERE hosting_zone.zone IS NOT NULL),
    hosting AS (
        SELECT CASE WHEN NOT hosting_list OR hosting_zone.everywhere
                         OR NOT EXISTS (SELECT 1 FROM contours) THEN NULL
                    ELSE coalesce((SELECT ST_Union(h.geom, 1.0 ORDER BY h.code NULLS LAST)
                                     FROM hosting_shapes AS h),
                                  ST_SetSRID('POLYGON EMPTY'::geometry, srid))
               END AS geom)
    SELECT covered.geom,
           CASE WHEN neighbour_zone.everywhere THEN ST_Boundary(covered.geom)
                ELSE ST_Intersection(
                         ST_Boundary(covered.geom),
                         ST_Buffer(coalesce(neighbours.geom,
                                            ST_SetSRID('POLYGON EMPTY'::geometry, srid)),
                                   100.0))
           END,
           hosting.geom
      INTO area, frontier, hosting_area
      FROM covered, neighbours, hosting;
END
$$;

-- The cached areas were computed without the communes without outline: computed again.
DELETE FROM qpv_complete_areas;
"""

DROP = """
DELETE FROM qpv_complete_areas;
DROP FUNCTION IF EXISTS fabriques_missing_zone(text[], text, int);
DROP TABLE IF EXISTS territory_departements;
"""

ROUNDED = "floor(nq.distance * 10.0 + 0.5) / 10.0"
"""The engine's ``rounded_distance`` in float8."""


def _migration_0002():
    return importlib.import_module(
        "geodata.storage.migrations.versions.0002_sql_classification")


def _function_0002(name: str) -> str:
    """The ``CREATE FUNCTION name(...) ... $$;`` statement of migration 0002."""
    schema = _migration_0002().SCHEMA
    found = re.search(rf"CREATE FUNCTION {name}\(.*?\n\$\$;\n", schema, re.DOTALL)
    assert found is not None, name
    return found.group(0).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def _classify_rounded() -> str:
    """0002's fabriques_classify, with the distance rounded before it is decided."""
    original = "CASE WHEN inq.code IS NOT NULL THEN 0.0::float8 ELSE nq.distance END"
    statement = _function_0002("fabriques_classify")
    assert statement.count(original) == 1
    return statement.replace(
        original, f"CASE WHEN inq.code IS NOT NULL THEN 0.0::float8 ELSE {ROUNDED} END")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    op.execute(SCHEMA.split("CREATE FUNCTION fabriques_missing_zone", 1)[0])
    table = sa.table("territory_departements", sa.column("departement", sa.Text),
                     sa.column("territory", sa.Text))
    op.bulk_insert(table, [{"departement": departement, "territory": territory}
                           for territory, codes in TERRITORY_DEPARTEMENTS.items()
                           for departement in codes])
    op.execute("CREATE FUNCTION fabriques_missing_zone"
               + SCHEMA.split("CREATE FUNCTION fabriques_missing_zone", 1)[1])
    op.execute(_classify_rounded())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_function_0002("fabriques_classify"))
    op.execute(_function_0002("fabriques_compute_qpv_complete_area"))
    op.execute(DROP)
