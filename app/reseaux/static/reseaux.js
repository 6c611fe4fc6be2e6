// Networks and coverage maps: mark the container ready once folium's script has drawn it,
// with the number of markers drawn per layer (what the tables beside the map count).
document.addEventListener("fabriques:map", function (event) {
  var entry = (window.fabriquesMaps || {})[event.detail.key];
  if (!entry) { return; }
  var counts = {};
  Object.keys(entry.layers).forEach(function (name) {
    var layer = entry.layers[name];
    counts[name] = layer.getLayers ? layer.getLayers().length : 0;
  });
  var container = entry.map.getContainer();
  // Leaflet names the button of the folded list of layers in English.
  container.querySelectorAll(".leaflet-control-layers-toggle").forEach(function (toggle) {
    toggle.setAttribute("title", "Couches de la carte");
    toggle.setAttribute("aria-label", "Couches de la carte");
  });
  container.setAttribute("data-counts", JSON.stringify(counts));
  container.setAttribute("data-ready", "true");
});
