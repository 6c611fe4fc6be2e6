"""A geometry column that is PostGIS ``geometry`` on PostgreSQL and WKB bytes on SQLite.

Python code always sees shapely geometries. On PostgreSQL the column is a GeoAlchemy2
``Geometry(type, 4326)`` (its GIST index is created by the migrations); on the embedded
SQLite default it is a plain BLOB holding ISO WKB, read back with shapely.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import shapely
from geoalchemy2 import Geometry as PostGISGeometry
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from sqlalchemy import DateTime, LargeBinary, type_coerce
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType, TypeDecorator

from geodata.territories import STORAGE_EPSG

__all__ = ["Geometry", "UtcDateTime", "geometries_of", "stored_geometry"]


class Geometry(TypeDecorator):
    """Shapely geometry stored in EPSG:4326 on either backend."""

    impl = LargeBinary
    cache_ok = True
    # Read by GeoAlchemy2's DDL hooks: the migrations create the GIST indexes themselves.
    spatial_index = False
    use_N_D_index = False

    def __init__(self, geometry_type: str = "GEOMETRY", srid: int = STORAGE_EPSG):
        super().__init__()
        self.geometry_type = geometry_type
        self.srid = srid

    def load_dialect_impl(self, dialect):
        # GeoAlchemy2's DDL hooks call this with no dialect to ask "is this spatial?".
        if dialect is None or dialect.name == "postgresql":
            postgis = PostGISGeometry(self.geometry_type, srid=self.srid, spatial_index=False)
            return postgis if dialect is None else dialect.type_descriptor(postgis)
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        wkb = shapely.to_wkb(value, include_srid=False)
        if dialect.name == "postgresql":
            return WKBElement(wkb, srid=self.srid)
        return wkb

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, WKBElement):
            return to_shape(value)
        return shapely.from_wkb(bytes(value))


def stored_geometry(column) -> ColumnElement:
    """A ``Geometry`` column selected as stored, without turning each row into a shapely
    geometry: WKB bytes on SQLite, hex EWKB text on PostGIS. ``geometries_of`` reads a whole
    column of them at once (tens of thousands of contours: one call instead of one per row)."""
    return type_coerce(column, NullType())


def geometries_of(values) -> np.ndarray:
    """The shapely geometries of values selected with ``stored_geometry`` (None stays None)."""
    stored = np.empty(len(values), dtype=object)
    stored[:] = [bytes(v) if isinstance(v, memoryview) else v for v in values]
    return shapely.from_wkb(stored)


class UtcDateTime(TypeDecorator):
    """A UTC timestamp read back with its time zone on both backends (SQLite drops it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("horodatage sans fuseau : utilisez datetime.now(UTC)")
        return value.astimezone(UTC)  # SQLite keeps the wall time only: store it in UTC

    def process_result_value(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
