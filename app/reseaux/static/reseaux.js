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
  container.setAttribute("data-counts", JSON.stringify(counts));
  container.setAttribute("data-ready", "true");
});
