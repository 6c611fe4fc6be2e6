"""PostGIS classification in parts that PostgreSQL runs in parallel (PostGIS only)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

``fabriques_classify`` of 0012 runs in one process: its work is the executor's, row by row
(index probes, joins, sorts, aggregates; PostGIS itself takes about a tenth of it), so that a
faster statement gains little; a machine's other cores gain more. PostgreSQL shares work
among processes when a plan has a Gather over parallel-safe parts; a query reading its
points from arrays has no table for a parallel scan, but a ``UNION ALL`` of function calls
becomes a *Parallel Append*, each call run whole by one process (a worker or the leader).

The statement of 0012 moves into ``fabriques_internal.classify_part`` (PARALLEL SAFE: it
reads only), with the positions of a part's points in the whole input, and the territory of
a point found by a CASE of the territories' boxes, by position (written from the
``territories`` table when the migration runs, as 0002 wrote the table from the code),
instead of a join of every point with every territory, sorted (about 5 % of the time).
``fabriques_classify`` validates its arguments and computes the complete areas as before,
then cuts the points in consecutive slices, at least ``PART_POINTS`` each, at most one per
process PostgreSQL may give a query (``max_parallel_workers_per_gather`` + 1, the leader)
and at most ``MAX_PARTS`` (``classify_parts``), and returns the parts' rows in input order.
Fewer than twice ``PART_POINTS`` points make one part, called directly: no worker is started
for a single check or the views of the laureates. Same answers; when no worker is free, the
leader runs every part itself.

Two details decide whether the parallel plan is chosen and pays:

- the parts' cost is declared high (``COST``): the planner otherwise sees a cheap function
  and keeps the serial plan, whose Append costs less than starting workers;
- the statement is static, with ``MAX_PARTS`` calls (the slots beyond the parts are skipped
  by a one-time filter), and planned generically (``plan_cache_mode``, set for this
  statement and the parts' own; the function's other statements keep the default): a
  custom plan, or ``EXECUTE ... USING``, folds the arrays into the plan as constants, which
  every worker then parses back from the plan's text (a fifth of the time saved, on
  100,000 points); as parameters, they reach the workers as bytes.

Measured on 100,000 random points over metropolitan France (``bench/classify.py``'s points;
2 cores, shared, the same minute): 1.06 s for 0012's function, 0.62 s for this one.
"""

import importlib

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PART_POINTS = 20_000
"""Fewest points of a part: a part's fixed cost (planning, the density and EPCI tables read
into hash tables) is about 25 ms, the time of some 2,000 points."""
MAX_PARTS = 8
"""Parts at most: the statement lists this many calls, those beyond the parts being empty."""
PART_COST = 100_000_000
"""Declared cost of a call to classify_part, in cpu_operator_cost units (see the docstring)."""

STATEMENT_START = "    RETURN QUERY\n    WITH\n"
STATEMENT_END = "END\n$$;\n"

LOCATED = (
    """        SELECT DISTINCT ON (input.ord) input.ord::int AS ord, input.lon, input.lat,
               z.territory, z.epsg, z.zone, z.everywhere, z.has_hosting_list
          FROM unnest(fabriques_classify.lons, fabriques_classify.lats)
               WITH ORDINALITY AS input(lon, lat, ord)
          LEFT JOIN zones AS z
            ON input.lon BETWEEN z.min_lon AND z.max_lon
           AND input.lat BETWEEN z.min_lat AND z.max_lat
         ORDER BY input.ord, z.position),""",
    # The positions of the part's points in the whole input; the territory's position by a
    # CASE of the boxes (first by position), not a join of every point with every territory.
    """        SELECT position.ord::int AS ord, input.lon, input.lat,
               z.territory, z.epsg, z.zone, z.everywhere, z.has_hosting_list
          FROM unnest(fabriques_classify.lons, fabriques_classify.lats)
               WITH ORDINALITY AS input(lon, lat, part_ord)
         CROSS JOIN LATERAL (
               SELECT input.part_ord + fabriques_classify.first - 1 AS ord) AS position
          LEFT JOIN zones AS z ON z.position = {territory})),""",
)
TERRITORY_WHEN = """
                   WHEN input.lon BETWEEN {min_lon!r}::float8 AND {max_lon!r}::float8
                    AND input.lat BETWEEN {min_lat!r}::float8 AND {max_lat!r}::float8
                   THEN {position}"""

PART = """
-- 0012's statement for the points of one part (the migration's docstring).
CREATE FUNCTION {internal}.classify_part(
    lons float8[], lats float8[], first int, proximity_m float8, search_radius_m float8,
    urban_definition text, density_levels int[], precedence text,
    complete_areas {internal}.qpv_complete_areas[])
RETURNS TABLE (
    ord int, territory text, commune_code text, density_level int, metropole boolean,
    in_qpv boolean, qpv_code text, nearest_qpv_code text, distance_to_qpv_m float8,
    near_qpv boolean, outside_large_urban_centre boolean, category text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
COST {cost} ROWS {rows}
SET jit = off  -- compiling this query costs more than running it
SET work_mem = '64MB'  -- the hash tables of a few hundred thousand points stay in memory
SET search_path = {search_path}
AS $$
#variable_conflict use_column
BEGIN
{statement}END
$$;
COMMENT ON FUNCTION {internal}.classify_part(
    float8[], float8[], int, float8, float8, text, int[], text,
    {internal}.qpv_complete_areas[]) IS
    'Une part des points de fabriques_classify (positions first, first + 1, ...), '
    'exécutée par un seul processus.';
"""

PARTS = """
CREATE FUNCTION {internal}.classify_parts(points int)
RETURNS int LANGUAGE sql STABLE PARALLEL SAFE
RETURN greatest(1, least(current_setting('max_parallel_workers_per_gather')::int + 1,
                         coalesce(points, 0) / {part_points}, {max_parts}));
COMMENT ON FUNCTION {internal}.classify_parts(int) IS
    'En combien de parts fabriques_classify coupe ses points : au moins {part_points} points '
    'par part, au plus une part par processus que PostgreSQL peut donner à une requête, '
    'et au plus {max_parts}.';
"""

DISPATCH = """    -- In parts, run in parallel for enough points (the migration's docstring).
    parts := {internal}.classify_parts(cardinality(fabriques_classify.lons));
    IF parts = 1 THEN
        RETURN QUERY SELECT * FROM {internal}.classify_part(
            fabriques_classify.lons, fabriques_classify.lats, 1,
            fabriques_classify.proximity_m, fabriques_classify.search_radius_m,
            fabriques_classify.urban_definition, fabriques_classify.density_levels,
            fabriques_classify.precedence, complete_areas);
        RETURN;
    END IF;
    -- Part k holds the points bounds[k] to bounds[k + 1] - 1; the slots beyond parts are empty.
    bounds := ARRAY(
        SELECT least(cardinality(fabriques_classify.lons)::bigint * k / parts,
                     cardinality(fabriques_classify.lons))::int + 1
          FROM generate_series(0, {max_parts}) AS k);
    PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
    RETURN QUERY
    SELECT r.* FROM ({slots}) AS r
     ORDER BY r.ord;
"""

SLOT = """
        SELECT * FROM {internal}.classify_part(
                   fabriques_classify.lons[bounds[{k}] : bounds[{next}] - 1],
                   fabriques_classify.lats[bounds[{k}] : bounds[{next}] - 1], bounds[{k}],
                   fabriques_classify.proximity_m, fabriques_classify.search_radius_m,
                   fabriques_classify.urban_definition, fabriques_classify.density_levels,
                   fabriques_classify.precedence, complete_areas)
         WHERE bounds[{k}] < bounds[{next}]"""

GENERIC_PLAN = (
    "SET jit = off  -- compiling this query costs more than running it\n",
    "SET jit = off  -- compiling this query costs more than running it\n"
    "SET plan_cache_mode = auto  -- restored on return (generic for the parts: docstring)\n",
)


def _migration(name: str):
    return importlib.import_module(f"geodata.storage.migrations.versions.{name}")


def _split(classify: str) -> tuple[str, str]:
    """0012's fabriques_classify: (its text up to the statement, the statement)."""
    start = classify.index(STATEMENT_START)
    end = classify.index(STATEMENT_END, start)
    assert classify[end:] == STATEMENT_END, "the statement ends the function"
    return classify[:start], classify[start:end]


def _territory_case(territories) -> str:
    """The position of the first territory (by position) whose box holds input.lon/lat."""
    return "(CASE" + "".join(
        TERRITORY_WHEN.format(position=t.position, min_lon=float(t.min_lon),
                              min_lat=float(t.min_lat), max_lon=float(t.max_lon),
                              max_lat=float(t.max_lat))
        for t in territories) + "\n               END"


def _part(statement: str, internal: str, search_path: str, territories) -> str:
    old, new = LOCATED
    assert statement.count(old) == 1, old
    statement = statement.replace(old, new.format(territory=_territory_case(territories)))
    statement = statement.replace("fabriques_classify.", "classify_part.")
    return PART.format(internal=internal, search_path=search_path, statement=statement,
                       cost=PART_COST, rows=PART_POINTS)


def _classify(head: str, internal: str) -> str:
    declaration = f"    complete_areas {internal}.qpv_complete_areas[];\n"
    assert head.count(declaration) == 1
    head = head.replace(declaration, declaration + "    parts int;\n    bounds int[];\n")
    old, new = GENERIC_PLAN
    assert head.count(old) == 1, old
    head = head.replace(old, new)
    slots = "\n        UNION ALL".join(SLOT.format(internal=internal, k=k, next=k + 1)
                                      for k in range(1, MAX_PARTS + 1))
    return (head + DISPATCH.format(internal=internal, max_parts=MAX_PARTS, slots=slots)
            + STATEMENT_END)


def _search_path(internal: str) -> str:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    return f"{schema}, {internal}"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    internal = _migration("0010_classification_by_cells").INTERNAL
    search_path = _search_path(internal)
    head, statement = _split(_migration("0012_classify_in_cell_order")._classify(search_path))
    op.execute(PARTS.format(internal=internal, part_points=PART_POINTS, max_parts=MAX_PARTS))
    territories = op.get_bind().exec_driver_sql(
        "SELECT position, min_lon, min_lat, max_lon, max_lat FROM territories "
        "ORDER BY position").all()
    op.execute(_part(statement, internal, search_path, territories))
    op.execute(_classify(head, internal))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    internal = _migration("0010_classification_by_cells").INTERNAL
    op.execute(_migration("0012_classify_in_cell_order")._classify(_search_path(internal)))
    op.execute(f"DROP FUNCTION {internal}.classify_part(float8[], float8[], int, float8, "
               f"float8, text, int[], text, {internal}.qpv_complete_areas[])")
    op.execute(f"DROP FUNCTION {internal}.classify_parts(int)")
