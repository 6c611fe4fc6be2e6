"""Networks of places around a Fabrique de Territoire, its resource place, and declared networks.

A Fabrique's network is built by one rule: ``epci`` (the places whose commune belongs to the
Fabrique's EPCI), ``distance`` (the places within D metres of the Fabrique, measured in its
territory's projected CRS) or ``declared`` (the members an imported network file names, see
``loaders.networks``). Every member carries its distance in metres from the Fabrique.

Places are located in the commune whose contour holds their point (current COG), not by the
commune code their source gives: the 2019 CGET list uses 2018 codes and the France
Tiers-Lieux extract gives almost none. A point in no contour (a coastline generalised away)
takes the nearest commune within ``NEAR_COMMUNE_M``, else the code its source gives.
The Fabriques themselves are places of kind ``fabrique`` (the published list places them at
their commune's centroid).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely

from geodata.eligibility.layers import projector
from geodata.french import number
from geodata.territories import TERRITORIES

__all__ = [
    "FABRIQUE",
    "KIND_LABELS",
    "MAX_DISTANCE_M",
    "NEAR_COMMUNE_M",
    "RULES",
    "Member",
    "NetworkError",
    "NetworkView",
    "UnknownFabriqueError",
    "PlaceLayer",
    "attribute_networks",
    "kind_label",
    "network_by_distance",
    "network_by_communes",
    "network_by_members",
    "nearest_of_kinds",
    "search",
]

FABRIQUE = "fabrique"
KIND_LABELS = {
    FABRIQUE: "Fabrique de Territoire",
    "tiers-lieu-cget-2019": "Tiers-lieu (recensement CGET 2019)",
    "tiers-lieu-france-tiers-lieux": "Tiers-lieu (France Tiers-Lieux)",
    "manufacture-proximite": "Manufacture de proximité",
    "france-services": "France services",
    "conseiller-numerique": "Structure d'accueil de conseillers numériques",
}
"""Place kinds in display order, with their French labels."""
RULES = {"epci": "même EPCI", "distance": "à moins de D km", "declared": "réseau déclaré"}
MAX_DISTANCE_M = 100_000.0
"""The largest distance a network may reach around its Fabrique."""
NEAR_COMMUNE_M = 1_000.0
"""A point outside every generalised contour takes the nearest commune within this distance."""
NETWORK_ATTRIBUTES = ("reseau", "réseau", "network")
"""Place attributes that name a network the place belongs to, when a source gives one."""


class NetworkError(ValueError):
    """A network that cannot be built as asked; ``parameter`` names the culprit."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class UnknownFabriqueError(NetworkError):
    """A Fabrique or network id that is not among the loaded data."""


def kind_label(kind: str) -> str:
    """The French label of a place kind (the kind itself when unknown)."""
    return KIND_LABELS.get(kind, kind)


@dataclass(frozen=True)
class Member:
    """A place of a network, with its distance in metres from the network's Fabrique."""

    kind: str
    external_id: str
    name: str
    commune_code: str | None
    commune_name: str | None
    lon: float
    lat: float
    precision: str
    distance_m: float | None
    role: str | None = None

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


@dataclass(frozen=True)
class NetworkView:
    """A network: its Fabrique (None for a regional network), members, and how it was built."""

    name: str
    rule: str
    centre: Member | None
    members: tuple[Member, ...]
    distance_m: float | None = None
    epci: tuple[str, str] | None = None  # code, name
    missing: tuple[tuple[str, str], ...] = ()  # declared members not found among the places

    def counts(self) -> dict[str, int]:
        """Members per place kind, kinds in display order, then any other kind."""
        counted = Counter(member.kind for member in self.members)
        order = [k for k in KIND_LABELS if k in counted] + sorted(set(counted) - set(KIND_LABELS))
        return {kind: counted[kind] for kind in order}


@dataclass(frozen=True)
class PlaceLayer:
    """Every place (Fabriques included) as arrays, each located in its commune."""

    kinds: np.ndarray
    external_ids: np.ndarray
    names: np.ndarray
    commune_codes: np.ndarray
    commune_names: np.ndarray
    departements: np.ndarray
    precisions: np.ndarray
    territories: np.ndarray
    lons: np.ndarray
    lats: np.ndarray
    attributes: tuple[dict, ...]

    def __post_init__(self):
        positions = {key: i for i, key in enumerate(zip(self.kinds, self.external_ids,
                                                        strict=True))}
        object.__setattr__(self, "_positions", positions)
        object.__setattr__(self, "_projected", {})

    def __len__(self) -> int:
        return len(self.kinds)

    def position(self, kind: str, external_id: str) -> int | None:
        """The row of a place named by its stable key, or None."""
        return self._positions.get((kind, external_id))

    def member(self, row: int, distance_m: float | None = None, role: str | None = None
               ) -> Member:
        """The place of one row as a network member."""
        return Member(
            kind=str(self.kinds[row]), external_id=str(self.external_ids[row]),
            name=str(self.names[row]), commune_code=self.commune_codes[row],
            commune_name=self.commune_names[row], lon=float(self.lons[row]),
            lat=float(self.lats[row]), precision=str(self.precisions[row]),
            distance_m=distance_m, role=role,
        )

    def projected(self, territory: str) -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
        """Rows of one territory, their points in its projected CRS, and a tree over them."""
        cached = self._projected.get(territory)
        if cached is None:
            rows = np.flatnonzero(self.territories == territory)
            x, y = projector(TERRITORIES[territory].epsg).transform(self.lons[rows],
                                                                    self.lats[rows])
            points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
            cached = self._projected[territory] = (rows, points, shapely.STRtree(points))
        return cached

    def distances_from(self, centre: Member, rows: np.ndarray) -> np.ndarray:
        """Distances in metres from a member to rows, in the member's territory's projected
        CRS (NaN for rows of another territory)."""
        territory = self.territories[self.position(centre.kind, centre.external_id)]
        x, y = projector(TERRITORIES[territory].epsg).transform(self.lons[rows],
                                                                self.lats[rows])
        points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        distances = shapely.distance(_project_point(centre, territory), points)
        return np.where(self.territories[rows] == territory, distances, np.nan)


def _project_point(member: Member, territory: str) -> shapely.Point:
    x, y = projector(TERRITORIES[territory].epsg).transform(member.lon, member.lat)
    return shapely.Point(x, y)


def _kinds_mask(layer: PlaceLayer, rows: np.ndarray, kinds: Iterable[str] | None) -> np.ndarray:
    if kinds is None:
        return np.ones(len(rows), dtype=bool)
    return np.isin(layer.kinds[rows], np.array(list(kinds), dtype=object))


def _centre(layer: PlaceLayer, fabrique_id: str) -> tuple[int, Member]:
    row = layer.position(FABRIQUE, fabrique_id)
    if row is None:
        raise UnknownFabriqueError(
            f"Fabrique inconnue ou sans localisation : {fabrique_id!r}", "fabrique")
    return row, layer.member(row, 0.0, "ressource")


def _view(layer: PlaceLayer, name: str, rule: str, centre_row: int | None,
          centre: Member | None, rows: np.ndarray, kinds, roles: dict | None = None,
          **extra) -> NetworkView:
    """Members sorted by distance (by name without a centre), filtered by kind."""
    rows = rows[(rows != (-1 if centre_row is None else centre_row))
                & _kinds_mask(layer, rows, kinds)]
    if centre is None:
        distances = np.full(len(rows), np.nan)
    else:
        distances = layer.distances_from(centre, rows)
    order = np.lexsort((layer.names[rows].astype(str), distances))
    roles = roles or {}
    members = tuple(
        layer.member(int(rows[i]), None if np.isnan(distances[i]) else float(distances[i]),
                     roles.get(int(rows[i])))
        for i in order)
    return NetworkView(name=name, rule=rule, centre=centre, members=members, **extra)


def network_by_distance(layer: PlaceLayer, fabrique_id: str, distance_m: float,
                        kinds: Iterable[str] | None = None) -> NetworkView:
    """The places within ``distance_m`` metres of a Fabrique (projected CRS, limit included)."""
    if not 0 < distance_m <= MAX_DISTANCE_M:
        raise NetworkError(
            f"distance hors limites : {number(distance_m / 1000)} km (plus de 0 et au plus "
            f"{number(MAX_DISTANCE_M / 1000)} km)", "distance_km")
    centre_row, centre = _centre(layer, fabrique_id)
    territory = layer.territories[centre_row]
    own, _, tree = layer.projected(territory)
    found = tree.query(_project_point(centre, territory), predicate="dwithin",
                       distance=distance_m)
    return _view(layer, f"{centre.name} — lieux à moins de {number(distance_m / 1000)} km",
                 "distance", centre_row, centre, own[np.sort(found)], kinds,
                 distance_m=distance_m)


def network_by_communes(layer: PlaceLayer, fabrique_id: str, communes: Iterable[str],
                        epci: tuple[str, str] | None = None,
                        kinds: Iterable[str] | None = None) -> NetworkView:
    """The places located in a set of communes: the Fabrique's EPCI for the ``epci`` rule."""
    centre_row, centre = _centre(layer, fabrique_id)
    inside = np.isin(layer.commune_codes, np.array(sorted(set(communes)), dtype=object))
    label = f"{centre.name} — {epci[1]}" if epci else f"{centre.name} — même EPCI"
    return _view(layer, label, "epci", centre_row, centre, np.flatnonzero(inside), kinds,
                 epci=epci)


def network_by_members(layer: PlaceLayer, name: str, members: Iterable[tuple[str, str, str]],
                       fabrique_id: str | None = None,
                       kinds: Iterable[str] | None = None) -> NetworkView:
    """A declared network: ``(kind, external_id, role)`` keys, found among the loaded places.

    Members no longer among the places are listed in ``missing``; a regional network (no
    Fabrique) has no centre, so no distances.
    """
    members = list(members)
    found = [(layer.position(kind, key), role) for kind, key, role in members]
    missing = tuple((kind, key) for (kind, key, _), (row, _) in zip(members, found, strict=True)
                    if row is None)
    roles = {row: role for row, role in found if row is not None}
    rows = np.array(sorted(roles), dtype=np.int64)
    centre_row, centre = _centre(layer, fabrique_id) if fabrique_id else (None, None)
    return _view(layer, name, "declared", centre_row, centre, rows, kinds, roles,
                 missing=missing)


def attribute_networks(layer: PlaceLayer) -> dict[str, np.ndarray]:
    """Places grouped by the network their source names (attribute ``reseau``/``network``)."""
    groups: dict[str, list[int]] = {}
    for row, attributes in enumerate(layer.attributes):
        for key in NETWORK_ATTRIBUTES:
            value = attributes.get(key)
            if isinstance(value, str) and value.strip():
                groups.setdefault(value.strip(), []).append(row)
                break
    return {name: np.array(rows, dtype=np.int64) for name, rows in sorted(groups.items())}


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search(layer: PlaceLayer, text: str, kind: str = FABRIQUE) -> list[Member]:
    """Places of a kind whose name, commune or id contains ``text`` (accents ignored)."""
    wanted = _folded(text.strip())
    rows = np.flatnonzero(layer.kinds == kind)
    found = [row for row in rows if not wanted or wanted in _folded(
        f"{layer.names[row]} {layer.commune_names[row] or ''} {layer.commune_codes[row] or ''} "
        f"{layer.external_ids[row]}")]
    return sorted((layer.member(int(row)) for row in found), key=lambda m: _folded(m.name))


def nearest_of_kinds(layer: PlaceLayer, lons, lats, territories, kinds) -> list[tuple | None]:
    """For each location (lon/lat, territory code or None): ``(metres, row)`` of the nearest
    place of one of ``kinds`` in its territory, measured in the territory's projected CRS;
    None when the territory has none (or is unknown)."""
    found: list[tuple | None] = [None] * len(lons)
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    territories = np.asarray(territories, dtype=object)
    wanted = np.isin(layer.kinds, np.array(list(kinds), dtype=object))
    for territory in {t for t in territories.tolist() if t in TERRITORIES}:
        rows, points, _ = layer.projected(territory)
        keep = wanted[rows]
        if not keep.any():
            continue
        at = np.flatnonzero(territories == territory)
        x, y = projector(TERRITORIES[territory].epsg).transform(lons[at], lats[at])
        asked = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        (inputs, hits), distances = shapely.STRtree(points[keep]).query_nearest(
            asked, return_distance=True, all_matches=False)
        for i, hit, distance in zip(inputs.tolist(), hits.tolist(), distances.tolist(),
                                    strict=True):
            found[int(at[i])] = (distance, int(rows[keep][hit]))
    return found
