"""Checks every loader runs: geometry types and validity, code formats, duplicate keys.

Each check either returns what it repaired or skipped (with the reason, for the report) or
raises a ``LoadError`` naming the file, the row and the field, before anything is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import shapely
from shapely.geometry.base import BaseGeometry

from geodata.territories import Territory, TerritoryError, territory_of_lonlat
from loaders.errors import LoadError

__all__ = [
    "COMMUNE_CODE",
    "Outcome",
    "check_code",
    "check_unique",
    "parse_lonlat",
    "polygonal",
    "require_value",
]

COMMUNE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
POLYGONAL = {"Polygon", "MultiPolygon"}


@dataclass
class Outcome:
    """What validation did besides passing rows through: repairs, skipped rows and notes."""

    repaired: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    notes: list[str] = field(default_factory=list)  # loaded as given, but worth a warning

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append((where, reason))

    def note(self, text: str) -> None:
        self.notes.append(text)


def require_value(value, *, path: str, row, field_name: str) -> str:
    """A non-empty trimmed string, or an error naming the empty field (a null read as NaN
    is empty: it was « code 'nan' au format inattendu »)."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    text = "" if missing else str(value).strip()
    if not text:
        raise LoadError("valeur obligatoire manquante", path=path, row=row, field=field_name)
    return text


def check_code(value: str, pattern: re.Pattern, *, path: str, row, field_name: str) -> str:
    """The code if it matches the expected format, else an error showing the format."""
    if not pattern.match(value):
        raise LoadError(
            f"code {value!r} au format inattendu (attendu : {pattern.pattern})",
            path=path,
            row=row,
            field=field_name,
        )
    return value


def check_unique(keys: Sequence, rows: Sequence, *, path: str, field_name: str) -> None:
    """Every key once; the error lists the first duplicated key with all its rows."""
    seen: dict = {}
    for key, row in zip(keys, rows, strict=True):
        seen.setdefault(key, []).append(row)
    duplicated = {key: where for key, where in seen.items() if len(where) > 1}
    if duplicated:
        key, where = next(iter(duplicated.items()))
        places = ", ".join(str(w) for w in where)
        more = f" ({len(duplicated)} clés en double au total)" if len(duplicated) > 1 else ""
        raise LoadError(
            f"clé en double : {key!r} apparaît aux lignes/entités {places}{more}",
            path=path,
            field=field_name,
        )


def polygonal(
    geometries: Iterable[BaseGeometry | None],
    where: Sequence[str],
    *,
    path: str,
    outcome: Outcome,
) -> list[shapely.MultiPolygon]:
    """MultiPolygons, invalid ones repaired with make_valid; anything else is an error."""
    result = []
    for geometry, place in zip(geometries, where, strict=True):
        if geometry is None or geometry.is_empty:
            raise LoadError("géométrie absente ou vide", path=path, row=place, field="geometry")
        if geometry.geom_type not in POLYGONAL:
            raise LoadError(
                f"géométrie de type {geometry.geom_type} là où un polygone est attendu",
                path=path,
                row=place,
                field="geometry",
            )
        if not geometry.is_valid:
            geometry = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
            outcome.repaired += 1
        if geometry.geom_type == "Polygon":
            geometry = shapely.MultiPolygon([geometry])
        result.append(geometry)
    return result


def parse_lonlat(
    lon_text, lat_text, *, path: str, row, lon_field: str, lat_field: str
) -> tuple[shapely.Point, Territory] | None:
    """A point and its territory, or None if both coordinates are empty.

    A coordinate that is not a number, or a point outside every territory we cover, is an
    error for the caller to report or to skip with its reason.
    """
    lon_text = "" if lon_text is None else str(lon_text).strip()
    lat_text = "" if lat_text is None else str(lat_text).strip()
    if not lon_text and not lat_text:
        return None
    try:
        lon, lat = float(lon_text.replace(",", ".")), float(lat_text.replace(",", "."))
    except ValueError:
        bad_field = lon_field if not _is_number(lon_text) else lat_field
        raise LoadError(
            f"coordonnée non numérique : {lon_text!r}, {lat_text!r}",
            path=path,
            row=row,
            field=bad_field,
        ) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise LoadError("coordonnée non finie", path=path, row=row, field=lon_field)
    try:
        territory = territory_of_lonlat(lon, lat)
    except TerritoryError as error:
        raise LoadError(str(error), path=path, row=row, field=lon_field) from None
    return shapely.Point(lon, lat), territory


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True
