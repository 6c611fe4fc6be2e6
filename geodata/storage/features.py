"""The OGC API's collections read from either backend: which collections there are, a page
of a collection's features within bounding boxes, one feature by its id, a collection's
extent. The tables are read as loaded (``geodata.storage.feature_sources``), never copied.

Features come in the order of their ids (code point order on both backends). Bounding boxes
are answered:

- on PostGIS, in SQL: ``geom && envelope AND ST_Intersects(geom, envelope)``, which the
  GIST index of the geometry column serves; the count and the page are two queries of one
  snapshot;
- on the embedded SQLite file, by the collection's envelopes, read once per set of dataset
  versions and held in memory (``_envelopes``, as the map holds its layers): a feature whose
  envelope lies inside a box matches, one whose envelope only overlaps it has its geometry
  read and tested with shapely, and no other geometry is read.

Both give the same features: a geometry touching a box's edge intersects it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import Engine, String, and_, func, or_, select
from sqlalchemy.engine import Connection

from geodata.feature_collections import (
    COMMUNES,
    FABRIQUES,
    LIEUX,
    CollectionInfo,
    qpv_collection,
)
from geodata.features import Box, box_shape
from geodata.storage.cache import versioned
from geodata.storage.database import is_postgis
from geodata.storage.feature_sources import Source, source_of
from geodata.storage.models import Qpv
from geodata.storage.types import geometries_of, stored_geometry
from geodata.territories import STORAGE_EPSG

__all__ = ["FeaturePage", "collection_extent", "collection_info", "collections",
           "feature_by_id", "feature_page"]

CHUNK = 2_000
"""Keys per ``IN (...)`` of a read."""


@dataclass(frozen=True)
class FeaturePage:
    """Features of a collection: how many matched, and those of the page, in step."""

    matched: int
    ids: list[str]
    properties: list[dict]
    geometries: list


@versioned
def collections(engine: Engine) -> list[CollectionInfo]:
    """The collections served: the Fabriques, the QPV of each vintage loaded, the
    communes, the places."""
    with engine.connect() as connection:
        vintages = sorted(connection.scalars(select(Qpv.vintage).distinct()))
    return [FABRIQUES, *(qpv_collection(vintage) for vintage in vintages), COMMUNES, LIEUX]


def collection_info(engine: Engine, collection_id: str) -> CollectionInfo | None:
    """A collection served, by its id; None when there is none of that id."""
    return next((info for info in collections(engine) if info.id == collection_id), None)


def _chunks(keys: Sequence) -> Iterator[list]:
    for start in range(0, len(keys), CHUNK):
        yield list(keys[start:start + CHUNK])


def _read(engine: Engine, connection: Connection, source: Source, matched: int,
          keys: Sequence) -> FeaturePage:
    ids, properties, geometries = [], [], []
    for chunk in _chunks(keys):
        read = source.read(engine, connection, chunk)
        ids += read[0]
        properties += read[1]
        geometries += read[2]
    return FeaturePage(matched, ids, properties, geometries)


def _ordered(engine: Engine, key):
    """The key as rows are ordered by it: text in code point order on both backends."""
    if is_postgis(engine) and isinstance(key.type, String):
        return key.collate("C")
    return key


def _intersecting(source: Source, boxes: Sequence[Box], area=None):
    """PostGIS: the rows whose geometry intersects one of ``boxes`` (index, then exact), and
    ``area`` when given. A box of no width or height is the point or the segment it is
    (``ST_MakeEnvelope`` would make an empty-area polygon that intersects nothing)."""
    envelopes = [func.ST_Envelope(func.ST_MakeLine(
        func.ST_SetSRID(func.ST_MakePoint(west, south), STORAGE_EPSG),
        func.ST_SetSRID(func.ST_MakePoint(east, north), STORAGE_EPSG)))
        for west, south, east, north in boxes]
    if area is not None:
        exact = func.ST_GeomFromText(shapely.to_wkt(area, rounding_precision=-1), STORAGE_EPSG)
        return and_(or_(*(source.geom.op("&&", is_comparison=True)(envelope)
                          for envelope in envelopes)), func.ST_Intersects(source.geom, exact))
    return or_(*(and_(source.geom.op("&&", is_comparison=True)(envelope),
                      func.ST_Intersects(source.geom, envelope)) for envelope in envelopes))


def _postgis_page(engine: Engine, source: Source, boxes: Sequence[Box] | None, offset: int,
                  limit: int, area=None) -> FeaturePage:
    where = source.where(engine)
    if boxes is not None:
        where.append(_intersecting(source, boxes, area))
    options = {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**options) as connection:
        matched = connection.scalar(select(func.count()).select_from(source.table)
                                    .where(*where))
        keys = list(connection.scalars(select(source.key).where(*where)
                                       .order_by(_ordered(engine, source.key))
                                       .offset(offset).limit(limit)))
        return _read(engine, connection, source, matched, keys)


@dataclass(frozen=True)
class _Envelopes:
    """A collection's ids in order, with each geometry's bounds (NaN when it has none)."""

    keys: np.ndarray
    bounds: np.ndarray  # (n, 4): min lon, min lat, max lon, max lat


@versioned
def _envelopes(engine: Engine, collection_id: str) -> _Envelopes:
    source = source_of(collection_id)
    with engine.connect() as connection:
        rows = connection.execute(
            select(source.key, stored_geometry(source.geom)).where(*source.where(engine))
            .order_by(source.key)).all()
    keys = np.empty(len(rows), dtype=object)
    keys[:] = [row[0] for row in rows]
    bounds = shapely.bounds(geometries_of([row[1] for row in rows])) if rows \
        else np.empty((0, 4))
    return _Envelopes(keys, np.asarray(bounds, dtype=float).reshape(-1, 4))


def _sqlite_matches(engine: Engine, collection_id: str, source: Source,
                    boxes: Sequence[Box] | None, area=None) -> np.ndarray:
    """The keys of the features intersecting one of ``boxes`` (all without boxes), and
    ``area`` when given: an envelope within it matches, one only in its boxes is tested."""
    index = _envelopes(engine, collection_id)
    if boxes is None:
        return index.keys
    west, south, east, north = index.bounds.T
    inside = np.zeros(len(index.keys), dtype=bool)
    overlapping = np.zeros(len(index.keys), dtype=bool)
    with np.errstate(invalid="ignore"):  # NaN bounds (no geometry) compare False
        for w, s, e, n in boxes:
            overlap = (west <= e) & (east >= w) & (south <= n) & (north >= s)
            inside |= overlap & (west >= w) & (east <= e) & (south >= s) & (north <= n)
            overlapping |= overlap
    if area is not None:  # within the boxes is not within the area: the envelope must be
        shapely.prepare(area)
        candidates = np.flatnonzero(inside)
        inside[candidates] = shapely.contains(area, shapely.box(*index.bounds[candidates].T))
    uncertain = np.flatnonzero(overlapping & ~inside)
    if len(uncertain):
        if area is None:
            area = shapely.union_all([box_shape(*box) for box in boxes])
        with engine.connect() as connection:
            for chunk in _chunks(uncertain):
                geometries = dict(connection.execute(
                    select(source.key, stored_geometry(source.geom))
                    .where(source.key.in_(index.keys[chunk].tolist()))).all())
                stored = [geometries[key] for key in index.keys[chunk]]
                inside[chunk] = shapely.intersects(geometries_of(stored), area)
    return index.keys[inside]


def feature_page(engine: Engine, collection_id: str, boxes: Sequence[Box] | None,
                 offset: int, limit: int, area: shapely.Geometry | None = None
                 ) -> FeaturePage:
    """The features of a collection (one of ``collections``) intersecting one of ``boxes``
    (every feature when None), and ``area`` when given (the exact CRS84 area of a box given
    in a projected CRS, which the boxes bound), from the ``offset``-th matched, ``limit`` at
    most."""
    source = source_of(collection_id)
    if is_postgis(engine):
        return _postgis_page(engine, source, boxes, offset, limit, area)
    keys = _sqlite_matches(engine, collection_id, source, boxes, area)
    with engine.connect() as connection:
        return _read(engine, connection, source, len(keys),
                     keys[offset:offset + limit].tolist())


def feature_by_id(engine: Engine, collection_id: str, feature_id: str) -> FeaturePage | None:
    """One feature of a collection by its public id, or None when it holds none of that id."""
    source = source_of(collection_id)
    with engine.connect() as connection:
        key = connection.scalar(select(source.key).where(*source.where(engine),
                                                         source.key == feature_id).limit(1))
        if key is None:
            return None
        page = _read(engine, connection, source, 1, [key])
    return page if page.ids else None


@versioned
def collection_extent(engine: Engine, collection_id: str) -> Box | None:
    """The bounds of a collection's geometries (WGS84), None when it has none."""
    source = source_of(collection_id)
    if not is_postgis(engine):
        bounds = _envelopes(engine, collection_id).bounds
        if not np.isfinite(bounds).all(axis=1).any():
            return None
        return (*np.nanmin(bounds[:, :2], axis=0).tolist(),
                *np.nanmax(bounds[:, 2:], axis=0).tolist())
    extent = select(func.ST_Extent(source.geom).label("box")).where(
        *source.where(engine)).subquery()
    with engine.connect() as connection:
        box = connection.execute(select(
            func.ST_XMin(extent.c.box), func.ST_YMin(extent.c.box),
            func.ST_XMax(extent.c.box), func.ST_YMax(extent.c.box))).one()
    return None if box[0] is None else tuple(float(value) for value in box)
