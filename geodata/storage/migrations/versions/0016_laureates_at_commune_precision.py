"""laureates known to their commune only, as the engine answers them (PostGIS only)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

The views ``laureates_eligibility_*`` took every laureate's point as exact, while the
published list places each Fabrique at its commune's centroid (``laureates.precision`` is
``commune`` for all of them in the shared data): the view said « in a QPV » or « not near a
QPV » from that centroid, where the service, the map, the OGC API and the quotas say « à
vérifier » (47 of 381 laureates under the current policy). A centroid says nothing of QPVs.
The views now answer a laureate of precision ``commune`` or ``locality`` by the engine's rule
for such a location (``geodata.eligibility.engine._coarse_rows``): no QPV, no nearest QPV, no
distance; « not in a QPV, not near one » only when no QPV of the vintage lies within D of the
commune's contour and the whole D band around it is known (the QPV sources complete around
the contour and clear of their frontier, or no commune of the official list within D + 100
m); « à vérifier » otherwise; the urban half is the commune's, and the category follows from
both halves as the engine's ``_categories`` does. Distances are measured in the territory's
CRS, from the same cached zones as ``fabriques_classify`` (``fabriques_qpv_complete_areas``).
The commune is the one the point lies in (the laureate's own in the shared data, but one
whose point lies in no loaded contour, which stays « à vérifier » either way).
Nothing changes on SQLite.
"""

import importlib

from alembic import op

from geodata.storage.migrations.view_grants import grants_kept

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

HOSTING_TOLERANCE_M = 100
"""engine.HOSTING_TOLERANCE_M, as in 0002 and 0010."""
COARSE = "('locality', 'commune')"
"""engine.COARSE_PRECISIONS."""

# The shipped policies as in 0002 (view, policy, fabriques_classify's arguments after the
# points), with what the coarse rule reads of them: vintage, D and the precedence.
POLICY_VIEWS = (
    ("laureates_eligibility_current", "current",
     "'2024', 300, 5000, 'density_grid', ARRAY[1]::int[], 'qpv'", "'2024'", 300, "qpv"),
    ("laureates_eligibility_ami_2019", "ami-2019",
     "'2015', 300, 5000, 'metropole', ARRAY[]::int[], 'qpv'", "'2015'", 300, "qpv"),
)

HOSTING_WITHIN = """
-- Volatile, so that it reads the cache as fabriques_classify (called by the same query)
-- has just written it: a query's own reads see the tables as they were when it started.
CREATE FUNCTION {internal}.hosting_within(vintage text, territory text, shape geometry,
                                          distance float8)
RETURNS boolean LANGUAGE sql VOLATILE
SET search_path = {search_path}
AS $$
    SELECT EXISTS (  -- the pieces, by their box index (SRIDs mixed: the exact test only on
        SELECT 1     -- the territory's)
          FROM qpv_hosting_pieces AS hp
         WHERE hp.vintage = hosting_within.vintage
           AND hp.geom && ST_Expand(hosting_within.shape, hosting_within.distance)
           AND CASE WHEN hp.territory = hosting_within.territory
                    THEN ST_DWithin(hp.geom, hosting_within.shape, hosting_within.distance)
               END)
$$;
COMMENT ON FUNCTION {internal}.hosting_within(text, text, geometry, float8) IS
    'Une commune de la liste officielle des communes à QPV du millésime est-elle à moins de '
    'distance (m) de shape (dans le système du territoire) ? Lit le cache '
    'qpv_hosting_pieces (vues laureates_eligibility_*, migration 0016).';
"""

VIEW = """
-- Every located laureate (laureates.geom not null) classified in one call (0011); those
-- known to their commune only answered by the engine's rule for such a location (0016).
CREATE VIEW {view} AS
WITH points AS (
    SELECT coalesce(array_agg(la.id ORDER BY la.id), '{{}}') AS ids,
           coalesce(array_agg(ST_X(la.geom) ORDER BY la.id), '{{}}') AS lons,
           coalesce(array_agg(ST_Y(la.geom) ORDER BY la.id), '{{}}') AS lats
      FROM laureates AS la
     WHERE la.geom IS NOT NULL),
classified AS MATERIALIZED (
    SELECT points.ids[c.ord] AS laureate_id, c.*
      FROM points
     CROSS JOIN LATERAL fabriques_classify(points.lons, points.lats, {arguments}) AS c),
zones AS MATERIALIZED (
    SELECT z.territory, z.zone, z.everywhere, ST_SetSRID(z.area, t.epsg) AS area,
           ST_SetSRID(z.frontier, t.epsg) AS frontier,
           ST_SetSRID(z.hosting_area, t.epsg) AS hosting_area, t.epsg
      FROM fabriques_qpv_complete_areas({vintage}) AS z
      JOIN territories AS t ON t.code = z.territory),
contours AS MATERIALIZED (
    -- Each commune-precision laureate's commune contour in its territory's CRS, with the
    -- zone of that territory, and the contour's box in degrees widened by more than D (a
    -- degree of latitude is at least 110,574 m, one of longitude 111,320 m × cos(latitude),
    -- and the CRS's scale factor is above 0.99 here) for the QPV index.
    SELECT c.laureate_id, c.territory, z.epsg, ST_Transform(cc.geom, z.epsg) AS geom,
           ST_Expand(cc.geom,
                     {proximity} * 1.01 / (111320.0 * cos(radians(least(89.0, 0.01 + greatest(
                         abs(ST_YMin(cc.geom)), abs(ST_YMax(cc.geom))))))),
                     {proximity} * 1.01 / 110574.0) AS box
      FROM classified AS c
      JOIN laureates AS l ON l.id = c.laureate_id AND l.precision IN {coarse}
      JOIN commune_contours AS cc ON cc.code = c.commune_code AND cc.kind = 'COM'
      JOIN zones AS z ON z.territory = c.territory),
coarse AS MATERIALIZED (
    -- ruled_out: no QPV within D of the commune's contour, and the D band around it known.
    SELECT k.laureate_id,
           NOT EXISTS (
               SELECT 1
                 FROM qpv AS q
                WHERE q.vintage = {vintage} AND q.territory = k.territory
                  AND q.geom && k.box
                  AND ST_DWithin(ST_Transform(q.geom, k.epsg), k.geom, {proximity}))
           AND (z.everywhere
                -- (the frontier first meets the contour's widened box: a prepared
                -- test, where a distance to the whole frontier takes milliseconds)
                OR coalesce(ST_Contains(z.area, k.geom)
                            AND NOT (ST_Intersects(z.frontier, ST_Expand(k.geom, {proximity}))
                                     AND ST_DWithin(z.frontier, k.geom, {proximity})), false)
                OR CASE WHEN z.hosting_area IS NULL THEN false
                        WHEN z.zone IS NULL THEN  -- not cached (a read-only session)
                             NOT ST_DWithin(z.hosting_area, k.geom, {proximity} + {tolerance})
                        ELSE NOT {internal}.hosting_within({vintage}, k.territory, k.geom,
                                                            {proximity} + {tolerance})
                   END)
               AS ruled_out
      FROM contours AS k
      JOIN zones AS z ON z.territory = k.territory),
answered AS (
    SELECT c.laureate_id, l.precision IN {coarse} AS is_coarse,
           CASE WHEN l.precision IN {coarse}
                THEN CASE WHEN k.ruled_out THEN false END ELSE c.in_qpv END AS in_qpv,
           CASE WHEN l.precision IN {coarse}
                THEN CASE WHEN k.ruled_out THEN false END ELSE c.near_qpv END AS near_qpv
      FROM classified AS c
      JOIN laureates AS l ON l.id = c.laureate_id
      LEFT JOIN coarse AS k ON k.laureate_id = c.laureate_id)
SELECT l.ogc_fid,
       l.id,
       l.name,
       l.commune_code AS laureate_commune_code,
       l.commune_name AS laureate_commune_name,
       l.precision AS laureate_precision,
       c.territory,
       c.commune_code,
       c.density_level,
       c.metropole,
       a.in_qpv,
       CASE WHEN a.is_coarse THEN NULL ELSE c.qpv_code END AS qpv_code,
       CASE WHEN a.is_coarse THEN NULL ELSE c.nearest_qpv_code END AS nearest_qpv_code,
       CASE WHEN a.is_coarse THEN NULL ELSE c.distance_to_qpv_m END AS distance_to_qpv_m,
       a.near_qpv,
       c.outside_large_urban_centre,
       CASE WHEN NOT a.is_coarse THEN c.category
            WHEN c.territory IS NULL THEN 'a-verifier'
            -- a commune-precision QPV half is false or unknown, never true
            WHEN a.in_qpv IS NOT NULL THEN
                 CASE c.outside_large_urban_centre WHEN true THEN 'hors-grands-centres-urbains'
                                                   WHEN false THEN 'non-eligible'
                                                   ELSE 'a-verifier' END
            WHEN c.outside_large_urban_centre AND {outside_first} THEN
                 'hors-grands-centres-urbains'
            ELSE 'a-verifier' END AS category,
       l.geom
  FROM classified AS c
  JOIN answered AS a ON a.laureate_id = c.laureate_id
  JOIN laureates AS l ON l.id = c.laureate_id;
COMMENT ON VIEW {view} IS
    'Lauréats localisés classés par fabriques_classify avec les paramètres de la politique '
    '« {policy} » (geodata/policies/{policy}.toml) recopiés tels qu''ils étaient lors de la '
    'migration 0002 : {arguments_text}. Identifiant entier : ogc_fid (celui du lauréat). Un '
    'lauréat connu seulement à sa commune (laureate_precision commune ou locality : tous ceux '
    'de la liste publiée, placés au centroïde de leur commune) reçoit la réponse du service '
    'pour un tel lieu : moitié QPV « à vérifier » (NULL) tant qu''un QPV peut se trouver à '
    'moins de {proximity} m de la commune, ni QPV, ni QPV le plus proche, ni distance.';
"""


def _views(template: str, with_coarse: bool) -> None:
    for view, policy, arguments, vintage, proximity, precedence in POLICY_VIEWS:
        with grants_kept(view):  # a new view has only its owner's privileges
            op.execute(f"DROP VIEW {view}")
            op.execute(template.format(
                view=view, policy=policy, arguments=arguments,
                arguments_text=arguments.replace("'", "''"),
                **({"vintage": vintage, "proximity": proximity,
                    "tolerance": HOSTING_TOLERANCE_M, "internal": _cells_migration().INTERNAL,
                    "coarse": COARSE,
                    "outside_first": "false" if precedence == "qpv" else "true"}
                   if with_coarse else {})))


def _cells_migration():
    return importlib.import_module(
        "geodata.storage.migrations.versions.0010_classification_by_cells")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    internal = _cells_migration().INTERNAL
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    op.execute(HOSTING_WITHIN.format(internal=internal, search_path=f"{internal}, {schema}"))
    _views(VIEW, with_coarse=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    previous = importlib.import_module("geodata.storage.migrations.versions.0011_feature_ids")
    _views(previous.VIEW, with_coarse=False)
    op.execute(f"DROP FUNCTION {_cells_migration().INTERNAL}.hosting_within(text, text, "
               "geometry, float8)")
