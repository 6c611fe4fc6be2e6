"""The coverage map builder on the real coverage (communes, contours, laureates): the folium
objects, then the HTML they render. Asset URLs come from a stand-in for ``url_for``."""

from __future__ import annotations

import re

import folium
import pytest
import shapely

from geodata.coverage import DepartementCoverage, by_departement, uncovered
from geodata.networks import FABRIQUE
from geodata.storage.networks import (
    commune_distances,
    commune_outlines,
    departement_shapes,
    place_layer,
)
from maps.base import MapRegistry, map_parts
from maps.coverage import MAP_KEY, SHARE_CLASSES, coverage_map, share_colour
from tests.maps.test_networks_map import CDN, URL, asset_url, of_type
from tests.support import assert_rfc7946

pytestmark = pytest.mark.shared_data

THRESHOLD = 20_000.0


@pytest.fixture(scope="module")
def data(reference_engine):
    distances = commune_distances(reference_engine, "contour")
    rows = by_departement(distances, THRESHOLD)
    shapes = departement_shapes(reference_engine)
    layer = place_layer(reference_engine)
    fabriques = [layer.member(int(r)) for r in range(len(layer)) if layer.kinds[r] == FABRIQUE]
    return distances, rows, shapes, fabriques


def national(data):
    distances, rows, shapes, fabriques = data
    return coverage_map(rows, THRESHOLD, asset_url, fabriques=fabriques,
                        centres={code: s.centre for code, s in shapes.items()},
                        detail_url=lambda code: f"/reseaux/couverture?departement={code}")


def test_share_colours_follow_the_classes():
    assert share_colour(0.0) == share_colour(0.05) == SHARE_CLASSES[-1][1]
    assert share_colour(0.1) == SHARE_CLASSES[2][1]
    assert share_colour(0.3) == SHARE_CLASSES[1][1]
    assert share_colour(0.5) == share_colour(1.0) == SHARE_CLASSES[0][1]
    assert share_colour(None) == SHARE_CLASSES[-1][1]


def test_national_view_one_circle_per_departement_with_people_far(data):
    distances, rows, shapes, fabriques = data
    m = national(data)
    registry = of_type(m, MapRegistry)[0]
    assert registry.key == MAP_KEY and set(registry.layers) == {"departements", "fabriques"}
    circles = of_type(registry.layers["departements"], folium.CircleMarker)
    expected = [row for row in rows if row.uncovered_population and row.code in shapes]
    assert len(circles) == len(expected) > 50
    by_place = {tuple(c.location): c for c in circles}
    for row in expected:
        lon, lat = shapes[row.code].centre
        circle = by_place[(lat, lon)]
        assert circle.options["fillColor"] == share_colour(row.share)
    largest = max(expected, key=lambda r: r.uncovered_population)
    lon, lat = shapes[largest.code].centre
    assert by_place[(lat, lon)].options["radius"] == max(c.options["radius"] for c in circles)
    dots = of_type(registry.layers["fabriques"], folium.CircleMarker)
    assert len(dots) == len(fabriques) == 381
    assert of_type(m, folium.Circle) == []  # radii only in the detail view


def test_detail_view_draws_the_uncovered_communes_and_nearby_fabriques(data, reference_engine):
    distances, rows, shapes, fabriques = data
    far = uncovered(distances, THRESHOLD, "15")
    communes = [{"code": distances.codes[p], "name": distances.names[p],
                 "population": int(distances.populations[p]),
                 "distance_m": float(distances.distances[p])} for p in far]
    own = distances.codes[distances.departements == "15"]
    outlines = commune_outlines(reference_engine, own)
    m = coverage_map(rows, THRESHOLD, asset_url, fabriques=fabriques, centres={},
                     communes=communes, outlines=outlines, bounds=shapes["15"].bounds)
    registry = of_type(m, MapRegistry)[0]
    layer = registry.layers["communes"]
    codes = [f["properties"]["code"] for f in layer.data["features"]]
    assert sorted(codes) == sorted(c["code"] for c in communes) and len(codes) == len(far)
    context = [g for g in of_type(m, folium.GeoJson) if g is not layer]
    assert len(context) == 1 and len(context[0].data["features"]) == len(outlines) - len(far)
    assert len(outlines) == len(own) - 4  # 4 communes of the Cantal have no contour
    for data in (layer.data, context[0].data):
        assert_rfc7946(data, polygons="MultiPolygon")
    assert shapely.coverage_is_valid(list(outlines.values()))  # simplified together
    dots = of_type(registry.layers["fabriques"], folium.CircleMarker)
    radii = of_type(registry.layers["fabriques"], folium.Circle)
    assert 0 < len(dots) < 40 and len(radii) == len(dots)
    assert {r.options["radius"] for r in radii} == {THRESHOLD}
    west, south, east, north = shapes["15"].bounds
    inside = [f for f in fabriques if west <= f.lon <= east and south <= f.lat <= north]
    assert {tuple(d.location) for d in dots} >= {(f.lat, f.lon) for f in inside}


def test_rendered_maps_load_nothing_from_elsewhere(data):
    parts = map_parts(national(data))
    urls = URL.findall(parts.header + parts.html)
    assert urls and all(url.startswith(("/static/vendor/leaflet/", "/static/leaflet-chemins"))
                        for url in urls)
    assert not CDN.search(parts.header + parts.html + parts.script)
    assert "population à plus de 20 km" in parts.html
    assert '"className": "fabriques-departement"' in parts.script
    assert "/reseaux/couverture?departement=15" in parts.script


def test_commune_labels_stay_text():
    """Synthetic commune: a name holding markup and a Jinja expression."""
    row = DepartementCoverage("99", "Essai", 1, 10, 1, 10, 0)
    commune = {"code": "99001", "name": "<b>{{ 7*7 }}</b>", "population": 10,
               "distance_m": 30_000.0}
    m = coverage_map([row], THRESHOLD, asset_url, centres={}, fabriques=[],
                     communes=[commune], outlines={"99001": shapely.box(1, 43, 1.1, 43.1)},
                     bounds=(1, 43, 1.1, 43.1))
    script = map_parts(m).script
    assert "7*7" in script and "\\u003cb\\u003e" not in script
    assert re.search(r"&lt;b&gt;&#123;&#123; 7\*7 &#125;&#125;", script.replace(
        "\\u0026", "&"))
