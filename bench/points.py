"""Seeded points for ``bench/classify.py``: on land in metropolitan France, a share of them
near real QPV outlines, and the CSV file ``fabriques classify`` reads them from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely

__all__ = [
    "NEAR_QPV_M",
    "NEAR_SHARE",
    "PointSet",
    "land_points",
    "near_qpv_points",
    "point_sets",
    "write_points_csv",
]

NEAR_SHARE = 0.2
"""Share of the points drawn within NEAR_QPV_M of a QPV outline of the policy's vintage."""
NEAR_QPV_M = 1_000.0
METROPOLE = "metropole"
LAMBERT93 = 2154


def _on_land(commune_tree, communes, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask: the point (EPSG:2154) lies in a metropolitan commune contour."""
    points = shapely.points(x, y)
    pairs = commune_tree.query(points)
    hit = shapely.intersects_xy(communes[pairs[1]], x[pairs[0]], y[pairs[0]])
    mask = np.zeros(len(x), dtype=bool)
    mask[pairs[0][hit]] = True
    return mask


def land_points(index, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Uniform in Lambert-93 inside the union of metropolitan commune contours (rejection)."""
    ti = index.territories[METROPOLE]
    min_x, min_y, max_x, max_y = shapely.total_bounds(ti.commune_geometries)
    xs, ys, found = [], [], 0
    while found < count:
        draw = max(2 * (count - found), 10_000)
        x, y = rng.uniform(min_x, max_x, draw), rng.uniform(min_y, max_y, draw)
        keep = _on_land(ti.commune_tree, ti.commune_geometries, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        found += int(keep.sum())
    return np.concatenate(xs)[:count], np.concatenate(ys)[:count]


def near_qpv_points(index, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """On land, within NEAR_QPV_M of the outline of a QPV drawn uniformly (inside included).

    A QPV is drawn, then a point uniform in its bounding box widened by NEAR_QPV_M, kept when
    it is within NEAR_QPV_M of that QPV and on land.
    """
    ti = index.territories[METROPOLE]
    # Copies: preparing the index's own outlines would speed the engine up behind its back.
    outlines = shapely.from_wkb(shapely.to_wkb(ti.qpv_geometries))
    shapely.prepare(outlines)
    bounds = shapely.bounds(outlines)
    xs, ys, found = [], [], 0
    while found < count:
        draw = max(2 * (count - found), 10_000)
        chosen = rng.integers(len(outlines), size=draw)
        box = bounds[chosen]
        x = rng.uniform(box[:, 0] - NEAR_QPV_M, box[:, 2] + NEAR_QPV_M)
        y = rng.uniform(box[:, 1] - NEAR_QPV_M, box[:, 3] + NEAR_QPV_M)
        keep = shapely.dwithin(outlines[chosen], shapely.points(x, y), NEAR_QPV_M)
        keep[keep] = _on_land(ti.commune_tree, ti.commune_geometries, x[keep], y[keep])
        xs.append(x[keep])
        ys.append(y[keep])
        found += int(keep.sum())
    return np.concatenate(xs)[:count], np.concatenate(ys)[:count]


@dataclass
class PointSet:
    """The seeded points (WGS84) of one QPV vintage, and its metropolitan outline count."""

    lon: np.ndarray
    lat: np.ndarray
    qpv_outlines: int


def point_sets(indexes: dict, land_vintage: str, size: int, seed: int) -> dict[str, PointSet]:
    """One set per vintage of ``indexes``: the same land points (drawn in the communes of
    ``land_vintage``'s index), plus points near that vintage's QPVs."""
    near = round(size * NEAR_SHARE)
    land_x, land_y = land_points(indexes[land_vintage], size - near,
                                 np.random.default_rng([seed, 0]))
    to_lonlat = pyproj.Transformer.from_crs(LAMBERT93, 4326, always_xy=True)
    sets = {}
    for position, vintage in enumerate(sorted(indexes), start=1):
        rng = np.random.default_rng([seed, position])
        near_x, near_y = near_qpv_points(indexes[vintage], near, rng)
        order = rng.permutation(size)  # mixed: any prefix holds about NEAR_SHARE near points
        x = np.concatenate([land_x, near_x])[order]
        y = np.concatenate([land_y, near_y])[order]
        lon, lat = to_lonlat.transform(x, y)
        sets[vintage] = PointSet(np.asarray(lon), np.asarray(lat),
                                 len(indexes[vintage].territories[METROPOLE].qpv_rows))
    return sets


def write_points_csv(path: Path, points: PointSet, count: int) -> None:
    """The first ``count`` points as a CSV file ``id,lon,lat``."""
    lines = [f"p{i},{x:.6f},{y:.6f}" for i, (x, y) in
             enumerate(zip(points.lon[:count], points.lat[:count], strict=True), start=1)]
    path.write_text("id,lon,lat\n" + "\n".join(lines) + "\n", encoding="utf-8")
