"""The Fabriques nearest a place, and the communes a visitor's text may name.

``nearest_fabriques`` measures in metres in the projected CRS of the place's territory
(Lambert-93 in metropolitan France, the local UTM CRS overseas: ``geodata.territories``),
never in degrees, and only to the Fabriques of the same territory. ``match_communes`` finds
communes by INSEE code, postal code or name (accents, case, hyphens and apostrophes
ignored), the most populated first: the fallback when the address geocoder is out of reach.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from geodata.display import decoded, short_name
from geodata.eligibility.layers import projector
from geodata.territories import territory_of_lonlat

__all__ = ["MAX_NEAREST", "CommuneMatch", "NearFabrique", "NearestError", "match_communes",
           "nearest_fabriques", "normalised"]

MAX_NEAREST = 20
"""The most Fabriques one answer lists."""
_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$", re.IGNORECASE)
_POSTCODE = re.compile(r"^\d{5}$")


class NearestError(ValueError):
    """A request for the nearest Fabriques that cannot be answered; ``parameter`` names it."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class NearFabrique:
    """A Fabrique and its distance in metres from the place asked about."""

    id: str
    name: str
    full_name: str
    commune_code: str | None
    commune_name: str | None
    lon: float
    lat: float
    distance_m: float


TIE_M = 0.5
"""Fabriques this close to the same distance are at the same place (a commune's centre)."""


def nearest_fabriques(rows: Sequence[Mapping], lon: float, lat: float,
                      n: int = 5, *, ties: bool = False) -> list[NearFabrique]:
    """The ``n`` located Fabriques of ``rows`` (``id``, ``name``, ``lon``, ``lat``,
    ``commune_code``, ``commune_name``) nearest (lon, lat), in its territory, nearest first;
    with ``ties``, also those at the distance of the n-th (up to MAX_NEAREST: the Fabriques
    placed at one commune's centre are all as near, and the 5 first of 7 in Marseille left
    out the Belle de Mai's without a word). NearestError when the place is in no covered
    territory or ``n`` is out of range."""
    if not 1 <= n <= MAX_NEAREST:
        raise NearestError(f"n : un entier de 1 à {MAX_NEAREST} est attendu, pas {n}", "n")
    try:
        territory = territory_of_lonlat(lon, lat)
    except ValueError as error:
        raise NearestError(str(error)) from None  # the place, not one parameter
    own = [row for row in rows if row.get("lon") is not None and row.get("lat") is not None
           and territory.contains_lonlat(row["lon"], row["lat"])]
    if not own:
        return []
    to_metres = projector(territory.epsg)
    x, y = to_metres.transform(np.array([row["lon"] for row in own], dtype=float),
                               np.array([row["lat"] for row in own], dtype=float))
    origin_x, origin_y = to_metres.transform(lon, lat)
    distances = np.hypot(np.asarray(x) - origin_x, np.asarray(y) - origin_y)
    order = np.argsort(distances, kind="stable")
    kept = n if not ties or len(order) <= n else max(n, min(MAX_NEAREST, int(np.sum(
        distances[order] <= distances[order[n - 1]] + TIE_M))))
    order = order[:kept]
    return [NearFabrique(
        id=own[i]["id"], name=short_name(own[i]["name"]),
        full_name=" ".join(decoded(own[i]["name"]).split()),
        commune_code=own[i].get("commune_code"), commune_name=own[i].get("commune_name"),
        lon=float(own[i]["lon"]), lat=float(own[i]["lat"]),
        distance_m=round(float(distances[i]), 1)) for i in order]


def normalised(text: str | None) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, spaces collapsed;
    ``st``/``ste`` read as ``saint``/``sainte``."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", plain.casefold()).split()
    return " ".join({"st": "saint", "ste": "sainte"}.get(word, word) for word in words)


@dataclass(frozen=True)
class CommuneMatch:
    """A commune a text names, with the point the search measures from."""

    code: str
    name: str
    departement: str | None
    lon: float
    lat: float
    matched: str  # insee, postcode, name


def match_communes(text: str, codes: Sequence[str], names: Sequence[str],
                   departements: Sequence[str | None], populations: Sequence[int],
                   points: Sequence[tuple[float, float] | None],
                   postcodes: Mapping[str, Sequence[str]] | None = None,
                   limit: int = 5) -> list[CommuneMatch]:
    """The communes ``text`` names (columns in step), the most populated first: an INSEE
    code, a postal code (``postcodes``: postal code -> INSEE codes), or a name (exact, then
    beginning, then containing). Communes without a point are left out."""
    query = " ".join((text or "").split())
    if not query:
        return []
    position = {code: i for i, code in enumerate(codes)}
    if _INSEE.match(query) and query.upper() in position:
        found, how = [position[query.upper()]], "insee"
        if _POSTCODE.match(query) and postcodes and query in postcodes:
            found += [position[c] for c in postcodes[query] if c in position]
    elif _POSTCODE.match(query):
        found, how = [position[c] for c in (postcodes or {}).get(query, ())
                      if c in position], "postcode"
    else:
        wanted, how = normalised(query), "name"
        if not wanted:
            return []
        keys = [normalised(name) for name in names]
        found = [i for i, key in enumerate(keys) if key == wanted]
        found += [i for i, key in enumerate(keys) if key != wanted and key.startswith(wanted)]
        found += [i for i, key in enumerate(keys) if wanted in key and not key.startswith(wanted)]
        found = [i for i in found if points[i] is not None]
        exact = [i for i in found if keys[i] == wanted]
        rest = sorted((i for i in found if keys[i] != wanted),
                      key=lambda i: (not keys[i].startswith(wanted), -(populations[i] or 0)))
        found = sorted(exact, key=lambda i: -(populations[i] or 0)) + rest
    unique = list(dict.fromkeys(i for i in found if points[i] is not None))
    if how != "name":
        unique.sort(key=lambda i: -(populations[i] or 0))
    return [CommuneMatch(code=codes[i], name=names[i], departement=departements[i],
                         lon=points[i][0], lat=points[i][1], matched=how)
            for i in unique[:limit]]
