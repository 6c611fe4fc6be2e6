"""Geometry helpers with no database and no CRS of their own: merging polygons by key, making
a set of polygons a clean coverage and simplifying it, and the polygons RFC 7946 wants
(valid, one MultiPolygon each, exterior rings counter-clockwise and holes clockwise)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import shapely

__all__ = ["clean_coverage", "dissolve", "geojson_texts", "polygonal", "rfc7946_polygons",
           "simplified_coverage"]

_MULTI_OR_COLLECTION = (4, 5, 6, 7)
"""shapely type ids of MultiPoint, MultiLineString, MultiPolygon, GeometryCollection."""
_POLYGON = 3


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


def clean_coverage(geometries: Sequence) -> np.ndarray:
    """Polygons that tile an area (communes, départements) or do not meet (QPV) made a valid
    coverage: no overlaps, and neighbours share their edges vertex for vertex.

    Only the polygons whose edges are at fault and their neighbours are cleaned (GEOS
    coverage cleaning: noded together, each overlap given to the neighbour with the longest
    common border, gaps kept), the others are returned as they are; the whole set is cleaned
    when that does not make the neighbourhood valid. Vertices are snapped within GEOS's
    default distance, a hundred-millionth of the extent: a numerical epsilon, not a
    tolerance in degrees (without it GEOS drops whole polygons in some configurations, as
    seen on rounded département outlines). A polygon wholly covered by others comes out
    empty. Should GEOS fail on the set, it is returned as it is (each polygon still valid).
    """
    geometries = np.asarray(list(geometries), dtype=object)
    if not len(geometries):
        return geometries
    try:
        faulty = np.flatnonzero(~shapely.is_empty(shapely.coverage_invalid_edges(geometries)))
        if not len(faulty):
            return geometries
        tree = shapely.STRtree(geometries)
        around = np.union1d(faulty, tree.query(geometries[faulty], predicate="intersects")[1])
        cleaned = geometries.copy()
        cleaned[around] = shapely.coverage_clean(geometries[around])
        seen = np.union1d(around, tree.query(geometries[around], predicate="intersects")[1])
        if not shapely.coverage_is_valid(cleaned[seen]):
            cleaned = shapely.coverage_clean(geometries)
    except shapely.errors.GEOSException:
        return geometries
    return cleaned


def polygonal(geometries: Sequence) -> np.ndarray:
    """Each geometry's polygonal parts as one MultiPolygon (a Polygon promoted; points and
    lines, as ``make_valid`` leaves of a collapsed part, dropped); None when none is left."""
    geometries = np.asarray(list(geometries), dtype=object)
    parts, index = shapely.get_parts(geometries, return_index=True)
    while np.isin(shapely.get_type_id(parts), _MULTI_OR_COLLECTION).any():
        inner, inner_index = shapely.get_parts(parts, return_index=True)
        parts, index = inner, index[inner_index]
    keep = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
    out = np.full(len(geometries), None, dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=index[keep], out=out)
    return out


_LONG_NUMBER = re.compile(r"-?\d+\.\d{12,}(?:[eE][-+]?\d+)?")
"""A number written with 12 decimals or more: by GEOS, whose GeoJSON writer (3.14) gives 17
significant digits where fewer say the same double (5.3826599999999996 for 5.38266)."""


def geojson_texts(geometries: Sequence) -> list[str | None]:
    """Each geometry as GeoJSON text (``shapely.to_geojson``), each number in the fewest
    digits that read back as the same double (Python's ``repr``): a coordinate rounded to 7
    decimals is written with 7 at most. None for a missing geometry."""
    texts = shapely.to_geojson(np.asarray(list(geometries), dtype=object))
    return [None if text is None else _LONG_NUMBER.sub(lambda m: repr(float(m.group())), text)
            for text in texts]


def rfc7946_polygons(geometries: Sequence) -> np.ndarray:
    """Polygons as RFC 7946 and overlays want them: valid (``make_valid`` keeping the
    structure, polygonal parts only), one MultiPolygon each, exterior rings counter-clockwise
    and holes clockwise; None where nothing polygonal is left."""
    geometries = np.asarray(list(geometries), dtype=object)
    invalid = ~shapely.is_valid(geometries) & ~shapely.is_missing(geometries)
    if invalid.any():
        geometries = geometries.copy()
        geometries[invalid] = shapely.make_valid(geometries[invalid], method="structure",
                                                 keep_collapsed=False)
    return shapely.orient_polygons(polygonal(geometries), exterior_cw=False)


def simplified_coverage(geometries: Sequence, tolerance: float, *,
                        keep_outline: bool = False) -> np.ndarray:
    """Polygons that form a coverage simplified together (GEOS coverage simplification,
    Visvalingam-Whyatt: a vertex goes when its triangle is under ``tolerance`` squared), so
    that a shared edge is simplified once and stays shared and no polygon vanishes; the
    outline of the whole kept as it is with ``keep_outline``. ``tolerance`` is in the
    geometries' units: give them in a projected CRS and it in metres. None for an empty or
    missing geometry. Should GEOS refuse the coverage, each polygon is simplified alone
    (topology-preserving; ``rfc7946_polygons`` repairs what that leaves invalid)."""
    geometries = np.asarray(list(geometries), dtype=object)
    simple = np.full(len(geometries), None, dtype=object)
    drawn = np.flatnonzero(~shapely.is_missing(geometries) & ~shapely.is_empty(geometries))
    try:
        simple[drawn] = shapely.coverage_simplify(geometries[drawn], tolerance,
                                                  simplify_boundary=not keep_outline)
    except shapely.errors.GEOSException:
        simple[drawn] = shapely.simplify(geometries[drawn], tolerance, preserve_topology=True)
    return simple
