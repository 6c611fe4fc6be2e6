"""Cross-checking ``fabriques_classify`` (SQL) with the Python engine: the seeded points,
the engine's answers in the SQL function's shape, and their comparison, column by column,
leaving out the points within ``THRESHOLD_M`` of a decision threshold."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import text

from geodata.eligibility import classify
from geodata.eligibility.engine import FALSE, HOSTING_TOLERANCE_M, TRUE, UNKNOWN
from geodata.policy import CATEGORIES
from geodata.storage.reference import reference_index
from geodata.storage.sql_classification import SQL_COLUMNS, classify_sql
from geodata.territories import TERRITORIES

__all__ = [
    "DISTANCE_TOLERANCE_M",
    "THRESHOLD_M",
    "assert_not_vacuous",
    "compare",
    "differences",
    "engine_rows",
    "laureate_points",
    "random_points",
]

THRESHOLD_M = 0.05
"""Points this close to a decision threshold may fall either way (float noise, GEOS versions)."""
DISTANCE_TOLERANCE_M = 0.01
OUTSIDE_EVERY_TERRITORY = [(-30.0, 40.0), (0.0, 0.0), (12.5, 41.9), (-5.6, 48.0), (-61.5, 17.0)]


# --- points ------------------------------------------------------------------------------


def _offsets(rng, count: int, max_m: float, lat: np.ndarray):
    """Random lon/lat offsets up to ``max_m`` metres, uniform in distance and direction."""
    distance = rng.uniform(0.0, max_m, count)
    angle = rng.uniform(0.0, 2 * math.pi, count)
    dlat = distance * np.cos(angle) / 111_320.0
    dlon = distance * np.sin(angle) / (111_320.0 * np.cos(np.radians(lat)))
    return dlon, dlat


def _uniform(rng, bbox, count: int):
    min_lon, min_lat, max_lon, max_lat = bbox
    return rng.uniform(min_lon, max_lon, count), rng.uniform(min_lat, max_lat, count)


def random_points(engine, rng) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Seeded points: where they come from is kept to show which kinds were compared."""
    lons, lats, kinds = [], [], []

    def add(lon, lat, kind):
        lons.extend(lon)
        lats.extend(lat)
        kinds.extend([kind] * len(lon))

    add(*_uniform(rng, TERRITORIES["metropole"].bbox, 2000), "uniform-metropole")
    with engine.connect() as connection:
        centroids = np.array(connection.execute(text(
            "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM qpv "
            "ORDER BY vintage, code")).all())
    picked = centroids[rng.integers(0, len(centroids), 3000)]
    dlon, dlat = _offsets(rng, len(picked), 600.0, picked[:, 1])
    add(picked[:, 0] + dlon, picked[:, 1] + dlat, "around-qpv")
    for code, territory in TERRITORIES.items():
        if code != "metropole":
            add(*_uniform(rng, territory.bbox, 150), f"uniform-{code}")
    # Along the frontier of each vintage's complete area, where "not near" needs the whole
    # proximity disc inside the area.
    metropole = TERRITORIES["metropole"]
    to_lonlat = Transformer.from_crs(metropole.epsg, 4326, always_xy=True)
    for vintage in ("2015", "2024"):
        frontier = reference_index(engine, vintage).territories["metropole"].frontier
        if frontier is None or frontier.is_empty:
            continue
        along = shapely.line_interpolate_point(frontier, rng.uniform(0, frontier.length, 500))
        angle = rng.uniform(0.0, 2 * math.pi, 500)
        distance = rng.uniform(0.0, 600.0, 500)
        x = shapely.get_x(along) + distance * np.cos(angle)
        y = shapely.get_y(along) + distance * np.sin(angle)
        add(*to_lonlat.transform(x, y), f"frontier-{vintage}")
    add([p[0] for p in OUTSIDE_EVERY_TERRITORY], [p[1] for p in OUTSIDE_EVERY_TERRITORY],
        "outside")
    return np.array(lons, dtype=float), np.array(lats, dtype=float), kinds


def laureate_points(engine) -> tuple[list[str], np.ndarray, np.ndarray]:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM laureates WHERE geom IS NOT NULL "
            "ORDER BY id")).all()
    return [r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows])


# --- the engine's answers as SQL rows ---------------------------------------------------


def _tristate(value) -> bool | None:
    return None if value == UNKNOWN else bool(value == TRUE)


def _code(codes: np.ndarray, row: int) -> str | None:
    return None if row < 0 else str(codes[row])


def engine_rows(engine, policy, lons, lats, precisions=None, commune_codes=None):
    """The Python engine's classification (precision "point" unless ``precisions``) in the
    SQL function's shape: the same with the engine's cell grid as with its trees alone."""
    index = reference_index(engine, policy.qpv_vintage)
    result = classify(index, policy, lons, lats, precisions, commune_codes, grid=False)
    rows = _as_rows(index, result)
    assert _as_rows(index, classify(index, policy, lons, lats, precisions, commune_codes,
                                    grid=True)) == rows
    return index, result, rows


def _as_rows(index, result) -> list[dict]:
    rows = []
    for i in range(len(result)):
        distance = float(result.distance[i])
        rows.append({
            "ord": i + 1,
            "territory": result.territory[i],
            "commune_code": _code(index.communes.codes, result.commune[i]),
            "density_level": int(result.density_level[i]) or None,
            "metropole": _tristate(result.metropole[i]),
            "in_qpv": _tristate(result.in_qpv[i]),
            "qpv_code": _code(index.qpv.codes, result.qpv[i]),
            "nearest_qpv_code": _code(index.qpv.codes, result.nearest[i]),
            "distance_to_qpv_m": None if math.isnan(distance) else distance,
            "near_qpv": _tristate(result.near_qpv[i]),
            "outside_large_urban_centre": _tristate(result.outside[i]),
            "category": result.category[i],
        })
    return rows


def _near_threshold(index, policy, lons, lats, python_rows, sql_rows) -> np.ndarray:
    """Points within THRESHOLD_M of a decision threshold: the QPV distance against the
    proximity distance and the search radius, the frontier of the complete area against the
    proximity distance, the boundary of the complete area itself, and the communes hosting a
    QPV (official list) against the proximity distance plus their tolerance."""
    near = np.zeros(len(lons), dtype=bool)
    for i, (python, sql) in enumerate(zip(python_rows, sql_rows, strict=True)):
        for distance in (python["distance_to_qpv_m"], sql["distance_to_qpv_m"]):
            if distance is not None and min(
                    abs(distance - policy.proximity_m),
                    abs(distance - policy.search_radius_m)) < THRESHOLD_M:
                near[i] = True
    territories = np.array([row["territory"] for row in python_rows], dtype=object)
    for code, ti in index.territories.items():
        rows = np.flatnonzero(territories == code)
        if not len(rows):
            continue
        points = ti.project_points(lons[rows], lats[rows])
        if ti.complete_area is not None:
            to_frontier = shapely.distance(ti.frontier, points)
            to_boundary = shapely.distance(ti.complete_area.boundary, points)
            near[rows] |= (np.abs(to_frontier - policy.proximity_m) < THRESHOLD_M) \
                | (to_boundary < THRESHOLD_M)
        if ti.hosting_area is not None and not ti.hosting_area.is_empty:
            to_hosting = shapely.distance(ti.hosting_area, points)
            reach = policy.proximity_m + HOSTING_TOLERANCE_M
            near[rows] |= np.abs(to_hosting - reach) < THRESHOLD_M
    return near


def differences(python: dict, sql: dict) -> list[str]:
    different = []
    for column in SQL_COLUMNS:
        left, right = python[column], sql[column]
        if column == "distance_to_qpv_m" and left is not None and right is not None:
            if abs(left - right) > DISTANCE_TOLERANCE_M:
                different.append(column)
        elif left != right:
            different.append(column)
    return different


def compare(engine, policy, lons, lats, label: str):
    """Classify with both and assert agreement; returns the engine's classification and which
    points were left out of the comparison (near a threshold)."""
    index, result, python_rows = engine_rows(engine, policy, lons, lats)
    sql_rows = classify_sql(engine, policy, lons, lats)
    assert len(sql_rows) == len(python_rows)
    assert [row["ord"] for row in sql_rows] == list(range(1, len(lons) + 1))
    excluded = _near_threshold(index, policy, lons, lats, python_rows, sql_rows)
    failures = []
    for i, (python, sql) in enumerate(zip(python_rows, sql_rows, strict=True)):
        if excluded[i]:
            continue
        different = differences(python, sql)
        if different:
            failures.append(
                f"point {i + 1} ({lons[i]!r}, {lats[i]!r}) differs on {different}\n"
                f"    engine: {python}\n    sql:    {sql}")
    assert not failures, (
        f"{label}, politique {policy.name} : {len(failures)} désaccord(s) sur {len(lons)} "
        "points\n" + "\n".join(failures[:20]))
    return result, python_rows, excluded


def assert_not_vacuous(result, rows: list[dict], policy, kept: np.ndarray) -> None:
    """Every answer, every category and every way of deciding occurred among compared points."""
    for column in ("in_qpv", "near_qpv"):
        seen = {row[column] for row in rows}
        assert seen == {True, False, None}, f"{policy.name}: {column} n'a pris que {seen}"
    categories = Counter(row["category"] for row in rows)
    assert set(categories) == set(CATEGORIES), f"{policy.name}: catégories {categories}"
    listed = result.no_hosting_commune
    ways = {
        # not in / not near a QPV because the sources are complete there
        "in_qpv faux (zone complète)": (result.in_qpv == FALSE) & ~listed,
        "near_qpv faux (disque complet)": (result.near_qpv == FALSE) & ~listed,
        # in the complete area, but the proximity disc crosses its frontier
        "in_qpv faux, near_qpv inconnu (frontière)": (result.in_qpv == FALSE)
        & (result.near_qpv == UNKNOWN),
    }
    if result.index.qpv.hosting_communes is not None:
        ways["in_qpv faux (liste officielle)"] = (result.in_qpv == FALSE) & listed
        ways["near_qpv faux (liste officielle)"] = (result.near_qpv == FALSE) & listed
    for way, mask in ways.items():
        assert (mask & kept).any(), f"{policy.name}: aucun point « {way} » comparé"
