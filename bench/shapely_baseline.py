"""A plain shapely classifier of a CSV of points: the baseline ``fabriques classify`` is timed
against (bench/streaming.py), run as a process of its own.

    .venv/bin/python bench/shapely_baseline.py DATABASE_URL VINTAGE INPUT.csv OUTPUT.csv
        [--radius METRES]

The same layers as the engine's (the metropolitan commune contours and QPV outlines of the
vintage, read from the database by ``geodata.storage.reference``), projected to Lambert-93
(EPSG:2154) and put in two STRtrees; the CSV ``id,lon,lat`` read by polars; for each point:
the QPV that holds it (STRtree query), the nearest QPV and its distance (STRtree
``query_nearest``, without a radius unless ``--radius``), the commune that holds it
(STRtree query); the facts written by polars. No completeness logic, no three-valued
answers, no explanation, no overseas territory: it does less than the engine.
"""

from __future__ import annotations

import sys

# bench/http.py would shadow the standard library's http package (imported by pyproj): this
# folder goes to the end of the import path, as in bench/classify.py.
sys.path.append(sys.path.pop(0))

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import shapely  # noqa: E402
from plain_trees import TO_LAMBERT93, metropolitan_tree  # noqa: E402 - next to this file

from geodata.storage.database import make_engine  # noqa: E402
from geodata.storage.reference import read_commune_layer, read_qpv_layer  # noqa: E402


def _first(pairs: np.ndarray, count: int, values: np.ndarray) -> np.ndarray:
    """The value of the first match of each point (None when none)."""
    found = np.full(count, None, dtype=object)
    points, matches = pairs
    first = np.unique(points, return_index=True)[1]
    found[points[first]] = values[matches[first]]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("vintage")
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--radius", type=float, default=None,
                        help="rayon de recherche du QPV le plus proche (défaut : aucun)")
    args = parser.parse_args()

    engine = make_engine(args.database_url)
    with engine.connect() as connection:
        communes = read_commune_layer(connection)
        qpv = read_qpv_layer(connection, args.vintage)
    engine.dispose()
    commune_tree, commune_codes = metropolitan_tree(communes.codes, communes.territories,
                                                    communes.geometries)
    qpv_tree, qpv_codes = metropolitan_tree(qpv.codes, qpv.territories, qpv.geometries)

    frame = pl.read_csv(args.source, schema_overrides={"id": pl.String})
    x, y = TO_LAMBERT93.transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    points = shapely.points(x, y)
    count = len(points)
    inside = _first(qpv_tree.query(points, predicate="intersects"), count, qpv_codes)
    (near_points, near_qpv), distances = qpv_tree.query_nearest(
        points, max_distance=args.radius, return_distance=True, all_matches=False)
    nearest = np.full(count, None, dtype=object)
    nearest[near_points] = qpv_codes[near_qpv]
    distance = np.full(count, np.nan)
    distance[near_points] = distances
    commune = _first(commune_tree.query(points, predicate="intersects"), count, commune_codes)
    frame.with_columns(
        pl.Series("commune_code", commune.tolist(), dtype=pl.String),
        pl.Series("qpv_code", inside.tolist(), dtype=pl.String),
        pl.Series("nearest_qpv_code", nearest.tolist(), dtype=pl.String),
        pl.Series("distance_to_qpv_m", np.round(distance, 1)).fill_nan(None),
    ).write_csv(args.target)


if __name__ == "__main__":
    main()
