"""The map builders: inspect the folium objects, then the HTML they render (no browser).

The laureates are the real ones, with the categories the engine gives them on the real
reference layers (``reference_engine``); asset URLs come from a stand-in for Flask's
``url_for``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html import escape

import folium
import pytest
from folium.plugins import Fullscreen, MarkerCluster

from geodata.display import short_name
from geodata.policy import CATEGORIES, CATEGORY_UNDETERMINED, load_policy
from geodata.storage.laureates import laureate_table
from maps.base import (
    FitBounds,
    LightMarker,
    MapAssetError,
    MapRegistry,
    SharedIcons,
    base_map,
    map_parts,
    marker_cluster,
)
from maps.basemap import Basemap
from maps.fabriques import OVERLAYS, Overlay, View, fabriques_map, popup_html
from maps.remote import RemoteGeoJson
from maps.tiles import TiledBasemap

pytestmark = pytest.mark.shared_data

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def asset_url(path: str) -> str:
    return f"/static/{path}"


OVERLAY_SET = [
    Overlay("departements", "/api/v1/couches/departements"),
    Overlay("qpv", "/api/v1/couches/qpv", params={"vintage": "2024"}, show=True),
    Overlay("densite", "/api/v1/couches/densite", min_zoom=9),
    Overlay("metropoles", "/api/v1/couches/metropoles"),
]


@pytest.fixture(scope="module")
def rows(reference_engine):
    return laureate_table(reference_engine, load_policy("current"))


def children(element, kind) -> list:
    return [child for child in element._children.values() if isinstance(child, kind)]


def cluster_of(m) -> MarkerCluster:
    (cluster,) = children(m, MarkerCluster)
    return cluster


def test_base_map_loads_leaflet_from_the_app_and_draws_no_tiles():
    m = base_map(asset_url, label="Carte d'essai", location=(46.5, 2.5), zoom_start=6)
    parts = map_parts(m)

    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in parts.header
    assert 'href="/static/vendor/leaflet/leaflet.css"' in parts.header
    assert not children(m, folium.TileLayer)
    assert 'aria-label="Carte d&#39;essai"' in parts.html and 'data-ready="false"' in parts.html
    for piece in (parts.header, parts.html, parts.script):
        assert "http://" not in piece and "https://" not in piece
    assert "jquery" not in parts.header.lower() and "bootstrap" not in parts.header.lower()
    # Per instance: folium's class-wide (CDN) defaults are left alone.
    assert folium.Map.default_js[0][1].startswith("https://")
    with pytest.raises(MapAssetError):
        base_map(asset_url, tiles="OpenStreetMap")


def test_marker_cluster_assets_are_local():
    m = base_map(asset_url)
    marker_cluster(asset_url).add_to(m)
    header = map_parts(m).header
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in header
    assert "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css" in header
    assert "cdnjs" not in header


def test_one_marker_per_located_fabrique_with_its_popup(rows):
    m = fabriques_map(asset_url, rows, OVERLAY_SET)
    markers = children(cluster_of(m), folium.Marker)
    located = [row for row in rows if row["lon"] is not None]

    assert 0 < len(located) < len(rows)  # Saint-Martin's Fabrique has no position
    assert len(markers) == len(located)
    by_id = {marker.options["fabrique"]: marker for marker in markers}
    assert set(by_id) == {row["id"] for row in located}
    icons = children(m, SharedIcons)[0]
    for row in located:
        marker = by_id[row["id"]]
        assert isinstance(marker, LightMarker)
        assert marker.location == [row["lat"], row["lon"]]
        assert marker.options["title"] == short_name(row["name"])  # decoded, short
        assert marker.options["icon"].js_code == icons.ref(row["category"]).js_code
        assert marker.popup_html == popup_html(row)
        assert escape(row["category_label"]) in marker.popup_html
        assert "non publiée" in marker.popup_html  # the list gives no wave


def test_popup_says_name_commune_wave_type_and_category():
    fabrique = {"id": "x", "name": "La Fabrique d'essai", "commune_name": "Digne-les-Bains",
                "commune_code": "04070", "wave": "2", "kind": "FNT",
                "category": CATEGORY_UNDETERMINED,
                "category_label": CATEGORIES[CATEGORY_UNDETERMINED], "precision": "commune"}
    html = popup_html(fabrique, "Règles actuelles")
    assert "La Fabrique d&#x27;essai" in html
    assert "<dd>Digne-les-Bains (04070)</dd>" in html
    assert "<dd>2</dd>" in html and "<dd>Fabrique Numérique de Territoire</dd>" in html
    assert "Catégorie (Règles actuelles)" in html
    assert "centre de sa commune" in html  # a centroid is said to be one
    assert "centre de sa commune" not in popup_html({**fabrique, "precision": "address"})


def test_rendered_map_names_every_fabrique_and_no_asset_from_elsewhere(rows):
    parts = map_parts(fabriques_map(asset_url, rows, OVERLAY_SET))
    urls = URL.findall(parts.header + parts.html)

    assert urls and all(url.startswith("/static/") for url in urls)
    for piece in (parts.header, parts.html, parts.script):
        assert "http://" not in piece and "https://" not in piece
    assert parts.script.count("L.marker(") == sum(row["lon"] is not None for row in rows)
    for row in rows[:25]:
        assert f'"fabrique": "{row["id"]}"' in parts.script
    assert "L.markerClusterGroup(" in parts.script
    assert "$(" not in parts.script  # no jQuery


def test_data_are_escaped_and_never_evaluated_as_templates():
    """Synthetic name: the property needs markup and template syntax in a value."""
    fabrique = {"id": "fabt-x", "name": "<script>alert(1)</script> {{ 7*7 }}",
                "commune_name": "Ici", "commune_code": "13055", "lon": 5.37, "lat": 43.3,
                "category": CATEGORY_UNDETERMINED,
                "category_label": CATEGORIES[CATEGORY_UNDETERMINED], "precision": "commune"}
    script = map_parts(fabriques_map(asset_url, [fabrique])).script

    assert "<script>" not in script and "</script>" not in script
    assert '"title": "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e {{ 7*7 }}"' in script


def test_overlays_are_fetched_by_view_never_embedded(rows):
    m = fabriques_map(asset_url, rows, OVERLAY_SET)
    overlays = {layer.key: layer for layer in children(m, RemoteGeoJson)}
    script = map_parts(m).script

    assert set(overlays) == {"departements", "qpv", "densite", "metropoles"}
    assert overlays["densite"].min_zoom == 9 and overlays["qpv"].params == {"vintage": "2024"}
    assert overlays["qpv"].show and not overlays["metropoles"].show
    assert not overlays["departements"].control and overlays["departements"].show
    assert '"coordinates"' not in script  # no geometry in the page: fetched by bbox
    assert script.count("function fabriquesRemoteGeoJson(") == 1
    (control,) = children(m, folium.LayerControl)
    assert set(control.overlays) == {OVERLAYS[key]["name"] for key in
                                     ("qpv", "densite", "metropoles")}
    (registry,) = children(m, MapRegistry)
    assert set(registry.layers) == set(overlays) and "cluster" in registry.objects
    assert 'window.fabriquesMaps = window.fabriquesMaps || {})["carte"]' in script


def test_the_communes_are_a_background_like_the_departements(rows):
    """Drawn from their zoom on, no choice in the control; the fallback of the tiles."""
    background = [Overlay("departements", "/api/v1/couches/departements"),
                  Overlay("communes", "/api/v1/couches/densite", min_zoom=9)]
    plain = fabriques_map(asset_url, rows, [*background, *OVERLAY_SET[1:]])
    layers = {layer.key: layer for layer in children(plain, RemoteGeoJson)}
    assert layers["communes"].show and layers["communes"].min_zoom == 9
    assert layers["communes"].settings["background"] and not layers["communes"].control
    assert not layers["qpv"].settings["background"]
    (control,) = children(plain, folium.LayerControl)
    assert OVERLAYS["communes"]["name"] not in control.overlays
    assert layers["communes"].settings["style"]["fill"] is False  # outlines only

    tiled = fabriques_map(asset_url, rows, background,
                          basemap=Basemap("https://tuiles.exemple.fr/{z}/{x}/{y}.png", "T"))
    fallback = {layer.key: layer for layer in children(tiled, RemoteGeoJson)}
    (tiles,) = children(tiled, TiledBasemap)
    assert tiles.fallback_names == [fallback[key].get_name() for key in
                                    ("departements", "communes")]
    assert not any(layer.show for layer in fallback.values())  # until a tile fails


def test_view_given_or_metropolitan_france_fitted(rows):
    fitted = fabriques_map(asset_url, rows)
    assert children(fitted, FitBounds)

    placed = fabriques_map(asset_url, rows, view=View(lat=43.3, lon=5.4, zoom=11))
    assert not children(placed, FitBounds)
    assert placed.location == [43.3, 5.4] and placed.options["zoom"] == 11


def test_unknown_category_or_layer_is_refused():
    row = {"id": "a", "name": "A", "lon": 1.0, "lat": 45.0, "category": "autre"}
    with pytest.raises(ValueError, match="catégories inconnues"):
        fabriques_map(asset_url, [row])
    with pytest.raises(ValueError, match="couche inconnue"):
        fabriques_map(asset_url, [], [Overlay("cadastre", "/x")])


def test_an_asset_from_a_cdn_is_refused():
    m = base_map(asset_url)
    Fullscreen().add_to(m)  # folium's plugin points at a CDN
    with pytest.raises(MapAssetError, match="https://"):
        map_parts(m)


@pytest.mark.parametrize("module", ["maps.base", "maps.fabriques", "maps.remote",
                                    "maps.vector"])
def test_builders_need_neither_flask_nor_a_database(module):
    code = f"import sys, {module}; print([m for m in ('flask', 'sqlalchemy') if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
