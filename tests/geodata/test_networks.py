"""Networks around the Fabriques on the real places, laureates, communes and EPCI.

Distances are checked against an independent pyproj computation in the territory's CRS and
against a brute-force scan of every place; the EPCI rule against the ``epci_members`` table.
Two tests use tiny synthetic layers, and say so: the real place lists name no network.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import select

from geodata.networks import (
    FABRIQUE,
    KIND_LABELS,
    NetworkError,
    PlaceLayer,
    UnknownFabriqueError,
    attribute_networks,
    network_by_distance,
    network_by_members,
    search,
)
from geodata.storage.models import CommuneContour, EpciMember, Place
from geodata.storage.networks import epci_of, network_for, place_layer
from geodata.territories import TERRITORIES
from loaders.pipeline import load_source
from tests.networks_data import PLACE_SOURCES, places_engine  # noqa: F401

pytestmark = pytest.mark.shared_data

NICE = "fabt-02"  # Le Hublot, Nice: many places around it
SAMPLE = ["fabt-01", NICE, "fabt-40", "fabt-120", "fabt-200", "fabt-300", "fabt-381"]


@pytest.fixture(scope="module")
def layer(places_engine):  # noqa: F811
    return place_layer(places_engine)


def metres(territory: str, lon1, lat1, lons, lats) -> np.ndarray:
    """Independent distances: pyproj to the territory's EPSG, then Euclid."""
    to = Transformer.from_crs(4326, TERRITORIES[territory].epsg, always_xy=True)
    x0, y0 = to.transform(lon1, lat1)
    x, y = to.transform(np.asarray(lons), np.asarray(lats))
    return np.hypot(np.asarray(x) - x0, np.asarray(y) - y0)


def test_layer_holds_every_place_and_located_fabrique(places_engine, layer):  # noqa: F811
    with places_engine.connect() as connection:
        places = connection.execute(select(Place.kind, Place.external_id)).all()
    kinds = {kind for kind, _ in places}
    assert len(layer) == len(places) + int((layer.kinds == FABRIQUE).sum())
    assert set(layer.kinds) == kinds | {FABRIQUE}
    assert (layer.kinds == FABRIQUE).sum() == 381  # fabt-364 (Saint-Martin) has no point
    assert layer.position(FABRIQUE, "fabt-364") is None
    assert all(layer.position(kind, key) is not None for kind, key in places[:500])


def test_places_are_located_in_the_commune_whose_contour_holds_them(places_engine, layer):  # noqa: F811
    with places_engine.connect() as connection:
        contours = dict(connection.execute(
            select(CommuneContour.code, CommuneContour.geom).where(CommuneContour.kind == "COM")
        ).all())
    rows = np.flatnonzero(layer.kinds == "tiers-lieu-cget-2019")
    inside = [row for row in rows if layer.commune_codes[row] in contours and contours[
        layer.commune_codes[row]].intersects(shapely.Point(layer.lons[row], layer.lats[row]))]
    assert len(inside) >= 0.97 * len(rows)  # the rest: a coast generalised away (≤ 1 km)
    # the 2019 list uses 2018 codes: merged communes get their current code from the contour
    with places_engine.connect() as connection:
        given = dict(connection.execute(select(Place.external_id, Place.commune_code)
                                        .where(Place.kind == "tiers-lieu-cget-2019")).all())
    moved = [row for row in inside if given[layer.external_ids[row]] not in (
        None, layer.commune_codes[row])]
    assert moved, "aucun lieu relocalisé dans une commune actuelle"
    # the France Tiers-Lieux extract gives no commune code: every place is located anyway
    extract = np.flatnonzero(layer.kinds == "tiers-lieu-france-tiers-lieux")
    assert all(layer.commune_codes[row] for row in extract)


@pytest.mark.parametrize("fabrique", SAMPLE)
def test_distance_rule_finds_exactly_the_places_within_d(layer, fabrique):
    distance = 15_000.0
    view = network_by_distance(layer, fabrique, distance)
    centre = layer.position(FABRIQUE, fabrique)
    territory = layer.territories[centre]
    same = np.flatnonzero(layer.territories == territory)
    same = same[same != centre]
    brute = metres(territory, layer.lons[centre], layer.lats[centre], layer.lons[same],
                   layer.lats[same])
    expected = {(layer.kinds[r], layer.external_ids[r]) for r in same[brute <= distance]}
    assert {(m.kind, m.external_id) for m in view.members} == expected
    by_key = dict(zip(((layer.kinds[r], layer.external_ids[r]) for r in same), brute,
                      strict=True))
    for member in view.members:
        assert member.distance_m == pytest.approx(by_key[(member.kind, member.external_id)],
                                                  abs=1e-3)
    assert [m.distance_m for m in view.members] == sorted(m.distance_m for m in view.members)
    assert view.centre.external_id == fabrique and view.distance_m == distance


@pytest.mark.parametrize("fabrique", SAMPLE)
def test_a_larger_distance_never_removes_a_member(layer, fabrique):
    previous: set = set()
    for km in (1, 5, 10, 20, 50, 100):
        members = {(m.kind, m.external_id) for m in network_by_distance(
            layer, fabrique, km * 1000.0).members}
        assert previous <= members
        previous = members
    assert previous  # 100 km around any Fabrique reaches some place


def test_epci_rule_keeps_exactly_the_places_of_the_epci(places_engine, layer):  # noqa: F811
    view = network_for(places_engine, NICE, "epci")
    code, name = view.epci
    assert name == "Métropole Nice Côte d'Azur"
    with places_engine.connect() as connection:
        communes = set(connection.scalars(
            select(EpciMember.commune_code).where(EpciMember.epci_code == code)))
    centre = layer.position(FABRIQUE, NICE)
    expected = {(layer.kinds[r], layer.external_ids[r]) for r in range(len(layer))
                if layer.commune_codes[r] in communes and r != centre}
    assert {(m.kind, m.external_id) for m in view.members} == expected
    assert all(m.commune_code in communes and m.distance_m > 0 for m in view.members)
    assert epci_of(places_engine, "06088")[2] == communes


def test_counts_add_up_in_kind_order(places_engine):  # noqa: F811
    view = network_for(places_engine, NICE, "distance", distance_m=20_000)
    counts = view.counts()
    assert sum(counts.values()) == len(view.members) > 0
    assert list(counts) == [k for k in KIND_LABELS if k in counts]
    only = network_for(places_engine, NICE, "distance", distance_m=20_000,
                       kinds=["france-services", FABRIQUE])
    assert set(only.counts()) <= {"france-services", FABRIQUE}
    assert only.counts().get("france-services") == counts.get("france-services")


def test_overseas_fabrique_is_measured_in_its_own_crs(layer):
    reunion = [layer.external_ids[r] for r in np.flatnonzero(
        (layer.kinds == FABRIQUE) & (layer.territories == "reunion"))]
    assert reunion
    view = network_by_distance(layer, reunion[0], 30_000)
    centre = view.centre
    for member in view.members:
        assert layer.territories[layer.position(member.kind, member.external_id)] == "reunion"
        expected = metres("reunion", centre.lon, centre.lat, [member.lon], [member.lat])[0]
        assert member.distance_m == pytest.approx(expected, abs=1e-3)


def test_errors_name_their_parameter(places_engine, layer):  # noqa: F811
    with pytest.raises(UnknownFabriqueError) as unknown:
        network_by_distance(layer, "fabt-999", 1000)
    assert unknown.value.parameter == "fabrique"
    for bad in (0, -5, 100_001):
        with pytest.raises(NetworkError) as error:
            network_by_distance(layer, NICE, bad)
        assert error.value.parameter == "distance_km"
    with pytest.raises(NetworkError, match="règle inconnue"):
        network_for(places_engine, NICE, "voisins")
    with pytest.raises(UnknownFabriqueError):
        network_for(places_engine, NICE, "declared")  # nothing declared in this database


def test_declared_members_are_found_by_stable_key(layer):
    keys = [("manufacture-proximite", "manuprox-1-1", "membre"),
            ("france-services", "1458", None), ("france-services", "absent-999", None)]
    view = network_by_members(layer, "Réseau d'essai", keys, NICE)
    assert {(m.kind, m.external_id) for m in view.members} == {
        ("manufacture-proximite", "manuprox-1-1"), ("france-services", "1458")}
    assert view.missing == (("france-services", "absent-999"),)
    assert {m.external_id: m.role for m in view.members}["manuprox-1-1"] == "membre"
    regional = network_by_members(layer, "Régional", keys[:2])
    assert regional.centre is None and all(m.distance_m is None for m in regional.members)


def test_search_ignores_case_and_accents(layer):
    found = search(layer, "HUBLOT")
    assert [m.external_id for m in found] == [NICE]
    assert {m.external_id for m in search(layer, "nice")} >= {NICE}
    assert search(layer, "fabt-02")[0].external_id == NICE
    assert len(search(layer, "")) == 381
    assert search(layer, "éèêzzz") == []


def synthetic_layer(attributes: list[dict]) -> PlaceLayer:
    """Synthetic: the real lists carry no network attribute, so made-up places do."""
    n = len(attributes)
    return PlaceLayer(
        kinds=np.array(["tiers-lieu-cget-2019"] * n, dtype=object),
        external_ids=np.array([str(i) for i in range(n)], dtype=object),
        names=np.array([f"Lieu {i}" for i in range(n)], dtype=object),
        commune_codes=np.array(["31555"] * n, dtype=object),
        commune_names=np.array(["Toulouse"] * n, dtype=object),
        departements=np.array(["31"] * n, dtype=object),
        precisions=np.array(["address"] * n, dtype=object),
        territories=np.array(["metropole"] * n, dtype=object),
        lons=np.full(n, 1.44), lats=np.full(n, 43.6), attributes=tuple(attributes))


def test_places_naming_a_network_are_grouped():
    layer = synthetic_layer([{"reseau": "La Trame 07"}, {}, {"network": "La Trame 07 "},
                             {"reseau": "Tiers-Lieux Occitanie"}, {"reseau": ""}])
    groups = attribute_networks(layer)
    assert {name: list(rows) for name, rows in groups.items()} == {
        "La Trame 07": [0, 2], "Tiers-Lieux Occitanie": [3]}


def test_layer_on_both_backends_and_rebuilt_after_a_load(engine, data_dir):
    for name in ("laureates", "epci", "manufactures-proximite"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    first = place_layer(engine)
    assert set(first.kinds) == {FABRIQUE, "manufacture-proximite"}
    assert place_layer(engine) is first  # cached while the data stay the same
    # without contours, places keep the commune their source gives
    row = first.position("manufacture-proximite", "manuprox-1-1")
    with engine.connect() as connection:
        given = connection.scalar(select(Place.commune_code).where(
            Place.external_id == "manuprox-1-1"))
    assert first.commune_codes[row] == given
    view = network_for(engine, NICE, "epci")
    assert view.epci[1] == "Métropole Nice Côte d'Azur"
    load_source(engine, PLACE_SOURCES[2], data_dir=data_dir, progress=False)
    second = place_layer(engine)
    assert second is not first and "tiers-lieu-france-tiers-lieux" in set(second.kinds)
