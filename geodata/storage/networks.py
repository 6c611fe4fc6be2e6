"""Read places, EPCI and declared networks from either backend for ``geodata.networks``.

The place layer is cached until the set of dataset versions in service changes (a load, on
either backend, adds a version). Places are located in the commune contours of the engine's
reference index (``geodata.storage.reference``), which the checker already keeps in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import Engine, or_, select

from geodata.coverage import CommuneDistances, nearest_distances
from geodata.eligibility.layers import ReferenceIndex
from geodata.geometry import clean_coverage, rfc7946_polygons, simplified_coverage
from geodata.networks import (
    FABRIQUE,
    NEAR_COMMUNE_M,
    NetworkError,
    NetworkView,
    PlaceLayer,
    UnknownFabriqueError,
    network_by_communes,
    network_by_distance,
    network_by_members,
)
from geodata.policy import DEFAULT_POLICY, load_policy
from geodata.storage.cache import versioned
from geodata.storage.laureates import fabriques_once
from geodata.storage.models import (
    Commune,
    DatasetVersion,
    Epci,
    EpciMember,
    Network,
    NetworkMember,
    Place,
)
from geodata.storage.reference import reference_index

__all__ = [
    "OUTLINE_TOLERANCE_M",
    "RESOURCE_ROLE",
    "DeclaredNetwork",
    "DepartementShape",
    "commune_distances",
    "commune_outlines",
    "declared_network",
    "declared_networks",
    "departement_shapes",
    "epci_of",
    "network_for",
    "place_layer",
]

RESOURCE_ROLE = "ressource"
"""Role of a Fabrique in its own declared network (kept as a member: a stable key)."""

def default_index(engine: Engine) -> ReferenceIndex:
    """The checker's reference index (default policy's QPV vintage): commune contours."""
    return reference_index(engine, load_policy(DEFAULT_POLICY).qpv_vintage)


def _locate(index: ReferenceIndex, territories: np.ndarray, lons: np.ndarray,
            lats: np.ndarray) -> np.ndarray:
    """Row in the commune layer of the contour holding each point, or of the nearest one
    within ``NEAR_COMMUNE_M``; -1 when none."""
    found = np.full(len(lons), -1, dtype=np.int64)
    for code, territory in index.territories.items():
        rows = np.flatnonzero(territories == code)
        if not len(rows) or not len(territory.commune_rows):
            continue
        points = territory.project_points(lons[rows], lats[rows])
        with index.lock:  # the engine's prepared geometries: one thread at a time
            inputs, hits = territory.commune_tree.query(points, predicate="intersects")
        first = np.unique(inputs, return_index=True)
        found[rows[first[0]]] = territory.commune_rows[hits[first[1]]]
        left = np.flatnonzero(found[rows] < 0)
        if len(left):
            with index.lock:
                inputs, hits = territory.commune_tree.query_nearest(
                    points[left], max_distance=NEAR_COMMUNE_M, all_matches=False)
            found[rows[left[inputs]]] = territory.commune_rows[hits]
    return found


@versioned
def place_layer(engine: Engine) -> PlaceLayer:
    """Places and located Fabriques, each in the commune whose contour holds its point."""
    with engine.connect() as connection:
        places = connection.execute(
            select(Place.kind, Place.external_id, Place.name, Place.commune_code,
                   Place.commune_name, Place.precision, Place.territory, Place.attributes,
                   Place.geom).order_by(Place.kind, Place.external_id)).all()
        communes = {row.code: (row.name, row.departement_code) for row in connection.execute(
            select(Commune.code, Commune.name, Commune.departement_code))}
    fabriques = [row for row in fabriques_once(engine) if row["geom"] is not None]
    records = [(FABRIQUE, r["id"], r["name"], r["commune_code"], r["commune_name"],
                r["precision"], r["territory"], {}, r["geom"]) for r in fabriques] \
        + [tuple(r) for r in places]
    columns = list(zip(*records, strict=True)) if records else [()] * 9
    kinds, keys, names, given_codes, given_names, precisions, territories, attributes, geoms \
        = (np.array(column, dtype=object) for column in columns)
    lons = shapely.get_x(geoms.astype(object)).astype(float) if len(geoms) else np.array([])
    lats = shapely.get_y(geoms.astype(object)).astype(float) if len(geoms) else np.array([])
    index = default_index(engine)
    located = _locate(index, territories, lons, lats)
    codes = np.where(located >= 0, index.communes.codes[np.maximum(located, 0)]
                     if len(index.communes.codes) else None, given_codes)
    commune_names = np.array([
        communes.get(code, (None,))[0] or (given if code == given_code else None)
        for code, given, given_code in zip(codes, given_names, given_codes, strict=True)
    ], dtype=object)
    departements = np.array([communes.get(code, (None, None))[1] for code in codes],
                            dtype=object)
    return PlaceLayer(kinds=kinds, external_ids=keys, names=names, commune_codes=codes,
                      commune_names=commune_names, departements=departements,
                      precisions=precisions, territories=territories, lons=lons, lats=lats,
                      attributes=tuple(attributes))




def epci_of(engine: Engine, commune_code: str | None) -> tuple[str, str, frozenset] | None:
    """The EPCI of a commune: its SIREN, name and member communes; None if it has none."""
    if commune_code is None:
        return None
    with engine.connect() as connection:
        epci = connection.execute(
            select(Epci.code, Epci.name).join(EpciMember, EpciMember.epci_code == Epci.code)
            .where(EpciMember.commune_code == commune_code)).first()
        if epci is None:
            return None
        members = frozenset(connection.scalars(
            select(EpciMember.commune_code).where(EpciMember.epci_code == epci.code)))
    return epci.code, epci.name, members


@dataclass(frozen=True)
class DeclaredNetwork:
    """A network loaded from a network file, its members named by stable keys."""

    id: int
    name: str
    kind: str  # fabrique, regional
    laureate_id: str | None
    source: str | None
    members: tuple[tuple[str, str, str | None], ...]  # kind, external_id, role


def declared_networks(engine: Engine, *, fabrique_id: str | None = None
                      ) -> list[DeclaredNetwork]:
    """The declared networks in service (of one Fabrique if given), by kind and name.

    A Fabrique's network keeps the Fabrique as a member with the role ``ressource``, so the
    link survives a reload of the laureates (which empties ``networks.laureate_id``).
    """
    with engine.connect() as connection:
        networks = connection.execute(
            select(Network.id, Network.name, Network.kind, Network.laureate_id,
                   DatasetVersion.source)
            .outerjoin(DatasetVersion, DatasetVersion.id == Network.dataset_version_id)
            .where(or_(Network.dataset_version_id.is_(None), DatasetVersion.current.is_(True)))
            .order_by(Network.kind, Network.name, Network.id)).all()
        members: dict[int, list] = {}
        for row in connection.execute(
                select(NetworkMember).order_by(NetworkMember.network_id,
                                               NetworkMember.place_kind,
                                               NetworkMember.place_external_id)):
            members.setdefault(row.network_id, []).append(
                (row.place_kind, row.place_external_id, row.role))
    found = []
    for network in networks:
        keys = tuple(members.get(network.id, ()))
        laureate = network.laureate_id or next(
            (key for kind, key, role in keys if kind == FABRIQUE and role == RESOURCE_ROLE),
            None)
        if fabrique_id is not None and laureate != fabrique_id:
            continue
        found.append(DeclaredNetwork(network.id, network.name, network.kind, laureate,
                                     network.source, keys))
    return found


def declared_network(engine: Engine, *, network_id: int | None = None,
                     fabrique_id: str | None = None) -> DeclaredNetwork | None:
    """One declared network, by id, or the first of a Fabrique."""
    for network in declared_networks(engine, fabrique_id=fabrique_id):
        if network_id is None or network.id == network_id:
            return network
    return None


def network_for(engine: Engine, fabrique_id: str | None, rule: str, *,
                distance_m: float | None = None, kinds: Iterable[str] | None = None,
                network_id: int | None = None) -> NetworkView:
    """The network of a Fabrique under ``rule`` (``epci``, ``distance``, ``declared``), or a
    declared regional network by id."""
    layer = place_layer(engine)
    if rule == "declared":
        declared = declared_network(engine, network_id=network_id, fabrique_id=fabrique_id)
        if declared is None:
            raise UnknownFabriqueError(
                "aucun réseau déclaré ne correspond : chargez un fichier de réseaux "
                "(docs/format-reseaux.md)", "reseau" if network_id is not None else "rule")
        return network_by_members(layer, declared.name, declared.members,
                                  declared.laureate_id, kinds)
    if not fabrique_id:
        raise NetworkError("choisissez une Fabrique", "fabrique")
    if rule == "distance":
        if distance_m is None:
            raise NetworkError("indiquez la distance en km", "distance_km")
        return network_by_distance(layer, fabrique_id, distance_m, kinds)
    if rule == "epci":
        row = layer.position(FABRIQUE, fabrique_id)
        commune = None if row is None else layer.commune_codes[row]
        found = epci_of(engine, commune) if row is not None else None
        if row is not None and found is None:
            raise NetworkError(
                f"la commune de la Fabrique ({layer.commune_names[row] or commune}) n'est "
                "membre d'aucun EPCI chargé", "rule")
        code, name, communes = found or (None, None, frozenset())
        return network_by_communes(layer, fabrique_id, communes,
                                   (code, name) if code else None, kinds)
    raise NetworkError(f"règle inconnue : {rule!r} (epci, distance ou declared)", "rule")


@versioned
def commune_distances(engine: Engine, measure: str = "contour") -> CommuneDistances:
    """Every commune of the covered territories with its distance to the nearest Fabrique
    of its territory (``nan`` without a contour). A Fabrique without location counts at its
    commune's contour, or, without one, makes its territory's far communes unsure
    (``geodata.coverage``)."""
    index = default_index(engine)
    layer = index.communes
    with engine.connect() as connection:
        communes = connection.execute(
            select(Commune.code, Commune.name, Commune.departement_code, Commune.population)
            .where(Commune.kind == "commune-actuelle").order_by(Commune.code)).all()
    fabriques = [SimpleNamespace(**row) for row in fabriques_once(engine)]
    places, unlocated = _fabrique_places(index, fabriques)
    distances = np.full(len(layer.codes), np.inf)
    nearest = np.full(len(layer.codes), None, dtype=object)
    unsure = np.full(len(layer.codes), not fabriques)
    for code, territory in index.territories.items():
        own = [(fabrique_id, shape) for fabrique_id, where, shape in places if where == code]
        found, which = nearest_distances(territory.commune_geometries,
                                         np.array([shape for _, shape in own], dtype=object),
                                         measure)
        distances[territory.commune_rows] = found
        ids = np.array([fabrique_id for fabrique_id, _ in own] + [None], dtype=object)
        nearest[territory.commune_rows] = ids[which]  # -1: the trailing None
        if any(where in (code, None) for _, where in unlocated):
            unsure[territory.commune_rows] = True
    position = {code: i for i, code in enumerate(layer.codes)}
    covered = {dep for territory in index.territories.values()
               for dep in territory.territory.departements}
    rows = [row for row in communes if row.departement_code in covered or row.code in position]
    at = np.array([position.get(row.code, -1) for row in rows], dtype=np.int64)
    return CommuneDistances(
        codes=np.array([row.code for row in rows], dtype=object),
        names=np.array([row.name for row in rows], dtype=object),
        departements=np.array([row.departement_code for row in rows], dtype=object),
        populations=np.array([row.population or 0 for row in rows], dtype=np.int64),
        distances=np.where(at >= 0, distances[np.maximum(at, 0)], np.nan),
        nearest=np.where(at >= 0, nearest[np.maximum(at, 0)], None),
        measure=measure,
        unsure=np.where(at >= 0, unsure[np.maximum(at, 0)], not fabriques),
        fabriques=len(fabriques),
        unlocated=tuple(fabrique_id for fabrique_id, _ in unlocated),
    )


def _fabrique_places(index, fabriques) -> tuple[list, list]:
    """Where each Fabrique may be, projected in its territory: ``(id, territory, shape)``
    for its point, or its commune's contour when it has no point; and ``(id, territory or
    None)`` for those placed nowhere."""
    places, unlocated = [], []
    for row in fabriques:
        if row.geom is not None and row.territory in index.territories:
            territory = index.territories[row.territory]
            places.append((row.id, row.territory, territory.project_points(
                np.array([shapely.get_x(row.geom)]), np.array([shapely.get_y(row.geom)]))[0]))
            continue
        commune = index.commune_position(row.commune_code) if row.commune_code else None
        where = None if commune is None else index.communes.territories[commune]
        if where in index.territories:
            territory = index.territories[where]
            local = int(np.searchsorted(territory.commune_rows, commune))
            places.append((row.id, where, territory.commune_geometries[local]))
        else:
            unlocated.append((row.id, row.territory))
    return places, unlocated


@dataclass(frozen=True)
class DepartementShape:
    """Where to draw a département: a centre (lon, lat) and its bounds (W, S, E, N)."""

    centre: tuple[float, float]
    bounds: tuple[float, float, float, float]


@versioned
def departement_shapes(engine: Engine) -> dict[str, DepartementShape]:
    """Each département's mean commune point and the bounds of its commune contours."""
    layer = default_index(engine).communes
    if not len(layer.codes):
        return {}
    points = shapely.point_on_surface(layer.geometries)
    lons, lats = shapely.get_x(points), shapely.get_y(points)
    bounds = shapely.bounds(layer.geometries)
    departements = np.array([d or "?" for d in layer.departements], dtype=str)
    codes, group = np.unique(departements, return_inverse=True)
    shapes = {}
    for i, code in enumerate(codes):
        own = group == i
        box = bounds[own]
        shapes[str(code)] = DepartementShape(
            (float(lons[own].mean()), float(lats[own].mean())),
            (float(box[:, 0].min()), float(box[:, 1].min()), float(box[:, 2].max()),
             float(box[:, 3].max())))
    return shapes




OUTLINE_TOLERANCE_M = 50.0
"""Simplification of the communes the coverage map draws, in metres (once 0.0005°)."""


def commune_outlines(engine: Engine, codes: Iterable[str],
                     tolerance_m: float = OUTLINE_TOLERANCE_M) -> dict[str, shapely.Geometry]:
    """Simplified contours of some communes, by code, as RFC 7946 wants them (WGS84, valid,
    MultiPolygons, counter-clockwise): simplified together in their territory's projected
    CRS, ``tolerance_m`` in metres, so that neighbours still meet."""
    index = default_index(engine)
    wanted = np.array(sorted(set(codes)), dtype=object)
    outlines = {}
    for territory in index.territories.values():
        local = np.flatnonzero(np.isin(index.communes.codes[territory.commune_rows], wanted)
                               & ~shapely.is_missing(territory.commune_geometries))
        if not len(local):
            continue
        simple = simplified_coverage(clean_coverage(territory.commune_geometries[local]),
                                     tolerance_m)
        back = Transformer.from_crs(territory.territory.epsg, 4326, always_xy=True)
        wgs84 = rfc7946_polygons(shapely.transform(simple, lambda xy, back=back: np.column_stack(
            back.transform(xy[:, 0], xy[:, 1]))))
        outlines.update((str(index.communes.codes[row]), geometry) for row, geometry
                        in zip(territory.commune_rows[local], wgs84, strict=True)
                        if geometry is not None)
    return outlines
