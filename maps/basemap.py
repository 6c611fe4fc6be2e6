"""A tiled basemap under the maps, with the outline fallback of old when its tiles fail.

``Basemap`` is a tile source (an XYZ or WMTS-as-XYZ URL with ``{z}``, ``{x}``, ``{y}``) and
its attribution; ``basemap_from_settings`` reads one from the settings (``BASEMAP_URL``,
``BASEMAP_ATTRIBUTION``), None when the setting is empty or ``off``. The default is the
State's own basemap, IGN's Plan IGN v2 served by the Géoplateforme (no key needed).

``TiledBasemap`` adds the tiles to a map; on the first tile that fails to load (no network,
a server down, a Content-Security-Policy that refuses the host) it removes them and adds the
``fallback`` layers instead (the outlines of the départements), then fires
``basemap:fallback`` on the map. The container's ``data-basemap`` says what is drawn:
``tiles``, then ``fallback`` if it came to that; without a basemap, ``outlines``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from branca.element import Element
from folium.template import Template

from maps.base import _Prerendered

__all__ = ["IGN_PLAN_ATTRIBUTION", "IGN_PLAN_URL", "Basemap", "BasemapError", "TiledBasemap",
           "basemap_from_settings"]

IGN_PLAN_URL = ("https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM"
                "&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")
"""Plan IGN v2, WMTS in the Web Mercator tile matrix set (PM), read as XYZ tiles."""
IGN_PLAN_ATTRIBUTION = "© IGN – Plan IGN"
OFF = {"", "off", "none", "0", "false"}


class BasemapError(ValueError):
    """A basemap setting that is not a tile URL."""


@dataclass(frozen=True)
class Basemap:
    """A tile source: its URL template, attribution and deepest zoom."""

    url: str
    attribution: str
    max_zoom: int = 19

    @property
    def host(self) -> str:
        """``scheme://host[:port]``: the source the page's CSP must allow images from."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def basemap_from_settings(url: str | None, attribution: str | None) -> Basemap | None:
    """The basemap of the settings; None when ``url`` is empty or ``off``."""
    text = (url or "").strip()
    if text.casefold() in OFF:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BasemapError(f"BASEMAP_URL : une adresse http(s) de tuiles est attendue, pas "
                           f"{text!r}")
    missing = [key for key in ("{z}", "{x}", "{y}") if key not in text]
    if missing:
        raise BasemapError(f"BASEMAP_URL : il manque {', '.join(missing)} dans {text!r}")
    if not (attribution or "").strip():
        raise BasemapError("BASEMAP_ATTRIBUTION : l'attribution du fond de plan est "
                           "obligatoire")
    return Basemap(text, attribution.strip())


class TiledBasemap(_Prerendered):
    """The tiles of ``basemap`` under the map's layers; ``fallback`` layers (not added to the
    map) replace them as soon as one tile fails to load."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            (function (map, fallback) {
                var container = map.getContainer(), failed = false;
                var tiles = L.tileLayer({{ this.basemap.url|tojson }}, {
                    attribution: {{ this.basemap.attribution|tojson }},
                    maxZoom: {{ this.basemap.max_zoom }}, crossOrigin: false
                });
                container.setAttribute("data-basemap", "tiles");
                tiles.on("tileerror", function () {
                    if (failed) { return; }
                    failed = true;
                    map.removeLayer(tiles);
                    fallback.forEach(function (layer) { layer.addTo(map); });
                    container.setAttribute("data-basemap", "fallback");
                    map.fire("basemap:fallback");
                });
                tiles.addTo(map);
                map.fabriquesBasemap = tiles;
            })({{ this._parent.get_name() }}, [{{ this.fallback_names|join(", ") }}]);
        {% endmacro %}
    """)

    def __init__(self, basemap: Basemap, fallback: Sequence[Element] = ()):
        super().__init__()
        self._name = "TiledBasemap"
        self.basemap = basemap
        self.fallback = list(fallback)

    @property
    def fallback_names(self) -> list[str]:
        """The JavaScript names of the fallback layers (declared before this script)."""
        return [layer.get_name() for layer in self.fallback]
