"""PostGIS classification: each point's facts gathered in cell order (PostGIS only)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

``classify_part`` of 0013 projected the points (``ST_Transform`` computed three times a
point: for the geometry and for each coordinate of its cell), tested the pieces their cells
list in the order of the cells, then sorted every tested row (about three a point) by point
to aggregate them, sorted the aggregates again to join them with the located points, and
sorted its answer, which ``fabriques_classify`` sorts once more when it merges the parts.
Each CRS's rows are now aggregated in the order they come in: the points sorted by
``(cell, ord)``, each point's rows are consecutive, so that a GroupAggregate reads them
without sorting. Also:

- a point's projection is computed once (a subquery that is not flattened);
- a point whose cell lists nothing keeps its row (the cells are LEFT JOINed), so that the
  facts hold every located point and the located points are not joined to them again; the
  points outside every territory are added to them;
- the nearest QPV within the search radius is the least ``(distance, code)`` pair, a
  composite (``nearest_qpv``) compared as a whole, instead of an ordered ``array_agg``,
  which began a sort for every point;
- a whole cell reads no piece (the piece's key is NULL, so the index is not descended);
- a part returns its rows in no particular order; ``fabriques_classify`` sorts them once,
  whether there is one part or several.

``classify_parts`` also reads ``parallel_leader_participation``: when the leader takes no
part of the work, there is one part per worker (with one more, a part waited for a worker
and the call took about a quarter longer: 0.89 s against 0.70 s on 100,000 points).

Same answers (the agreement tests, on every laureate and seeded points of both vintages).
Measured on 100,000 random points over metropolitan France (``bench/classify.py``'s points;
2 cores, shared, the same minute, five runs each way alternating, best of each): 0.69 s
against 0.82 s for 0014's function with the 2024 QPVs, 0.62 s against 0.76 s with the 2015
ones.
"""

import importlib

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NEAREST_TYPE = """
CREATE TYPE {internal}.nearest_qpv AS (distance float8, code text);
COMMENT ON TYPE {internal}.nearest_qpv IS
    'Un QPV et sa distance : le plus proche est le plus petit couple (distance, code).';
"""

PROJECTED = (
    """    projected_{srid} AS MATERIALIZED (
        SELECT l.ord, l.zone, pt.geom, {cell} AS cell
          FROM located AS l
         CROSS JOIN LATERAL (
               SELECT ST_Transform(ST_SetSRID(ST_MakePoint(l.lon, l.lat), 4326), {srid})
                   AS geom) AS pt
         WHERE l.epsg = {srid}
         ORDER BY cell),""",
    # Projected once (OFFSET 0: the subquery is not flattened into its three uses), sorted
    # by cell, then by point: each point's rows below come together.
    """    projected_{srid} AS NOT MATERIALIZED (
        SELECT pt.ord, pt.position, pt.zone, pt.geom, {cell} AS cell
          FROM (SELECT l.ord, l.position, l.zone,
                       ST_Transform(ST_SetSRID(ST_MakePoint(l.lon, l.lat), 4326), {srid})
                           AS geom
                  FROM located AS l
                 WHERE l.epsg = {srid}
                OFFSET 0) AS pt
         ORDER BY cell, ord),""",
)

TESTED = (
    ("    tested_{srid} AS (\n"
     "        SELECT pt.ord, c.layer, c.code,\n",
     "    tested_{srid} AS (\n"
     "        SELECT pt.ord, pt.cell, pt.position, c.layer, c.code,\n"),
    ("          JOIN {internal}.cells_{srid} AS c ON c.zone = pt.zone AND c.cell = pt.cell\n"
     "          LEFT JOIN {internal}.pieces_{srid} AS p ON NOT c.whole AND p.id = c.piece),",
     # A point whose cell lists nothing keeps one row; a whole cell's key is NULL (no probe).
     "          LEFT JOIN {internal}.cells_{srid} AS c\n"
     "            ON c.zone = pt.zone AND c.cell = pt.cell\n"
     "          LEFT JOIN {internal}.pieces_{srid} AS p\n"
     "            ON p.id = CASE WHEN NOT c.whole THEN c.piece END\n"
     "         ORDER BY pt.cell, pt.ord),"),
)

NEAREST = (
    """               (array_agg(t.code ORDER BY t.distance, t.code) FILTER (
                   WHERE t.layer = 'qpv'
                     AND t.distance <= classify_part.search_radius_m))[1] AS nearest_code,""",
    """               (min(ARRAY[(t.distance, t.code)::{internal}.nearest_qpv]) FILTER (
                   WHERE t.layer = 'qpv'
                     AND t.distance <= classify_part.search_radius_m))[1].code
                   AS nearest_code,""",
)

FACTS = (
    "    tested AS (SELECT * FROM tested_",  # up to the end of facts: replaced whole
    """          FROM tested AS t
         GROUP BY t.ord),
""",
)
AGGREGATES = "        SELECT t.ord,\n"
FACTS_OF_CRS = """    facts_{srid} AS (
        SELECT t.ord, min(t.position) AS position,
{aggregates}          FROM tested_{srid} AS t
         GROUP BY t.cell, t.ord),
"""
FACTS_COMMENT = """\
    -- The commune and the QPV holding the point (several: the lowest code), the nearest QPV
    -- within the search radius (in a QPV: that one, at 0 m), a hosting commune within
    -- proximity_m + 100 m, inside the complete area, near its frontier: per CRS, each
    -- point's rows aggregated in the order they come (by cell, then point).
"""
OTHER_CHANGES = (
    ("               z.territory, z.epsg, z.zone, z.everywhere, z.has_hosting_list\n",
     "               z.territory, z.position, z.epsg, z.zone, z.everywhere, z.has_hosting_list\n"),
    ("      FROM halves AS h\n     ORDER BY h.ord;\n",
     "      FROM halves AS h;\n"),
)

KNOWN = (
    # Every located point has its facts (its zone by its territory's position); those
    # outside every territory's box are added.
    ("        SELECT l.ord, l.territory, f.commune_code, f.qpv_code,\n",
     "        SELECT f.ord, z.territory, f.commune_code, f.qpv_code,\n"),
    ("coalesce(l.everywhere, false) OR coalesce(f.in_area, false) AS inside,",
     "coalesce(z.everywhere, false) OR coalesce(f.in_area, false) AS inside,"),
    ("coalesce(l.everywhere, false)\n                   OR (coalesce(f.in_area, false)",
     "coalesce(z.everywhere, false)\n                   OR (coalesce(f.in_area, false)"),
    ("CASE WHEN NOT coalesce(l.has_hosting_list, false) THEN false",
     "CASE WHEN NOT coalesce(z.has_hosting_list, false) THEN false"),
    ("          FROM located AS l\n"
     "          LEFT JOIN facts AS f ON f.ord = l.ord),\n",
     "          FROM facts AS f\n"
     "          JOIN zones AS z ON z.position = f.position\n"
     "        UNION ALL\n"
     "        SELECT l.ord, NULL, NULL, NULL, NULL, NULL::float8, false, false, false\n"
     "          FROM located AS l\n"
     "         WHERE l.position IS NULL),\n"),
)

ONE_PART = (
    "            fabriques_classify.lons, fabriques_classify.lats, 1,\n"
    "            fabriques_classify.proximity_m, fabriques_classify.search_radius_m,\n"
    "            fabriques_classify.urban_definition, fabriques_classify.density_levels,\n"
    "            fabriques_classify.precedence, complete_areas);\n",
    "            fabriques_classify.lons, fabriques_classify.lats, 1,\n"
    "            fabriques_classify.proximity_m, fabriques_classify.search_radius_m,\n"
    "            fabriques_classify.urban_definition, fabriques_classify.density_levels,\n"
    "            fabriques_classify.precedence, complete_areas) AS r\n"
    "         ORDER BY r.ord;\n",
)

PROCESSES = (
    "current_setting('max_parallel_workers_per_gather')::int + 1",
    "current_setting('max_parallel_workers_per_gather')::int\n"
    "                         + CASE WHEN current_setting('parallel_leader_participation')::bool\n"
    "                                THEN 1 ELSE 0 END",
)
REPLACEABLE = ("CREATE FUNCTION {internal}.", "CREATE OR REPLACE FUNCTION {internal}.")
"""0013 created its functions; here they are replaced, in both directions."""


def _migration(name: str):
    return importlib.import_module(f"geodata.storage.migrations.versions.{name}")


def _replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _part(part: str, internal: str, srids, cell: str) -> str:
    """0013's classify_part with the changes of the docstring."""
    start = part.index(FACTS[0])
    assert part.count(FACTS[0]) == 1 and part.count(FACTS[1]) == 1
    end = part.index(FACTS[1], start) + len(FACTS[1])
    aggregates = part[part.index(AGGREGATES, start) + len(AGGREGATES):end - len(FACTS[1])]
    aggregates = _replaced(aggregates, NEAREST[0], NEAREST[1].format(internal=internal))
    facts = FACTS_COMMENT + "".join(FACTS_OF_CRS.format(srid=srid, aggregates=aggregates)
                                    for srid in srids)
    facts += "    facts AS (" + "\n        UNION ALL ".join(
        f"SELECT * FROM facts_{srid}" for srid in srids) + "),\n"
    part = part[:start] + facts + part[end:]
    for srid in srids:
        part = _replaced(part, PROJECTED[0].format(srid=srid, cell=cell),
                         PROJECTED[1].format(srid=srid, cell=cell))
        for old, new in TESTED:
            part = _replaced(part, old.format(internal=internal, srid=srid),
                             new.format(internal=internal, srid=srid))
    for old, new in (*KNOWN, *OTHER_CHANGES):
        part = _replaced(part, old, new)
    return part


def _sources() -> tuple:
    """0010's module and 0013's texts: classify_part, classify_parts, fabriques_classify,
    each replacing the function in place."""
    m10 = _migration("0010_classification_by_cells")
    m13 = _migration("0013_classify_in_parallel_parts")
    search_path = m13._search_path(m10.INTERNAL)
    head, statement = m13._split(_migration("0012_classify_in_cell_order")._classify(
        search_path))
    territories = op.get_bind().exec_driver_sql(
        "SELECT position, min_lon, min_lat, max_lon, max_lat FROM territories "
        "ORDER BY position").all()
    old, new = (text.format(internal=m10.INTERNAL) for text in REPLACEABLE)
    part = _replaced(m13._part(statement, m10.INTERNAL, search_path, territories), old, new)
    parts = _replaced(m13.PARTS.format(internal=m10.INTERNAL, part_points=m13.PART_POINTS,
                                       max_parts=m13.MAX_PARTS), old, new)
    return m10, part, parts, m13._classify(head, m10.INTERNAL)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    m10, part, parts, classify = _sources()
    op.execute(NEAREST_TYPE.format(internal=m10.INTERNAL))
    op.execute(_part(part, m10.INTERNAL, m10.SRIDS,
                     m10._cell("ST_X(pt.geom)", "ST_Y(pt.geom)")))
    op.execute(_replaced(parts, *PROCESSES))
    op.execute(_replaced(classify, *ONE_PART))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    m10, part, parts, classify = _sources()
    op.execute(classify)
    op.execute(parts)
    op.execute(part)
    op.execute(f"DROP TYPE {m10.INTERNAL}.nearest_qpv")
