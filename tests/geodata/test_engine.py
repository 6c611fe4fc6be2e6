"""The eligibility engine on the real layers: inside, boundary, around D, completeness edges.

Test points are derived from the real outlines in each territory's projected CRS (a vertex,
a ring at D - 0.5 m or D + 0.5 m), then converted to lon/lat: no hard-coded answers. The
overseas cases use a small synthetic QPV, since no real overseas outline is in the shared
data (said again where they are built).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from sqlalchemy import text

from geodata.eligibility import classify, verdict
from geodata.eligibility.engine import FALSE, TRUE, UNKNOWN
from geodata.eligibility.layers import CommuneLayer, QpvLayer, ReferenceIndex
from geodata.policy import load_policy
from geodata.storage.reference import reference_index

pytestmark = pytest.mark.shared_data

L93_TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)


@pytest.fixture(scope="module")
def ami(reference_engine):
    policy = load_policy("ami-2019")
    return policy, reference_index(reference_engine, policy.qpv_vintage)


@pytest.fixture(scope="module")
def current(reference_engine):
    policy = load_policy("current")
    return policy, reference_index(reference_engine, policy.qpv_vintage)


def check(policy_and_index, lon, lat, precision="point"):
    policy, index = policy_and_index
    result = classify(index, policy, [lon], [lat], [precision])
    return verdict(result, 0).row


def lonlat(point):
    x, y = L93_TO_WGS84.transform(point.x, point.y)
    return float(x), float(y)


def qpv_l93(index, code):
    metro = index.territories["metropole"]
    position = list(index.qpv.codes[metro.qpv_rows]).index(code)
    return metro.qpv_geometries[position]


@pytest.fixture(scope="module")
def isolated_qpv(ami):
    """The Occitanie QPV (2015) farthest from any other QPV and from the complete area's
    frontier: around it every answer can be decided."""
    policy, index = ami
    metro = index.territories["metropole"]
    best, best_gap = None, 0.0
    for position, geometry in enumerate(metro.qpv_geometries):
        code = index.qpv.codes[metro.qpv_rows[position]]
        if not code.startswith("QP0") or not shapely.intersects(metro.complete_area, geometry):
            continue
        others = np.delete(metro.qpv_geometries, position)
        gap = min(shapely.distance(geometry, others).min(),
                  shapely.distance(geometry, metro.frontier))
        if gap > best_gap:
            best, best_gap = code, gap
    assert best_gap > 2 * policy.proximity_m + 100
    return best


def ring_vertex(geometry, distance, tolerance=0.01):
    """A vertex of the buffer ring at ``distance`` that really is that far (within
    ``tolerance`` metres): GEOS simplifies the input a little before buffering, so not every
    vertex is."""
    ring = shapely.get_exterior_ring(shapely.get_parts(geometry.buffer(distance))[0])
    vertices = shapely.points(shapely.get_coordinates(ring))
    error = np.abs(shapely.distance(geometry, vertices) - distance)
    assert error.min() < tolerance
    return vertices[int(np.argmin(error))]


def test_inside_a_qpv(ami, isolated_qpv):
    inside = qpv_l93(ami[1], isolated_qpv).representative_point()
    row = check(ami, *lonlat(inside))
    assert row["in_qpv"] is True and row["qpv_code"] == isolated_qpv
    assert row["nearest_qpv_code"] == isolated_qpv and row["distance_to_qpv_m"] == 0.0
    assert row["near_qpv"] is True
    assert isolated_qpv in row["explanation"] and "limite comprise" in row["explanation"]


def test_on_the_boundary_counts_as_inside(ami, isolated_qpv):
    policy, index = ami
    position = list(index.qpv.codes).index(isolated_qpv)
    vertex = shapely.get_coordinates(index.qpv.geometries[position])[0]  # stored lon/lat
    row = check(ami, float(vertex[0]), float(vertex[1]))
    assert row["in_qpv"] is True and row["distance_to_qpv_m"] == 0.0


@pytest.mark.parametrize(("offset", "near"), [(-0.5, True), (+0.5, False)])
def test_just_under_and_just_over_the_proximity_distance(ami, isolated_qpv, offset, near):
    policy, index = ami
    point = ring_vertex(qpv_l93(index, isolated_qpv), policy.proximity_m + offset)
    row = check(ami, *lonlat(point))
    assert row["in_qpv"] is False
    assert row["nearest_qpv_code"] == isolated_qpv
    assert row["distance_to_qpv_m"] == pytest.approx(policy.proximity_m + offset, abs=0.05)
    assert row["near_qpv"] is near
    assert row["category"] in {"qpv", "non-eligible", "hors-grands-centres-urbains"}


@pytest.mark.parametrize(("offset", "shown", "near"), [(0.03, "300.0", True),
                                                      (0.07, "300.1", False)])
def test_the_distance_shown_is_the_distance_decided(ami, isolated_qpv, offset, shown, near):
    """Never "300,0 m" with near_qpv false: proximity is decided on the decimetre shown."""
    policy, index = ami
    point = ring_vertex(qpv_l93(index, isolated_qpv), policy.proximity_m + offset,
                        tolerance=0.005)
    row = check(ami, *lonlat(point))
    assert f"{row['distance_to_qpv_m']:.1f}" == shown
    assert row["distance_to_qpv_m"] == float(shown)  # the value returned is the one shown
    assert f"est à {shown.replace('.', ',')}\u00a0m" in row["explanation"]  # French: 300,0 m
    assert row["near_qpv"] is near


def test_a_larger_distance_in_the_policy_turns_the_same_point_adjacent(ami, isolated_qpv):
    policy, index = ami
    point = lonlat(ring_vertex(qpv_l93(index, isolated_qpv), policy.proximity_m + 50))
    assert check(ami, *point)["near_qpv"] is False
    wider = replace(policy, proximity_m=policy.proximity_m + 100)
    assert check((wider, index), *point)["near_qpv"] is True


def test_beyond_the_search_radius_both_are_empty_and_said(ami, isolated_qpv):
    policy, index = ami
    narrow = replace(policy, search_radius_m=policy.proximity_m + 100)
    point = lonlat(ring_vertex(qpv_l93(index, isolated_qpv), policy.proximity_m + 150))
    row = check((narrow, index), *point)
    assert row["nearest_qpv_code"] is None and row["distance_to_qpv_m"] is None
    assert row["near_qpv"] is False
    assert f"Aucun QPV (liste 2015) à moins de {narrow.search_radius_m:.0f}\xa0m" in \
        row["explanation"]


def frontier_points(ami, inside_by, outside_by):
    """A point ``inside_by`` metres inside the complete area (Occitanie) next to its land
    frontier, and one ``outside_by`` metres beyond it."""
    metro = ami[1].territories["metropole"]
    frontier = shapely.get_parts(metro.frontier)
    longest = max(frontier, key=lambda part: part.length)
    anchor = shapely.line_interpolate_point(longest, 0.5, normalized=True)
    area = metro.complete_area
    inner = shapely.get_parts(area.buffer(-inside_by).boundary)
    outer = shapely.get_parts(area.buffer(outside_by).boundary)
    inner_point = min((shapely.ops.nearest_points(p, anchor)[0] for p in inner),
                      key=lambda p: p.distance(anchor))
    outer_point = min((shapely.ops.nearest_points(p, anchor)[0] for p in outer),
                      key=lambda p: p.distance(anchor))
    return inner_point, outer_point


def test_near_the_edge_of_the_complete_territory(ami):
    policy, index = ami
    inner, outer = frontier_points(ami, inside_by=60, outside_by=2000)
    row = check(ami, *lonlat(inner))
    assert row["commune_code"] is not None
    if row["distance_to_qpv_m"] is None or row["distance_to_qpv_m"] > policy.proximity_m:
        assert row["in_qpv"] is False  # inside the complete area
        assert row["near_qpv"] is None  # the D disc crosses into land not covered
        assert "pourrait exister" in row["explanation"] or "reste inconnu" in row["explanation"]
    across = check(ami, *lonlat(outer))
    assert across["commune_code"] is not None  # land, not sea
    assert across["in_qpv"] is None and across["category"] == "a-verifier" or \
        across["in_qpv"] is True
    assert "indéterminée" in across["explanation"] or across["in_qpv"] is True


def test_partial_source_answers_yes_but_never_no(ami):
    policy, index = ami
    paris = qpv_l93(index, "QP075019")
    assert check(ami, *lonlat(paris.representative_point()))["in_qpv"] is True
    away = check(ami, *lonlat(ring_vertex(paris, 1000)))
    assert away["in_qpv"] is None and away["near_qpv"] is None
    assert away["nearest_qpv_code"] == "QP075019"
    assert "pourrait exister" in away["explanation"]


def test_current_policy_decides_from_the_paca_outlines(current):
    policy, index = current
    marseille = qpv_l93(index, "QN01352M")
    inside = check(current, *lonlat(marseille.representative_point()))
    assert inside["in_qpv"] is True and inside["category"] == "qpv"
    assert inside["density_level"] == 1 and inside["outside_large_urban_centre"] is False


def test_official_commune_list_decides_where_outlines_are_missing(current):
    """No 2024 outline in Auvergne is loaded, but the 2024 list says which communes have a
    QPV: a point in a rural commune with no QPV around is decided, a city is not."""
    rural = check(current, 3.0, 46.0)  # Charbonnières-les-Vieilles (63)
    assert rural["commune_code"] == "63093"
    assert rural["in_qpv"] is False and rural["near_qpv"] is False
    assert rural["category"] == "hors-grands-centres-urbains"
    assert "liste officielle" in rural["explanation"]
    city = check(current, 3.0870, 45.7772)  # Clermont-Ferrand
    assert city["in_qpv"] is None and city["category"] == "a-verifier"


def test_commune_precision_cannot_decide_the_qpv_half(current):
    marseille = check(current, 5.38, 43.30, precision="commune")
    assert marseille["in_qpv"] is None and marseille["near_qpv"] is None
    assert marseille["distance_to_qpv_m"] is None
    assert marseille["category"] == "a-verifier"
    assert marseille["outside_large_urban_centre"] is False  # the urban half is decided
    assert "QN01352M" in marseille["explanation"] and "du contour" in marseille["explanation"]


def test_commune_precision_decides_when_no_qpv_can_be_near(current):
    rural = check(current, 6.0, 44.5, precision="commune")  # Pelleautier (05)
    assert rural["in_qpv"] is False and rural["near_qpv"] is False
    assert rural["category"] == "hors-grands-centres-urbains"


def test_metropole_rule_of_ami_2019(ami):
    perpignan = check(ami, 2.8948, 42.6986)  # not a métropole, density level 1
    assert perpignan["metropole"] is False and perpignan["density_level"] == 1
    assert perpignan["outside_large_urban_centre"] is True


def test_outside_every_territory_is_an_error(ami):
    row = check(ami, -30.0, 40.0)
    assert row["error"] and "aucun territoire" in row["error"] and row["category"] is None


# --- overseas, measured in its own CRS ------------------------------------------------------

def synthetic_reunion(policy_vintage="2015"):
    """A synthetic 200 m square QPV and a 10 km square commune near Saint-Denis (La Réunion),
    built in EPSG:2975: no real overseas QPV outline is in the shared data."""
    to_utm = Transformer.from_crs(4326, 2975, always_xy=True)
    to_wgs = Transformer.from_crs(2975, 4326, always_xy=True)
    x0, y0 = to_utm.transform(55.45, -20.90)

    def wgs84(geometry):
        return shapely.transform(geometry, lambda c: np.column_stack(
            to_wgs.transform(c[:, 0], c[:, 1])))

    square = shapely.box(x0, y0, x0 + 200, y0 + 200)
    commune = shapely.box(x0 - 5000, y0 - 5000, x0 + 5000, y0 + 5000)
    qpv = QpvLayer(
        vintage=policy_vintage, codes=np.array(["QP974999"], dtype=object),
        names=np.array(["Quartier synthétique"], dtype=object),
        territories=np.array(["reunion"], dtype=object),
        geometries=np.array([shapely.MultiPolygon([wgs84(square)])], dtype=object),
        complete_for=(("departements", ("974",)),), sources=("synthétique",),
    )
    communes = CommuneLayer(
        codes=np.array(["97411"], dtype=object), names=np.array(["Saint-Denis"], dtype=object),
        territories=np.array(["reunion"], dtype=object),
        geometries=np.array([shapely.MultiPolygon([wgs84(commune)])], dtype=object),
        regions=np.array(["04"], dtype=object), departements=np.array(["974"], dtype=object),
        density_levels={"97411": 2}, density_labels={"97411": "Centres urbains"},
        metropoles={},
    )
    return ReferenceIndex(qpv, communes), (x0, y0), to_wgs


def test_overseas_distance_is_measured_in_the_local_utm():
    policy = load_policy("ami-2019")
    index, (x0, y0), to_wgs = synthetic_reunion()
    lon, lat = to_wgs.transform(x0 + 200 + 250, y0 + 100)  # 250 m east of the square
    edge_lon, edge_lat = to_wgs.transform(x0 + 200, y0 + 100)
    result = classify(index, policy, [lon], [lat])
    row = verdict(result, 0).row
    assert row["distance_to_qpv_m"] == pytest.approx(250.0, abs=0.05)
    assert row["near_qpv"] is True and row["in_qpv"] is False  # complete for 974
    assert "EPSG:2975" in row["explanation"]
    geodesic = Geod(ellps="GRS80").inv(edge_lon, edge_lat, lon, lat)[2]
    assert geodesic == pytest.approx(250.0, rel=0.002)  # UTM scale, not degrees


def test_overseas_points_do_not_see_metropolitan_layers(ami):
    policy, index = ami
    result = classify(index, policy, [55.45], [-20.90])
    assert result.territory[0] == "reunion"
    assert result.in_qpv[0] == UNKNOWN  # no 2015 outline is complete there
    assert result.nearest[0] == -1


# --- properties -------------------------------------------------------------------------

def random_points_around_qpvs(index, seed, count, spread=800.0):
    rng = np.random.default_rng(seed)
    metro = index.territories["metropole"]
    centres = shapely.centroid(metro.qpv_geometries)
    picks = rng.integers(0, len(centres), count)
    x = shapely.get_x(centres[picks]) + rng.uniform(-spread, spread, count)
    y = shapely.get_y(centres[picks]) + rng.uniform(-spread, spread, count)
    return L93_TO_WGS84.transform(x, y)


@pytest.mark.parametrize("fixture", ["ami", "current"])
def test_inside_implies_distance_zero(fixture, request):
    policy, index = request.getfixturevalue(fixture)
    lon, lat = random_points_around_qpvs(index, seed=7, count=3000)
    result = classify(index, policy, lon, lat)
    inside = result.in_qpv == TRUE
    assert inside.sum() > 50 and (~inside).sum() > 50
    assert np.all(result.distance[inside] == 0.0)
    assert np.all(result.near_qpv[inside] == TRUE)
    assert np.all(result.qpv[inside] == result.nearest[inside])


@pytest.mark.parametrize("fixture", ["ami", "current"])
def test_a_larger_distance_never_removes_adjacency(fixture, request):
    policy, index = request.getfixturevalue(fixture)
    lon, lat = random_points_around_qpvs(index, seed=11, count=3000, spread=1500)
    previous = None
    for distance in (50, 150, 300, 500, 1000):
        result = classify(index, replace(policy, proximity_m=distance), lon, lat)
        near = result.near_qpv
        if previous is not None:
            assert not np.any((previous == TRUE) & (near != TRUE))
            assert not np.any((near == FALSE) & (previous != FALSE))
        previous = near
    assert (previous == TRUE).sum() > 100


@pytest.mark.parametrize("fixture", ["ami", "current"])
def test_verdict_does_not_depend_on_batch_order(fixture, request):
    policy, index = request.getfixturevalue(fixture)
    lon, lat = random_points_around_qpvs(index, seed=3, count=500, spread=3000)
    lon, lat = np.append(lon, [3.0, 5.38, 55.45]), np.append(lat, [46.0, 43.30, -20.9])
    precision = np.array(["point"] * (len(lon) - 2) + ["commune", "point"], dtype=object)
    order = np.random.default_rng(5).permutation(len(lon))
    straight = classify(index, policy, lon, lat, precision)
    shuffled = classify(index, policy, lon[order], lat[order], precision[order])
    for i, j in enumerate(order):
        assert verdict(shuffled, i).row == verdict(straight, j).row


def test_threads_sharing_one_index_get_the_answers_of_a_single_thread(current):
    """A batch job beside a request, or a threaded server: one index, several threads."""
    from concurrent.futures import ThreadPoolExecutor

    policy, index = current
    batches = [random_points_around_qpvs(index, seed, 3000) for seed in range(6)]

    def run(batch):
        lon, lat = batch
        result = classify(index, policy, lon, lat)
        distance = np.nan_to_num(np.round(result.distance, 3), nan=-1)  # NaN != NaN
        return result.category.tolist(), distance.tolist(), result.commune.tolist()

    alone = [run(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(run, batches))
    assert together == alone


def test_communes_are_named_as_the_official_list_names_them(current, reference_engine):
    policy, index = current
    with reference_engine.connect() as connection:
        official = dict(connection.execute(text("SELECT code, name FROM communes")).all())
        contours = dict(connection.execute(
            text("SELECT code, name FROM commune_contours WHERE kind = 'COM'")).all())
    renamed = sorted(code for code, name in contours.items()
                     if official.get(code) not in (None, name))
    assert renamed  # the contours drop the article: "Blanc" for Le Blanc
    names = dict(zip(index.communes.codes.tolist(), index.communes.names.tolist(), strict=True))
    assert [names[code] for code in renamed] == [official[code] for code in renamed]
    row = index.communes.codes.tolist().index(renamed[0])
    inside = shapely.point_on_surface(index.communes.geometries[row])
    found = verdict(classify(index, policy, np.array([inside.x]), np.array([inside.y])), 0).row
    assert found["commune_code"] == renamed[0]
    assert found["commune_name"] == official[renamed[0]]
    assert f"Commune : {official[renamed[0]]} (" in found["explanation"]
