"""A tiled basemap under a folium map, with the outline fallback of old when its tiles fail.

``TiledBasemap`` adds the tiles of a ``maps.basemap.Basemap`` to a map; on the first tile that
fails to load (no network, a server down, a Content-Security-Policy that refuses the host) it
removes them and adds the ``fallback`` layers instead (the outlines of the départements), then
fires ``basemap:fallback`` on the map. The container's ``data-basemap`` says what is drawn:
``tiles``, then ``fallback`` if it came to that; without a basemap, ``outlines``.
"""

from __future__ import annotations

from collections.abc import Sequence

from branca.element import Element
from folium.template import Template

from maps.base import _Prerendered
from maps.basemap import Basemap

__all__ = ["TiledBasemap"]


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
