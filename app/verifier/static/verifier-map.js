// The small map of a verdict: vector layers only (no tiles: nothing is fetched elsewhere).
(function () {
  var data = document.getElementById("carte-donnees");
  var container = document.getElementById("carte");
  if (!data || !container || !window.L) { return; }
  var styles = {
    commune: {color: "#666666", weight: 1, fill: false},
    band: {color: "#000091", weight: 2, dashArray: "6 4", fillOpacity: 0.05},
    qpv: {color: "#000091", weight: 2, fillOpacity: 0.3}
  };
  var map = L.map(container, {attributionControl: false});
  var layer = L.geoJSON(JSON.parse(data.textContent), {
    style: function (feature) { return styles[feature.properties.kind] || {}; },
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {radius: 7, color: "#ce0500", fillOpacity: 1});
    },
    onEachFeature: function (feature, item) { item.bindTooltip(feature.properties.label); }
  }).addTo(map);
  var focus = layer.getLayers().filter(function (item) {
    return item.feature.properties.kind !== "commune";
  });
  map.fitBounds(L.featureGroup(focus.length ? focus : layer.getLayers()).getBounds(),
                {padding: [20, 20], maxZoom: 17});
  container.setAttribute("data-ready", "true");
})();
