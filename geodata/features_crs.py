"""The coordinate reference systems the OGC API serves features in (OGC API - Features -
Part 2, CRS by reference): the CRS of a ``crs`` or ``bbox-crs`` parameter, features projected
to it, and a bounding box given in it brought back to CRS84, the storage CRS.

- ``SUPPORTED``: CRS84 (longitude, latitude) first, then WGS84 as EPSG defines it
  (EPSG:4326: *latitude* first), Lambert-93 (EPSG:2154) and the projected CRS of the overseas
  territories (``geodata.territories``: 5490, 2972, 2975, 4471; easting, northing in metres);
- ``parse_crs``: the ``OutputCrs`` of a URI among them (CRS84 when absent);
- ``parse_bbox_in``: a ``bbox`` given in a CRS, in CRS84 (``BboxIn``): the boxes that
  bound it (what the indexes are asked), and for a projected box the exact area it covers,
  its edges densified every ``AREA_STEP_M`` before they are transformed (a straight edge in
  Lambert-93 is curved in degrees: a feature is kept if it meets this area);
- ``OutputCrs.project``: WGS84 geometries in the CRS, in its axis order, rounded to
  ``decimals`` (about a centimetre, or a millimetre in metres).

Coordinates go through pyproj in the authority's axis order, never by hand. A URI not listed
raises ``FeatureQueryError`` (a ``ValueError``) naming the parameter. No database and no web
framework here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import numpy as np
import pyproj
import shapely

from geodata.features import (
    COORDINATE_DECIMALS,
    Box,
    FeatureQueryError,
    bbox_numbers,
    box_shape,
    lonlat_boxes,
)
from geodata.territories import TERRITORIES

__all__ = [
    "AREA_STEP_M",
    "BBOX_MARGIN_M",
    "CRS84",
    "EPSG_URI",
    "METRE_DECIMALS",
    "SUPPORTED",
    "BboxIn",
    "OutputCrs",
    "parse_bbox_in",
    "parse_crs",
]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
"""WGS84 longitude, latitude: the storage CRS and GeoJSON's."""
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"
METRE_DECIMALS = 3
"""Decimals of a metre kept in a projected CRS: a millimetre."""
BBOX_MARGIN_M = 0.5 * 10 ** -METRE_DECIMALS
"""A bbox in metres is pushed out by half a served step, as one in degrees is
(``geodata.features.BBOX_MARGIN_DEG``)."""

_EPSG = (4326, *dict.fromkeys(territory.epsg for territory in TERRITORIES.values()))
SUPPORTED = (CRS84, *(f"{EPSG_URI}{code}" for code in _EPSG))
"""Every CRS served, CRS84 first: WGS84 (EPSG:4326), Lambert-93, then the overseas CRS."""


@dataclass(frozen=True)
class OutputCrs:
    """A CRS served: its URI, its pyproj CRS, whether it is CRS84, the decimals kept."""

    uri: str
    crs: pyproj.CRS = field(repr=False, compare=False)

    @property
    def is_crs84(self) -> bool:
        """True for CRS84, the storage CRS: nothing to transform."""
        return self.uri == CRS84

    @property
    def decimals(self) -> int:
        """Decimals kept: ``COORDINATE_DECIMALS`` of a degree, ``METRE_DECIMALS`` of a metre."""
        return COORDINATE_DECIMALS if self.crs.is_geographic else METRE_DECIMALS

    def project(self, geometries: np.ndarray) -> np.ndarray:
        """WGS84 (lon, lat) geometries in this CRS, in its axis order, rounded; a geometry
        the CRS cannot express (non-finite coordinates) becomes None."""
        transformer = _from_crs84(self.uri)

        def transform(xy: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(xy[:, 0], xy[:, 1])
            return np.round(np.column_stack([x, y]), self.decimals)

        projected = shapely.transform(geometries, transform)
        coordinates, index = shapely.get_coordinates(projected, return_index=True)
        projected[np.unique(index[~np.isfinite(coordinates).all(axis=1)])] = None
        return projected


@cache
def _crs(uri: str) -> pyproj.CRS:
    return pyproj.CRS("OGC:CRS84") if uri == CRS84 else pyproj.CRS.from_epsg(
        int(uri.removeprefix(EPSG_URI)))


@cache
def _from_crs84(uri: str) -> pyproj.Transformer:
    """CRS84 -> the CRS, in the authority's axis order (EPSG:4326: latitude first)."""
    return pyproj.Transformer.from_crs(_crs(CRS84), _crs(uri))


@cache
def _to_crs84(uri: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(_crs(uri), _crs(CRS84))


def parse_crs(text: str | None, parameter: str = "crs") -> OutputCrs:
    """The CRS of a ``crs`` (or ``bbox-crs``) parameter: CRS84 when absent; one of
    ``SUPPORTED`` else, or ``FeatureQueryError``."""
    uri = CRS84 if text is None else text.strip()
    if uri not in SUPPORTED:
        raise FeatureQueryError(
            f"{parameter} inconnu ou non servi : {text[:80]!r} ; systèmes servis (URI) : "
            + ", ".join(SUPPORTED), parameter)
    return OutputCrs(uri, _crs(uri))


def _geographic_boxes(values: Sequence[float], crs: OutputCrs) -> tuple[Box, ...]:
    """A box of degrees, in the CRS's axis order (EPSG:4326: minlat,minlon,maxlat,maxlon)."""
    first, second, third, fourth = values
    if crs.is_crs84:
        return lonlat_boxes(first, second, third, fourth)
    return lonlat_boxes(second, first, fourth, third)


AREA_STEP_M = 1000.0
"""A projected box's edges are densified every kilometre before they are transformed: the
straight lines between the transformed points stray from the true curved edge by well under
a metre at the scale of a territory."""
EDGE_POINTS = 2000
"""At most this many points an edge: a box wider than 2,000 km has its edges cut in longer
steps (its own width is then no territory's)."""


class BboxIn(NamedTuple):
    """A ``bbox`` in CRS84: the boxes that bound it, and the exact area it covers when it
    was given in a projected CRS (None: the boxes are the area)."""

    boxes: tuple[Box, ...]
    area: shapely.Geometry | None = None


def _projected_bbox(values: Sequence[float], crs: OutputCrs) -> BboxIn:
    """A box of metres (minx,miny,maxx,maxy: easting, northing) in CRS84: the area it covers
    (its edges densified, transformed) and the box bounding that area."""
    west, south, east, north = values
    if not (west <= east and south <= north):
        raise FeatureQueryError("bbox invalide : minx doit être au plus maxx, et miny au plus "
                                "maxy (en mètres dans bbox-crs)", "bbox")
    west, south = west - BBOX_MARGIN_M, south - BBOX_MARGIN_M
    east, north = east + BBOX_MARGIN_M, north + BBOX_MARGIN_M
    step = max(AREA_STEP_M, (east - west) / EDGE_POINTS, (north - south) / EDGE_POINTS)
    outline = shapely.segmentize(box_shape(west, south, east, north), step)
    area = shapely.transform(outline, lambda xy: np.column_stack(
        _to_crs84(crs.uri).transform(xy[:, 0], xy[:, 1])))
    if area.is_empty or not np.isfinite(area.bounds).all():
        raise FeatureQueryError("bbox hors du domaine de bbox-crs : elle ne se convertit pas "
                                "en longitudes et latitudes", "bbox")
    lon_min, lat_min, lon_max, lat_max = area.bounds
    boxes = lonlat_boxes(max(min(lon_min, 180.0), -180.0), max(lat_min, -90.0),
                         max(min(lon_max, 180.0), -180.0), min(lat_max, 90.0))
    return BboxIn(boxes, area if lon_max - lon_min < 180 else None)  # None: across ±180°


def parse_bbox_in(text: str | None, crs: OutputCrs) -> BboxIn | None:
    """A ``bbox`` given in ``crs`` (``bbox-crs``) in CRS84, None when absent: one box, or two
    for a box crossing the antimeridian; and for a projected box, the area it covers."""
    if text is None:
        return None
    unit = "degrés" if crs.crs.is_geographic else "mètres"
    order = {CRS84: "minlon,minlat,maxlon,maxlat",
             f"{EPSG_URI}4326": "minlat,minlon,maxlat,maxlon"}.get(crs.uri,
                                                                 "minx,miny,maxx,maxy")
    values = bbox_numbers(text, f"{order} en {unit} de {crs.uri}")
    if crs.crs.is_geographic:
        return BboxIn(_geographic_boxes(values, crs))
    return _projected_bbox(values, crs)
