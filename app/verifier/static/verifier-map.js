// The small map of a verdict: vector layers only (no tiles: nothing is fetched elsewhere).
// A picture (role="img", the table is its text): no zoom control nor keyboard handler, so
// nothing inside it can take the focus (axe-core's nested-interactive).
(function () {
  var data = document.getElementById("carte-donnees");
  var container = document.getElementById("carte");
  if (!data || !container || !window.L) { return; }
  var styles = {
    commune: {color: "#666666", weight: 2, fill: true, fillColor: "#ffffff", fillOpacity: 0.5},
    band: {color: "#000091", weight: 2, dashArray: "6 4", fillOpacity: 0.05},
    qpv: {color: "#000091", weight: 2, fillOpacity: 0.3}
  };
  var map = L.map(container, {
    attributionControl: false, zoomControl: false, keyboard: false, dragging: false,
    scrollWheelZoom: false, doubleClickZoom: false, touchZoom: false, boxZoom: false
  });
  container.removeAttribute("tabindex");
  var layer = L.geoJSON(JSON.parse(data.textContent), {
    style: function (feature) { return styles[feature.properties.kind] || {}; },
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {radius: 7, color: "#ce0500", fillOpacity: 1});
    },
    onEachFeature: function (feature, item) { item.bindTooltip(feature.properties.label); }
  }).addTo(map);
  // The QPV and its band with the location when there is one; else the commune around it.
  var focus = layer.getLayers().filter(function (item) {
    var kind = item.feature.properties.kind;
    return kind === "qpv" || kind === "band" || kind === "location";
  });
  var fitted = focus.length > 1 ? focus : layer.getLayers();
  map.fitBounds(L.featureGroup(fitted).getBounds(), {padding: [20, 20], maxZoom: 16});
  container.fabriquesMap = map;
  container.setAttribute("data-ready", "true");
})();
