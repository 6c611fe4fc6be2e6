"""Geometry helpers with no database and no CRS of their own."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

__all__ = ["dissolve"]


def _union(parts: np.ndarray):
    """The union of polygons that (nearly) tile an area: the linear coverage union first,
    the general overlay when the edges are not noded as a coverage."""
    try:
        merged = shapely.coverage_union_all(parts)
    except shapely.errors.GEOSException:
        return shapely.union_all(parts)
    if not merged.is_valid:  # small overlaps between neighbours leave self-intersections
        merged = shapely.make_valid(merged, method="structure", keep_collapsed=False)
    return merged


def dissolve(keys: Sequence, geometries: Sequence) -> dict:
    """Polygons merged by key (communes into départements, EPCI...), in key order.

    The commune contours nearly tile the country: a coverage union, repaired where
    neighbours overlap slightly, is several times faster than a general union and draws the
    same outline (relative area differences around 1e-6 on the real contours).
    """
    keys = np.asarray(list(keys), dtype=object)
    geometries = np.asarray(list(geometries), dtype=object)
    return {key: _union(geometries[keys == key])
            for key in sorted(set(keys.tolist()), key=str)}
