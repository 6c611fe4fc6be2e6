"""The network map builder: inspect the folium objects, then the HTML they render.

The networks are real (real places and Fabriques, ``places_engine``); one test uses a
synthetic member whose name is hostile, and says so. Asset URLs come from a stand-in for
Flask's ``url_for``.
"""

from __future__ import annotations

import re

import folium
import pytest

from geodata.networks import Member, NetworkView
from geodata.storage.networks import network_for
from maps.base import MapRegistry, map_parts
from maps.networks import KIND_COLOURS, MAP_KEY, TextTooltip, member_class, network_map
from tests.networks_data import places_engine  # noqa: F401

pytestmark = pytest.mark.shared_data

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
CDN = re.compile(r"https?://|//cdn", re.IGNORECASE)


def asset_url(path: str) -> str:
    return f"/static/{path}"


def walk(element):
    yield element
    for child in element._children.values():
        yield from walk(child)


def of_type(m, kind) -> list:
    return [element for element in walk(m) if isinstance(element, kind)]


@pytest.fixture(scope="module")
def view(places_engine):  # noqa: F811
    return network_for(places_engine, "fabt-02", "distance", distance_m=10_000)


def test_one_layer_per_kind_with_one_circle_per_member(view):
    m = network_map(view, asset_url)
    groups = {g.layer_name: g for g in of_type(m, folium.FeatureGroup)}
    for kind, count in view.counts().items():
        label = next(name for name in groups if name.startswith(
            next(x.kind_label for x in view.members if x.kind == kind)))
        circles = of_type(groups[label], folium.CircleMarker)
        assert len(circles) == count
        assert {c.options["className"] for c in circles} == {member_class(kind)}
        assert {c.options["fillColor"] for c in circles} == {KIND_COLOURS[kind]}
    assert len(of_type(m, folium.CircleMarker)) == len(view.members) + 1  # + the Fabrique


def test_a_line_from_the_fabrique_to_each_member(view):
    m = network_map(view, asset_url)
    lines = of_type(m, folium.PolyLine)
    assert len(lines) == len(view.members)
    centre = [view.centre.lat, view.centre.lon]
    ends = sorted(tuple(line.locations[1]) for line in lines)
    assert all(line.locations[0] == centre for line in lines)
    assert ends == sorted((m_.lat, m_.lon) for m_ in view.members)
    fabrique = [c for c in of_type(m, folium.CircleMarker)
                if c.options["className"] == "fabriques-centre"]
    assert len(fabrique) == 1 and fabrique[0].location == centre


def test_the_registry_names_every_layer_and_the_fabrique(view):
    m = network_map(view, asset_url)
    registry = of_type(m, MapRegistry)[0]
    assert registry.key == MAP_KEY
    assert set(registry.layers) == {"liens", *view.counts()}
    assert registry.objects["fabrique"].options["className"] == "fabriques-centre"
    bounds = [e for e in walk(m) if type(e).__name__ == "FitBounds"]
    assert bounds, "la carte ne se cadre pas sur le réseau"


def test_rendered_html_loads_nothing_from_elsewhere(view):
    parts = map_parts(network_map(view, asset_url))
    urls = URL.findall(parts.header + parts.html)
    assert urls and all(url.startswith(("/static/vendor/leaflet/", "/static/leaflet-chemins"))
                        for url in urls)
    assert not CDN.search(parts.header + parts.html + parts.script)
    assert 'role="region"' in parts.html and "Le Hublot" in parts.html
    assert parts.script.count("L.circleMarker") == len(view.members) + 1
    assert parts.script.count("L.polyline") == len(view.members)
    for kind, count in view.counts().items():
        assert parts.script.count(f'"className": "{member_class(kind)}"') == count
    assert 'window.fabriquesMaps = window.fabriquesMaps || {})["reseau"]' in parts.script


def test_a_regional_network_has_no_centre_and_no_lines(view):
    regional = NetworkView(name="Réseau régional", rule="declared", centre=None,
                           members=tuple(
                               Member(**{**vars(m), "distance_m": None}) for m in view.members))
    m = network_map(regional, asset_url)
    assert of_type(m, folium.PolyLine) == []
    assert len(of_type(m, folium.CircleMarker)) == len(view.members)
    assert "objects: {\n                }" in map_parts(m).script.replace("\r", "")


def test_hostile_names_stay_text():
    """Synthetic member: a name that is HTML, a JavaScript template and a Jinja expression."""
    name = "<script>alert(1)</script> `${x}` {{ 7*7 }}"
    centre = Member("fabrique", "fabt-1", "Fabrique {{ 6*7 }}", "31555", "Toulouse", 1.44,
                    43.6, "commune", 0.0)
    member = Member("france-services", "1", name, "31555", "Toulouse", 1.45, 43.61,
                    "address", 1234.5)
    view = NetworkView("Essai {{ 5*5 }}", "distance", centre, (member,), distance_m=2000.0)
    m = network_map(view, asset_url)
    tooltips = of_type(m, TextTooltip)
    assert len(tooltips) == 2
    parts = map_parts(m)
    text = parts.html + parts.script
    assert "<script>alert" not in text and "\\u003cscript" not in text
    assert "\\u0026lt;script\\u0026gt;alert(1)" in text  # &lt;script&gt;, as JSON
    assert "7*7" in text and "6*7" in text  # not evaluated by Jinja...
    assert " 49" not in text and "Fabrique 42" not in text and "Essai 25" not in text
    assert "`$\\u0026#123;x\\u0026#125;`" in text  # ...nor by a JavaScript template
