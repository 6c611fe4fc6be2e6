"""Folium maps whose scripts and styles are served by the application itself: never a CDN.

``base_map(asset_url, **options)`` builds a ``folium.Map`` without tiles (no tile server is
reachable offline: pages draw their own vector layers) whose Leaflet script and style come
from ``asset_url(path)``, a callable turning a path under the app's static folder
(``"vendor/leaflet/leaflet.js"``) into the URL the page uses. folium's extras (jQuery,
Bootstrap, Font Awesome, awesome-markers) are left out. The other builders keep to the same
rule:

- ``marker_cluster``: a ``MarkerCluster`` with Leaflet.markercluster served locally;
- ``LightMarker``: a marker and its popup in one statement (hundreds render quickly);
- ``HtmlPopup``: a popup from an HTML string, without jQuery;
- ``SharedIcons``: one ``L.divIcon`` per kind, declared once, referenced by the markers;
- ``FitBounds``: an initial view fitted without animation;
- ``MapRegistry``: hands the Leaflet objects to a page script;
- ``layer_control``: the list of layers, open on a computer, folded behind its button on a
  phone (open, it would hide the zoom buttons and most of a small map).

``map_parts`` renders a map into the three pieces a page template places (head, body,
script) and refuses any asset that is not the app's own. Rendered pieces stay text: folium
would compile each one as a Jinja template, slowly, and evaluate a ``{{`` found in the data.
``with_nonce`` gives the ``<style>`` and ``<script>`` elements of a rendered piece the
nonce of the page's Content-Security-Policy (the page knows it; a map does not).

``maps.remote.RemoteGeoJson`` adds overlays fetched by bounding box and zoom from an API.
Builders return objects, never HTML: views render them, tests inspect both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import folium
from branca.element import Element, Figure, MacroElement
from folium.plugins import MarkerCluster
from folium.template import Template
from folium.utilities import JsCode

__all__ = [
    "LEAFLET_CSS",
    "LEAFLET_JS",
    "MARKERCLUSTER_CSS",
    "MARKERCLUSTER_JS",
    "POPUP_OPTIONS",
    "AssetUrl",
    "FitBounds",
    "HtmlPopup",
    "LightMarker",
    "LocalMap",
    "MapAssetError",
    "MapParts",
    "MapRegistry",
    "SharedIcons",
    "base_map",
    "layer_control",
    "map_parts",
    "marker_cluster",
    "with_nonce",
]

AssetUrl = Callable[[str], str]
"""Turns a path under the app's static folder into the URL a page loads it from."""

LEAFLET_JS = (("leaflet", "vendor/leaflet/leaflet.js"), ("leaflet_chemins", "leaflet-chemins.js"))
"""Leaflet, then the shapes out of the Tab order (``app/static/leaflet-chemins.js``)."""
LEAFLET_CSS = (("leaflet_css", "vendor/leaflet/leaflet.css"),)
MARKERCLUSTER_JS = (("markerclusterjs",
                     "vendor/leaflet.markercluster/leaflet.markercluster.js"),)
MARKERCLUSTER_CSS = (
    ("markerclustercss", "vendor/leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", "vendor/leaflet.markercluster/MarkerCluster.Default.css"),
)
"""(name, static path) pairs; the names are folium's, so a local link replaces a CDN one."""

POPUP_OPTIONS = {"maxWidth": 320, "autoPanPaddingTopLeft": [56, 96], "autoPanPadding": [12, 12]}
"""Popups pan clear of the zoom control (top left) when they open."""

_ATTRIBUTE_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
_INLINE_OPENING = re.compile(r"<(script|style)\b(?![^>]*\bnonce=)", re.IGNORECASE)
_NONCE = re.compile(r"^[A-Za-z0-9+/_=-]+$")


class MapAssetError(ValueError):
    """A rendered map that would load a script, style or image from elsewhere."""


class _Rendered(Element):
    """Text already rendered. branca wraps each rendered piece in an ``Element`` built from a
    template string: compiled again per marker (slow), and a value holding ``{{`` would be
    evaluated by Jinja. This one is text, and stays text."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _Prerendered(MacroElement):
    """A ``MacroElement`` whose header, html and script macros land in the figure as text."""

    _first = False  # True: put the script first in the figure (declarations others use)

    def render(self, **kwargs):
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{self._name} n'est attaché à aucune figure folium")
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                where = {"index": 0} if self._first and part == "script" else {}
                getattr(figure, part).add_child(_Rendered(macro(self, kwargs)),
                                                name=self.get_name(), **where)
        for element in self._children.values():
            element.render(**kwargs)


def _local(asset_url: AssetUrl, assets: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, asset_url(path)) for name, path in assets]


class LocalMap(folium.Map):
    """A ``folium.Map`` with local Leaflet assets, an accessible container and no tiles.

    The container carries ``role="region"``, an ``aria-label`` and ``data-ready="false"``
    (a page script sets it to ``"true"`` once its data are drawn); its size is any CSS length.
    Unlike folium's own header, nothing here restyles the page's ``html`` and ``body``.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>
                #{{ this.get_name() }} {
                    position: relative;
                    width: {{ this.css_width }};
                    height: {{ this.css_height }};
                }
            </style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }} role="region"
                 aria-label="{{ this.label|e }}" data-ready="false"
                 data-basemap="outlines"></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{ this.options|tojavascript }}
                }
            );
            {%- if this.control_scale %}
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
    """)

    def __init__(self, asset_url: AssetUrl, label: str, width: str = "100%",
                 height: str = "32rem", min_zoom: int = 2, max_zoom: int = 18, **options):
        if options.pop("tiles", None) is not None:
            raise MapAssetError("pas de fond tuilé : aucun serveur de tuiles n'est joignable")
        super().__init__(tiles=None, **options)
        # folium gives these to its tile layer; without tiles the map itself needs them
        # (Leaflet.markercluster refuses a map without maxZoom).
        self.options.update(minZoom=min_zoom, maxZoom=max_zoom)
        self.label = label
        self.css_width, self.css_height = width, height
        # Per instance: folium's add_js_link would mutate the class-wide (CDN) lists.
        self.default_js = _local(asset_url, LEAFLET_JS)
        self.default_css = _local(asset_url, LEAFLET_CSS)


def base_map(asset_url: AssetUrl, **options) -> LocalMap:
    """A tile-less ``folium.Map`` whose Leaflet assets come from ``asset_url``.

    ``options``: ``label`` (the container's accessible name), ``width``/``height`` (CSS
    lengths), and any ``folium.Map`` argument (``location``, ``zoom_start``, ``min_zoom``...).
    """
    options.setdefault("label", "Carte")
    options.setdefault("control_scale", True)
    options.setdefault("attribution_control", False)
    return LocalMap(asset_url, **options)


NARROW_SCREEN = "(max-width: 48em)"
"""The DSFR's small screens (below its ``md`` breakpoint, 768 px)."""


LAYERS_BUTTON = "Couches de la carte"  # Leaflet's says « Layers »


class _LayersButtonNamed(MacroElement):
    """Names the button of its parent layer control in French, for sight and speech."""

    _template = Template("""
        {% macro script(this, kwargs) %}{{ this._parent.get_name() }}.getContainer()
            .querySelectorAll(".leaflet-control-layers-toggle").forEach(function (toggle) {
                toggle.setAttribute("title", {{ this.label|tojson }});
                toggle.setAttribute("aria-label", {{ this.label|tojson }});
            });
        {% endmacro %}
    """)

    def __init__(self, label: str):
        super().__init__()
        self.label = label


def layer_control(**options) -> folium.LayerControl:
    """Leaflet's layer control, open on wide screens and folded on narrow ones: decided by
    the browser when the map is drawn (a tap on its button opens it, a tap on the map folds
    it again); its button is named in French (``LAYERS_BUTTON``)."""
    control = folium.LayerControl(
        collapsed=JsCode(f"window.matchMedia({json.dumps(NARROW_SCREEN)}).matches"),
        **options)
    control.add_child(_LayersButtonNamed(LAYERS_BUTTON))
    return control


def marker_cluster(asset_url: AssetUrl, name: str | None = None, **options) -> MarkerCluster:
    """A ``MarkerCluster`` layer whose Leaflet.markercluster assets come from ``asset_url``."""
    cluster = MarkerCluster(name=name, **options)
    cluster.default_js = _local(asset_url, MARKERCLUSTER_JS)
    cluster.default_css = _local(asset_url, MARKERCLUSTER_CSS)
    return cluster


class FitBounds(_Prerendered):
    """Fit the map to ``bounds`` ([[south, west], [north, east]]) at once, without animation:
    layers added afterwards see the final view (an animated fit would make them fetch twice).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }},
                {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, bounds: Sequence[Sequence[float]], **options):
        super().__init__()
        self._name = "FitBounds"
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.options = {"animate": False, **options}  # Leaflet's: maxZoom, padding


class HtmlPopup(_Prerendered):
    """A popup bound to its parent layer, its HTML given as a string (no jQuery).

    ``html`` is inserted as is: the caller escapes what it puts in it.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }},
                {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, html: str, **options):
        super().__init__()
        self._name = "HtmlPopup"
        self.html = html
        self.options = {**POPUP_OPTIONS, **options}


class LightMarker(_Prerendered, folium.Marker):
    """A ``folium.Marker`` drawn in one statement: its popup (an HTML string, inserted as is)
    bound to it, its icon a JavaScript expression (``SharedIcons.ref``). No template is
    compiled per marker, so hundreds of them render in a blink; ``options`` are Leaflet's
    marker options (``title``, ``alt``, any key a page script reads back)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            L.marker({{ this.location|tojson }}, {{ this.options|tojavascript }})
            {%- if this.popup_html %}
                .bindPopup({{ this.popup_html|tojson }}, {{ this.popup_options|tojson }})
            {%- endif %}
                .addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, location: Sequence[float], popup_html: str | None = None,
                 icon: JsCode | None = None, **options):
        super().__init__(location, **options)
        self._name = "LightMarker"
        if icon is not None:
            self.options["icon"] = icon
        self.popup_html = popup_html
        self.popup_options = dict(POPUP_OPTIONS)


class SharedIcons(_Prerendered):
    """One ``L.divIcon`` per kind, declared first; markers point at them with ``ref(kind)``.

    ``icons`` maps a kind to its ``L.divIcon`` options (``className``, ``html``, ``iconSize``).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {
            {%- for kind, options in this.icons.items() %}
                {{ kind|tojson }}: L.divIcon({{ options|tojson }}),
            {%- endfor %}
            };
        {% endmacro %}
    """)

    def __init__(self, icons: Mapping[str, Mapping]):
        super().__init__()
        self._name = "SharedIcons"
        self.icons = {str(kind): dict(options) for kind, options in icons.items()}

    _first = True  # first in the script, whatever the order of addition: markers use them

    def ref(self, kind: str) -> JsCode:
        """The JavaScript expression of one kind's icon, for a marker's ``icon`` option."""
        if kind not in self.icons:
            raise KeyError(kind)
        return JsCode(f"{self.get_name()}[{json.dumps(kind)}]")


class MapRegistry(_Prerendered):
    """Publishes the map's Leaflet objects as ``window.fabriquesMaps[key]`` for page scripts.

    Add it last: ``layers`` and ``objects`` (name -> folium element) must be declared before.
    A ``fabriques:map`` event (``detail.key``) tells the page the objects are there.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            (window.fabriquesMaps = window.fabriquesMaps || {})[{{ this.key|tojson }}] = {
                map: {{ this._parent.get_name() }},
                layers: {
                {%- for name, element in this.layers.items() %}
                    {{ name|tojson }}: {{ element.get_name() }},
                {%- endfor %}
                },
                objects: {
                {%- for name, element in this.objects.items() %}
                    {{ name|tojson }}: {{ element.get_name() }},
                {%- endfor %}
                }
            };
            document.dispatchEvent(new CustomEvent("fabriques:map",
                {detail: {key: {{ this.key|tojson }}}}));
        {% endmacro %}
    """)

    def __init__(self, key: str, layers: Mapping[str, Element] | None = None,
                 objects: Mapping[str, Element] | None = None):
        super().__init__()
        self._name = "MapRegistry"
        self.key = key
        self.layers = dict(layers or {})
        self.objects = dict(objects or {})


@dataclass(frozen=True)
class MapParts:
    """A rendered map: ``header`` (links and styles for ``<head>``), ``html`` (the container)
    and ``script`` (the JavaScript to put in a ``<script>`` after the container)."""

    header: str
    html: str
    script: str


def map_parts(m: folium.Map) -> MapParts:
    """Render ``m`` for a page template; refuse any asset URL that is not the app's own."""
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("la carte n'est attachée à aucune figure folium")
    figure.header._children.pop("meta_http", None)  # the page declares its own charset
    figure.render()
    parts = MapParts(header=figure.header.render(), html=figure.html.render(),
                     script=figure.script.render())
    for text in (parts.header, parts.html):
        for url in _ATTRIBUTE_URL.findall(text):
            if _ABSOLUTE.match(url.strip()):
                raise MapAssetError(f"ressource hors du site refusée dans la carte : {url}")
    return parts


def with_nonce(fragment: str, nonce: str) -> str:
    """``fragment`` (a rendered piece of a map) whose ``<script>`` and ``<style>`` elements
    carry ``nonce``, so that a Content-Security-Policy without 'unsafe-inline' runs them."""
    if not _NONCE.match(nonce):
        raise ValueError(f"nonce invalide : {nonce!r}")
    return _INLINE_OPENING.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', fragment)
