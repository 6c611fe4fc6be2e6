"""integer feature ids for GIS clients (PostGIS only)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

GDAL and QGIS take a table's integer primary key as the feature id (FID); ``laureates``
(``fabt-…``) and ``commune_contours`` (INSEE code) have text keys, and the views of migration
0002 none. Each gets an integer ``ogc_fid`` (the column name GDAL's PostgreSQL driver looks
for when the key is not an integer, and on views): an identity column, unique, on the two
tables; the laureate's, on the views. The text keys stay the keys the service uses. The views
now classify in a materialised CTE: a filtered read (a bounding box) called the function once
per laureate kept, and was slower than the whole view.
Nothing changes on SQLite (GeoPackage exports number their features themselves).
"""

import importlib

from alembic import op

from geodata.storage.migrations.view_grants import grants_kept

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("laureates", "commune_contours")


def _views_0002():
    return importlib.import_module("geodata.storage.migrations.versions.0002_sql_classification")


VIEW = """
-- Every located laureate (laureates.geom not null) classified in one call, made once
-- whatever the filter (a filtered read called the function once per laureate kept).
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
     CROSS JOIN LATERAL fabriques_classify(points.lons, points.lats, {arguments}) AS c)
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
       c.in_qpv,
       c.qpv_code,
       c.nearest_qpv_code,
       c.distance_to_qpv_m,
       c.near_qpv,
       c.outside_large_urban_centre,
       c.category,
       l.geom
  FROM classified AS c
  JOIN laureates AS l ON l.id = c.laureate_id;
COMMENT ON VIEW {view} IS
    'Lauréats localisés classés par fabriques_classify avec les paramètres de la politique '
    '« {policy} » (geodata/policies/{policy}.toml) recopiés tels qu''ils étaient lors de la '
    'migration 0002 : {arguments_text}. Identifiant entier : ogc_fid (celui du lauréat). Les '
    'points sont traités comme exacts : les lauréats placés au centroïde de leur commune '
    '(laureate_precision = commune) y reçoivent la réponse de ce point, alors que le service '
    'répond « à vérifier » pour la moitié QPV tant qu''un QPV peut se trouver à proximité de '
    'la commune.';
"""


def _create_views(template: str) -> None:
    for view, policy, arguments in _views_0002().POLICY_VIEWS:
        with grants_kept(view):  # a new view has only its owner's privileges
            op.execute(f"DROP VIEW {view}")
            op.execute(template.format(view=view, policy=policy, arguments=arguments,
                                       arguments_text=arguments.replace("'", "''")))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN ogc_fid int GENERATED ALWAYS AS IDENTITY "
                   f"CONSTRAINT uq_{table}_ogc_fid UNIQUE")
        op.execute(f"COMMENT ON COLUMN {table}.ogc_fid IS 'Identifiant entier des entités "
                   "pour les clients SIG (GDAL, QGIS) ; la clé du service reste la clé "
                   "primaire.'")
    _create_views(VIEW)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _create_views(_views_0002().VIEW)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN ogc_fid")
