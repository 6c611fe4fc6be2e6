"""Overlays fetched from the API by bounding box and zoom, never embedded in the page.

``RemoteGeoJson`` is a folium layer whose Leaflet side (``REMOTE_GEOJSON_JS``, added once
per page) asks ``url?bbox=W,S,E,N&zoom=Z[&params]`` for what the view shows whenever the
map moves, draws the answer in its own pane (so that overlays keep their order whatever
is switched on first), and tells the page how it went (``remote:loading``, ``remote:load``,
``remote:zoom`` below its minimum zoom, ``remote:error``).
"""

from __future__ import annotations

from collections.abc import Mapping

from branca.element import Element, Figure
from folium.map import Layer
from folium.template import Template

__all__ = ["REMOTE_GEOJSON_JS", "RemoteGeoJson"]

REMOTE_GEOJSON_JS = """
function fabriquesRemoteGeoJson(url, settings) {
  var Remote = window.FabriquesRemoteGeoJSON || (window.FabriquesRemoteGeoJSON =
    L.GeoJSON.extend({
      onAdd: function (map) {
        var pane = this.options.pane;
        if (pane && !map.getPane(pane)) {
          map.createPane(pane).style.zIndex = String(this.remote.zIndex || 400);
        }
        L.GeoJSON.prototype.onAdd.call(this, map);
        map.on("moveend", this.refresh, this);
        this.refresh();
      },
      onRemove: function (map) {
        map.off("moveend", this.refresh, this);
        this.remote.request += 1;
        this.remote.state = "off";
        this.clearLayers();
        L.GeoJSON.prototype.onRemove.call(this, map);
      },
      setParams: function (params) {
        Object.assign(this.remote.params, params);
        this.refresh();
      },
      refresh: function () {
        var map = this._map, remote = this.remote, self = this;
        if (!map) { return; }
        var zoom = Math.round(map.getZoom()), token = (remote.request += 1);
        if (zoom < remote.minZoom) {
          this.clearLayers();
          remote.state = "zoom";
          this.fire("remote:zoom", {minZoom: remote.minZoom});
          return;
        }
        var b = map.getBounds();
        var clamp = function (value, low, high) { return Math.min(high, Math.max(low, value)); };
        var bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
                    clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
          .map(function (value) { return value.toFixed(4); }).join(",");
        var query = new URLSearchParams(remote.params);
        query.set("bbox", bbox);
        query.set("zoom", String(zoom));
        remote.state = "loading";
        this.fire("remote:loading");
        fetch(remote.url + (remote.url.indexOf("?") < 0 ? "?" : "&") + query.toString())
          .then(function (response) {
            // Said in French whatever failed: the browser's « Failed to fetch » or a proxy's
            // page that is not JSON (« Unexpected token ») were shown as they were.
            return response.json().catch(function () { return null; }).then(function (body) {
              if (!response.ok || body === null) {
                throw new Error(body && body.error ? body.error.message
                                : "le serveur a répondu autre chose que la couche (" +
                                  response.status + ")");
              }
              return body;
            });
          }, function () {
            throw new Error("le serveur ne répond pas (connexion coupée ?)");
          })
          .then(function (data) {
            if (token !== remote.request) { return; }
            self.clearLayers();
            self.addData(data);
            remote.state = "ready";
            self.fire("remote:load", {count: data.features.length});
          })
          .catch(function (error) {
            if (token !== remote.request) { return; }
            remote.state = "error";
            remote.error = error.message;  // for a listener that comes after the failure
            self.fire("remote:error", {message: error.message});
          });
      }
    }));
  var base = settings.style || {};
  var layer = new Remote(null, {
    pane: settings.pane || undefined,
    interactive: settings.interactive !== false,
    style: function (feature) {
      var style = Object.assign({}, base);
      if (settings.colorProperty) {
        var color = settings.colors[String(feature.properties[settings.colorProperty])];
        if (color) { style.fillColor = color; }
      }
      return style;
    },
    onEachFeature: function (feature, item) {
      var label = settings.tooltipProperty && feature.properties[settings.tooltipProperty];
      if (label) { item.bindTooltip(String(label), {sticky: true}); }
    }
  });
  layer.remote = {url: url, params: Object.assign({}, settings.params || {}),
                  minZoom: settings.minZoom || 0, zIndex: settings.zIndex, state: "idle",
                  request: 0, key: settings.key, background: Boolean(settings.background)};
  return layer;
}
"""
"""The client side of ``RemoteGeoJson``, added once to a page's map script."""


class RemoteGeoJson(Layer):
    """An overlay fetched from ``url?bbox=W,S,E,N&zoom=Z[&params]`` whenever the map moves.

    Nothing is embedded in the page: the layer asks the API for what the view shows, at the
    view's zoom. Below ``min_zoom`` it draws nothing and fires ``remote:zoom``; it fires
    ``remote:load`` (with ``count``) once drawn and ``remote:error`` on failure.
    ``style`` is a Leaflet path style; ``color_property``/``colors`` fill each feature by one
    of its properties; ``tooltip_property`` names the property shown on hover. A layer
    without ``control`` is a background: ``remote.background`` says so to the page.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = fabriquesRemoteGeoJson({{ this.url|tojson }},
                {{ this.settings|tojson }});
        {% endmacro %}
    """)

    def __init__(self, url: str, name: str, key: str, *, min_zoom: int = 0,
                 params: Mapping[str, str] | None = None, style: Mapping | None = None,
                 color_property: str | None = None, colors: Mapping | None = None,
                 tooltip_property: str | None = None, z_index: int = 400,
                 interactive: bool = True, overlay: bool = True, control: bool = True,
                 show: bool = True):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "RemoteGeoJson"
        self.url, self.key, self.min_zoom = url, key, min_zoom
        self.params = dict(params or {})
        self.settings = {
            "key": key, "minZoom": min_zoom, "params": self.params, "style": dict(style or {}),
            "colorProperty": color_property,
            "colors": {str(k): v for k, v in (colors or {}).items()},
            "tooltipProperty": tooltip_property, "pane": f"fabriques-{key}",
            "zIndex": z_index, "interactive": interactive, "background": not control,
        }

    def render(self, **kwargs):
        figure = self.get_root()
        if isinstance(figure, Figure):
            figure.script.add_child(Element(REMOTE_GEOJSON_JS), name="fabriques_remote_geojson",
                                    index=0)
        super().render(**kwargs)
