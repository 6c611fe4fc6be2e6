"""PostGIS classification: ``fabriques_classify`` runs with its owner's rights, so that an
analyst's role needs no grant on ``fabriques_internal`` (PostGIS only)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08

An analyst's read-only role had to be given ``USAGE`` on ``fabriques_internal`` and
``SELECT`` on its working tables (docs/analystes.md), or the function and the two views of
laureates answered « permission denied for schema fabriques_internal »: a view reads its
tables with its owner's rights, but the functions it calls run as the caller.
``fabriques_classify`` and the two functions the views call themselves,
``fabriques_qpv_complete_areas`` and ``fabriques_internal.hosting_within``, become
``SECURITY DEFINER``: they read (and keep up to date) the cache of ``fabriques_internal``
as the role that made them, the service's. The functions they call run with those rights
(nested calls keep the definer's identity).

As PostgreSQL's « Writing SECURITY DEFINER Functions Safely » says, each has a fixed
``search_path`` with ``pg_temp`` last: otherwise the caller's temporary schema is searched
first for tables, and a temporary ``territories`` table made by the caller would be read,
with the owner's rights, by ``fabriques_qpv_complete_areas``, whose ``EXECUTE format`` puts
its ``epsg`` into a statement. Every function of the classification that sets its own
``search_path`` (read back from the catalogue: 0010 made one ``index_zone_<srid>`` per
projection) gets ``pg_temp`` appended; ``pg_catalog`` stays implicitly first. The functions
that set none inherit the caller's, here the definer's fixed one. ``public`` must stay
closed to the analysts' ``CREATE`` (PostgreSQL 15's default, docs/analystes.md).

``EXECUTE`` stays granted to ``PUBLIC``, PostgreSQL's default: the views call the three
functions, so their readers need it; the functions write nothing but their cache, computed
from the loaded open data, and answer nothing that the published tables do not say; and
the roles made by the former guide keep working after the upgrade.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

INTERNAL = "fabriques_internal"
DEFINERS = (
    "public.fabriques_classify(float8[], float8[], text, float8, float8, text, int[], text)",
    "public.fabriques_qpv_complete_areas(text)",
    f"{INTERNAL}.hosting_within(text, text, geometry, float8)",
)
"""Called by an analyst directly or through the views of laureates."""

SEARCH_PATHS = f"""
SELECT p.oid::regprocedure::text, substr(c.setting, length('search_path=') + 1)
  FROM pg_proc AS p
 CROSS JOIN LATERAL unnest(p.proconfig) AS c(setting)
 WHERE starts_with(c.setting, 'search_path=')
   AND (p.pronamespace = '{INTERNAL}'::regnamespace
        OR (p.pronamespace = 'public'::regnamespace AND starts_with(p.proname, 'fabriques_')))
 ORDER BY 1
"""


def _search_paths() -> list[tuple[str, str]]:
    """(function, its search_path) for each function of ours that sets one."""
    return [tuple(row) for row in op.get_bind().exec_driver_sql(SEARCH_PATHS).all()]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    for function, path in _search_paths():
        if not path.endswith("pg_temp"):
            op.execute(f"ALTER FUNCTION {function} SET search_path TO {path}, pg_temp")
    for function in DEFINERS:
        op.execute(f"ALTER FUNCTION {function} SECURITY DEFINER")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in DEFINERS:
        op.execute(f"ALTER FUNCTION {function} SECURITY INVOKER")
    for function, path in _search_paths():
        if path.endswith(", pg_temp"):
            op.execute(f"ALTER FUNCTION {function} SET search_path TO "
                       f"{path.removesuffix(', pg_temp')}")
