"""The public map of the Fabriques de Territoire: data in, ``folium.Map`` out.

``fabriques_map`` takes the laureates (plain mappings: id, name, commune, wave, kind,
category and its label, position and its precision) and the overlays to fetch from the API
by bounding box and zoom, and returns a map with: a light basemap of départements (and of
communes when zoomed in), one marker per located Fabrique in a ``MarkerCluster`` (an icon
per quota category, a popup with name, commune, wave, type and category), the toggleable
overlays (QPV of a vintage, density grid, métropoles) in a layer control, and a
``MapRegistry`` that hands all of it to the page script (``app/carte/static/carte.js``:
filters, list, URL state).

Nothing here reads a database or a request; assets come through ``asset_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from folium.utilities import JsCode

from geodata.display import decoded, short_name
from geodata.dossiers.records import KINDS
from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
)
from maps.base import (
    AssetUrl,
    FitBounds,
    LightMarker,
    LocalMap,
    MapRegistry,
    SharedIcons,
    base_map,
    layer_control,
    marker_cluster,
)
from maps.basemap import Basemap
from maps.remote import RemoteGeoJson
from maps.tiles import TiledBasemap

__all__ = [
    "CATEGORY_MARKS",
    "DENSITY_COLORS",
    "OVERLAYS",
    "REGISTRY_KEY",
    "Overlay",
    "View",
    "fabriques_map",
    "popup_html",
]

PageUrl = Callable[[str], str]
"""The address of a Fabrique's page from its id."""
HEIGHT = "clamp(18rem, calc(100vh - 19rem), 42rem)"
"""Map height: metropolitan France at zoom 6 on a desktop screen, and never taller than the
screen minus the header, so that the whole map is seen at first sight (a phone too)."""
REGISTRY_KEY = "carte"
"""``window.fabriquesMaps[REGISTRY_KEY]`` holds the map's Leaflet objects for carte.js."""

CATEGORY_MARKS = {
    CATEGORY_QPV: "Q",
    CATEGORY_OUTSIDE: "H",
    CATEGORY_NOT_ELIGIBLE: "N",
    CATEGORY_UNDETERMINED: "?",
}
"""The letter in each category's marker: the category never rests on colour alone."""

DENSITY_COLORS = {1: "#8c2d04", 2: "#cc4c02", 3: "#ec7014", 4: "#fe9929", 5: "#fec44f",
                  6: "#fee391", 7: "#ffffd4"}
"""Fill of the seven levels of INSEE's communal density grid, dense (1) to very sparse (7)."""

OVERLAYS = {
    "departements": {
        "name": "Départements", "control": False, "z_index": 200, "interactive": False,
        "style": {"color": "#929292", "weight": 0.8, "fillColor": "#ffffff", "fillOpacity": 1},
    },
    "communes": {
        "name": "Communes", "control": False, "z_index": 250, "interactive": False,
        "style": {"color": "#929292", "weight": 0.7, "dashArray": "3 3", "fill": False},
    },
    "densite": {
        "name": "Grille communale de densité", "z_index": 300,
        "style": {"color": "#666666", "weight": 0.3, "fillOpacity": 0.6},
        "color_property": "level", "colors": DENSITY_COLORS, "tooltip_property": "label",
    },
    "metropoles": {
        "name": "Métropoles", "z_index": 350, "tooltip_property": "label",
        "style": {"color": "#6a6af4", "weight": 2, "dashArray": "5 4", "fillColor": "#6a6af4",
                  "fillOpacity": 0.08},
    },
    "qpv": {
        "name": "Quartiers prioritaires (QPV)", "z_index": 400, "tooltip_property": "label",
        "style": {"color": "#000091", "weight": 1.5, "fillColor": "#000091",
                  "fillOpacity": 0.35},
    },
}
"""How each overlay the API serves is drawn and named (French: it is shown)."""

SEARCHED_ICON = JsCode('L.divIcon({className: "fabriques-lieu-cherche", iconSize: [22, 22], '
                       'iconAnchor: [11, 22], popupAnchor: [0, -20], '
                       'html: \'<span aria-hidden="true"></span>\'})')
"""The place searched for: a pin of its own, unlike any Fabrique or cluster."""

CLUSTER_ICON = """function (cluster) {
    var count = cluster.getChildCount();
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    return L.divIcon({
        html: '<div><span><span class="fr-sr-only">Groupe de </span>' + count +
              '<span class="fr-sr-only"> Fabriques : zoomer pour les voir</span></span></div>',
        className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40)});
}"""
"""Leaflet.markercluster's icon of a group of Fabriques, named for a screen reader: the
default one said only its number (« 12 »)."""

FRANCE = (-5.2, 41.3, 9.6, 51.1)
"""Metropolitan France (lon/lat), Corsica included: the first view fits it."""


@dataclass(frozen=True)
class Overlay:
    """An overlay of ``OVERLAYS`` served at ``url`` (``?bbox=&zoom=`` plus ``params``)."""

    key: str
    url: str
    min_zoom: int = 0
    params: Mapping[str, str] = field(default_factory=dict)
    show: bool = False


@dataclass(frozen=True)
class View:
    """A map view: centre (WGS84) and zoom."""

    lat: float
    lon: float
    zoom: int


def _or_unknown(value, unknown: str) -> str:
    return escape(str(value)) if value not in (None, "") else unknown


def popup_html(fabrique: Mapping, policy_title: str | None = None,
               page_url: PageUrl | None = None) -> str:
    """The popup of one Fabrique: its short name (the full text folded in a ``<details>``
    when it is longer), commune, wave, type, category, and the link to its page when
    ``page_url`` gives one (escaped HTML; entities of the source decoded first)."""
    full = " ".join(decoded(fabrique["name"]).split())
    short = short_name(full)
    commune = escape(fabrique.get("commune_name") or fabrique.get("commune_code") or "")
    if fabrique.get("commune_code"):
        commune += f" ({escape(fabrique['commune_code'])})"
    under = f" ({escape(policy_title)})" if policy_title else ""
    kind = KINDS.get(fabrique.get("kind"), fabrique.get("kind"))  # FT, FNT in words
    lines = [
        f'<p class="fabriques-popup__titre">{escape(short)}</p>',
        *([] if short == full else [
            '<details class="fabriques-popup__details"><summary>Description complète'
            f"</summary><p>{escape(full)}</p></details>"]),
        '<dl class="fabriques-popup__faits">',
        f"<dt>Commune</dt><dd>{commune}</dd>",
        f"<dt>Vague</dt><dd>{_or_unknown(fabrique.get('wave'), 'non publiée')}</dd>",
        f"<dt>Type</dt><dd>{_or_unknown(kind, 'FT ou FNT : non publié')}</dd>",
        f"<dt>Catégorie{under}</dt><dd>{escape(fabrique.get('category_label') or '')}</dd>",
        "</dl>",
    ]
    if fabrique.get("precision") in ("commune", "locality"):
        lines.append('<p class="fabriques-popup__note">Placée au centre de sa commune : '
                     "adresse non publiée.</p>")
    if page_url is not None:
        link = escape(page_url(fabrique["id"]))
        lines.append(f'<p class="fabriques-popup__lien"><a href="{link}">Voir la fiche de la '
                     "Fabrique</a></p>")
    return "".join(lines)


def _overlay(overlay: Overlay) -> RemoteGeoJson:
    look = dict(OVERLAYS[overlay.key])
    name = look.pop("name")
    control = look.pop("control", True)
    return RemoteGeoJson(overlay.url, name, overlay.key, min_zoom=overlay.min_zoom,
                         params=overlay.params, control=control,
                         show=overlay.show or not control, **look)


def _start(asset_url: AssetUrl, label: str, view: View | None,
           searched: tuple[float, float, str] | None,
           near: Sequence[tuple[float, float]]) -> LocalMap:
    """The map at its first view: the place searched for and the points near it, the view
    asked for, or metropolitan France."""
    if searched is not None:
        m = base_map(asset_url, label=label, location=searched[:2], zoom_start=10,
                     height=HEIGHT)
        points = [searched[:2], *near]
        m.add_child(FitBounds([[min(p[0] for p in points), min(p[1] for p in points)],
                               [max(p[0] for p in points), max(p[1] for p in points)]],
                              maxZoom=12, padding=[40, 40]))
    elif view is None:
        m = base_map(asset_url, label=label, location=((FRANCE[1] + FRANCE[3]) / 2,
                                                        (FRANCE[0] + FRANCE[2]) / 2),
                     zoom_start=6, height=HEIGHT)
        # Before any overlay: they fetch for the view they find when added.
        m.add_child(FitBounds([[FRANCE[1], FRANCE[0]], [FRANCE[3], FRANCE[2]]]))
    else:
        m = base_map(asset_url, label=label, location=(view.lat, view.lon),
                     zoom_start=view.zoom, height=HEIGHT)
    return m


def _searched_marker(searched: tuple[float, float, str]) -> LightMarker:
    """The pin of the place searched for (``fabriquesLieu``: a page script finds it)."""
    return LightMarker(
        searched[:2], f'<p class="fabriques-popup__titre">Lieu cherché</p><p>'
        f"{escape(searched[2])}</p>", SEARCHED_ICON, title=f"Lieu cherché : {searched[2]}",
        alt=f"Lieu cherché : {searched[2]}", zIndexOffset=1000, fabriquesLieu=True)


def fabriques_map(asset_url: AssetUrl, fabriques: Sequence[Mapping],
                  overlays: Sequence[Overlay] = (), view: View | None = None,
                  policy_title: str | None = None,
                  label: str = "Carte des Fabriques de Territoire",
                  page_url: PageUrl | None = None,
                  basemap: Basemap | None = None,
                  searched: tuple[float, float, str] | None = None,
                  near: Sequence[tuple[float, float]] = ()) -> LocalMap:
    """The public map: a marker per located Fabrique, clustered, and the overlays.

    ``fabriques``: mappings with ``id``, ``name``, ``lon``, ``lat`` (None when unknown: no
    marker), ``category`` (a key of ``CATEGORY_MARKS``), ``category_label``, and for the
    popup ``commune_name``, ``commune_code``, ``wave``, ``kind``, ``precision``. Without a
    ``view``, the map fits metropolitan France. The overlays without a control
    (``departements``, ``communes``) are its background; with a ``basemap``, its tiles replace
    them, and they come back if a tile fails to load. ``searched``
    (lat, lon, label) marks a place searched for, and the view fits it and the ``near``
    points (lat, lon) around it.
    """
    unknown = {f["category"] for f in fabriques} - set(CATEGORY_MARKS)
    if unknown:
        raise ValueError(f"catégories inconnues : {sorted(unknown)}")
    m = _start(asset_url, label, view, searched, near)
    icons = SharedIcons({
        category: {"className": f"fabriques-marqueur fabriques-marqueur--{category}",
                   "html": f'<span aria-hidden="true">{mark}</span>', "iconSize": [24, 24],
                   "iconAnchor": [12, 12], "popupAnchor": [0, -10]}
        for category, mark in CATEGORY_MARKS.items()
    })
    m.add_child(icons)
    layers = {}
    for overlay in overlays:
        if overlay.key not in OVERLAYS:
            raise ValueError(f"couche inconnue : {overlay.key!r}")
        layer = _overlay(overlay)
        if basemap is not None and not layer.control:
            layer.show = False  # the fallback of the tiles: added if they fail
        layers[overlay.key] = layer.add_to(m)
    if basemap is not None:
        m.options["attributionControl"] = True
        m.add_child(TiledBasemap(basemap, [layer for layer in layers.values()
                                           if not layer.control]))
    cluster = marker_cluster(asset_url, name="Fabriques de Territoire", control=False,
                             show_coverage_on_hover=False, chunked_loading=True,
                             icon_create_function=CLUSTER_ICON)
    for fabrique in fabriques:
        if fabrique.get("lat") is None or fabrique.get("lon") is None:
            continue
        cluster.add_child(LightMarker(
            (fabrique["lat"], fabrique["lon"]), popup_html(fabrique, policy_title, page_url),
            icons.ref(fabrique["category"]), title=short_name(fabrique["name"]),
            alt=short_name(fabrique["name"]), fabrique=fabrique["id"]))
    cluster.add_to(m)
    if searched is not None:
        _searched_marker(searched).add_to(m)
    if any(layer.control for layer in layers.values()):
        layer_control(position="topright").add_to(m)  # folded on a phone: it hid the map
    m.add_child(MapRegistry(REGISTRY_KEY, layers=layers,
                            objects={"cluster": cluster, "icons": icons}))
    return m
