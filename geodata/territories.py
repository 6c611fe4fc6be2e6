"""Territories of the French State and the projected CRS in which each one is measured.

Every distance or buffer is computed in metres in the territory's own projected CRS:
Lambert-93 for metropolitan France (Corsica included), RGAF09 / UTM 20N for the French
Antilles, RGFG95 / UTM 22N for Guyane, RGR92 / UTM 40S for La Réunion and RGM04 / UTM 38S
for Mayotte. Geometries are stored in WGS84 longitude/latitude (EPSG:4326) with their
territory code beside them, so that each one can be projected to the right CRS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geodata.french import lonlat

__all__ = [
    "STORAGE_EPSG",
    "TERRITORIES",
    "Territory",
    "TerritoryError",
    "coordinate_hint",
    "coordinates_in",
    "region_wording",
    "scope_wording",
    "territory_of_commune",
    "territory_of_departement",
    "territory_of_lonlat",
]

STORAGE_EPSG = 4326
"""CRS of every stored geometry: WGS84 longitude, latitude (GeoJSON axis order)."""


class TerritoryError(ValueError):
    """A location or code that belongs to no territory the service covers."""


@dataclass(frozen=True)
class Territory:
    """A territory with its measuring CRS and the bounding box (lon/lat) that contains it."""

    code: str
    name: str
    epsg: int
    departements: tuple[str, ...]
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    projection: str  # the measuring CRS as people name it

    @property
    def measured_in(self) -> str:
        """How its distances are measured, in French: « en mètres, projection Lambert-93
        (EPSG:2154) »."""
        return f"en mètres, projection {self.projection} (EPSG:{self.epsg})"

    def contains_lonlat(self, lon: float, lat: float) -> bool:
        """True if the point falls in this territory's bounding box."""
        min_lon, min_lat, max_lon, max_lat = self.bbox
        return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


_METRO_DEPARTEMENTS = tuple(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
)

TERRITORIES: dict[str, Territory] = {
    t.code: t
    for t in (
        Territory("metropole", "France métropolitaine", 2154, _METRO_DEPARTEMENTS,
                  (-5.5, 41.2, 9.8, 51.3), "Lambert-93"),
        Territory("guadeloupe", "Guadeloupe", 5490,
                  ("971",), (-61.9, 15.8, -60.9, 16.6), "RGAF09 / UTM 20N"),
        Territory("martinique", "Martinique", 5490,
                  ("972",), (-61.3, 14.35, -60.75, 14.9), "RGAF09 / UTM 20N"),
        Territory("guyane", "Guyane", 2972, ("973",), (-54.7, 2.0, -51.5, 5.9), "RGFG95 / UTM 22N"),
        Territory("reunion", "La Réunion", 2975,
                  ("974",), (55.1, -21.5, 55.9, -20.8), "RGR92 / UTM 40S"),
        Territory("mayotte", "Mayotte", 4471,
                  ("976",), (44.9, -13.1, 45.4, -12.5), "RGM04 / UTM 38S"),
        Territory("saint-barthelemy", "Saint-Barthélemy", 5490, ("977",),
                  (-62.95, 17.85, -62.75, 17.98), "RGAF09 / UTM 20N"),
        Territory("saint-martin", "Saint-Martin", 5490,
                  ("978",), (-63.2, 18.0, -62.95, 18.13), "RGAF09 / UTM 20N"),
    )
}

_BY_DEPARTEMENT = {dep: t for t in TERRITORIES.values() for dep in t.departements}
_COMMUNE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


def territory_of_departement(departement: str) -> Territory:
    """The territory of a département code ("31", "2A", "974")."""
    try:
        return _BY_DEPARTEMENT[departement]
    except KeyError:
        raise TerritoryError(f"département inconnu ou non couvert : {departement!r}") from None


def territory_of_commune(code: str) -> Territory:
    """The territory of an INSEE commune code ("31555", "2A004", "97411", "97801")."""
    if not _COMMUNE_CODE.match(code or ""):
        raise TerritoryError(f"code commune INSEE invalide : {code!r}")
    if code.startswith("97"):
        # 971xx..976xx are DROM; 977xx Saint-Barthélemy, 978xx Saint-Martin.
        return territory_of_departement(code[:3])
    return territory_of_departement(code[:2])


def territory_of_lonlat(lon: float, lat: float) -> Territory:
    """The territory whose bounding box holds the point (lon/lat, WGS84)."""
    territory = _territory_at(lon, lat)
    if territory is not None:
        return territory
    raise TerritoryError(
        f"le point ({lonlat(lon, lat)}) n'est dans aucun territoire couvert "
        "(France métropolitaine, Guadeloupe, Martinique, Guyane, La Réunion, Mayotte, "
        f"Saint-Barthélemy, Saint-Martin){coordinate_hint(lon, lat)}"
    )


def _territory_at(lon: float, lat: float) -> Territory | None:
    return next((t for t in TERRITORIES.values() if t.contains_lonlat(lon, lat)), None)


LAMBERT_93_EXTENT = (60_000.0, 6_000_000.0, 1_300_000.0, 7_200_000.0)
"""Eastings and northings of metropolitan France in Lambert-93 (EPSG:2154), in metres."""


def coordinate_hint(lon: float, lat: float) -> str:
    """What a point in no territory probably is, after « : », else "": Lambert-93 metres
    given for degrees (a GIS export), or longitude and latitude swapped (« 43.3305, 5.4034 »
    copied latitude first) when the swapped point lies in a territory."""
    min_x, min_y, max_x, max_y = LAMBERT_93_EXTENT
    if min_x <= lon <= max_x and min_y <= lat <= max_y:
        return (" : ce sont sans doute des mètres en Lambert-93 (EPSG:2154), pas des degrés ; "
                "donnez la longitude et la latitude en degrés décimaux WGS84")
    if _territory_at(lon, lat) is not None:
        return ""
    swapped = _territory_at(lat, lon)
    if swapped is None:
        return ""
    return (f" : longitude et latitude inversées ? Dans l'autre ordre ({lonlat(lat, lon)}), "
            f"le point est en {swapped.name}")


_PAIRS = (
    re.compile(r"\s*(-?\d{1,3}\.\d+)\s*[,;\s]\s*(-?\d{1,3}\.\d+)\s*"),  # 5.4034, 43.3305
    re.compile(r"\s*(-?\d{1,3},\d+)\s*[;\s]\s*(-?\d{1,3},\d+)\s*"),  # 5,4034 ; 43,3305
    re.compile(r"\s*(-?\d{1,3},\d+),\s+(-?\d{1,3},\d+)\s*"),  # 43,3305, 5,4034
)


def coordinates_in(text: str) -> tuple[float, float] | None:
    """The (lon, lat) a text made of two decimal numbers gives (typed or pasted in an address
    field), else None: in the order written, or the other (a map's « 43.3305, 5.4034 » is
    latitude first) when only that one lies in a territory. Both numbers need decimals:
    « 12 75007 » is an address."""
    for pair in _PAIRS:
        found = pair.fullmatch(text or "")
        if found:
            first, second = (float(n.replace(",", ".")) for n in found.groups())
            if _territory_at(first, second) is None and _territory_at(second, first):
                return second, first
            return first, second
    return None


def region_wording(code: str, name: str | None) -> str:
    """A région as people read it with its code: « Occitanie (région 76) ». The COG gives
    the collectivités d'outre-mer (Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin)
    no région: the lists of régions carry them under their three-digit code, and they are
    said as what they are: « Saint-Martin (collectivité d'outre-mer 978) »."""
    kind = "collectivité d'outre-mer" if len(code) == 3 else "région"
    return f"{name} ({kind} {code})" if name else f"la {kind} {code}"


_SCOPE_UNITS = {"regions": ("la région", "les régions"),
                "departements": ("le département", "les départements")}


def scope_wording(scope: str, codes, names: dict[str, dict[str, str]] | None = None) -> str:
    """Where a source is complete, in French: « toute la France », « nulle part », « la
    région Provence-Alpes-Côte d'Azur (93) », « les départements Ille-et-Vilaine (35),
    Gironde (33) ». ``names`` holds the names of the régions and of the départements loaded,
    by scope (« 93 » is both a région and a département); a code without its name is said
    « la région de code Insee 93 »."""
    if scope == "country":
        return "toute la France"
    if scope == "none" or scope not in _SCOPE_UNITS:
        return "nulle part" if scope == "none" else f"{scope} {', '.join(codes)}"
    named = (names or {}).get(scope, {})
    one, several = _SCOPE_UNITS[scope]
    return f"{one if len(codes) == 1 else several} " + ", ".join(
        f"{named[code]} ({code})" if code in named else f"de code Insee {code}"
        for code in codes)
