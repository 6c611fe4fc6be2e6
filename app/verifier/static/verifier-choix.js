// Choose the location by clicking on a map: fills the longitude and latitude fields.
// No tiles exist offline: the map draws the départements (and communes when zoomed in)
// from the service's own layer endpoint. The fields stay the text equivalent.
(function () {
  var container = document.getElementById("choix-carte");
  if (!container || !window.L) { return; }
  var lon = document.getElementById("lon");
  var lat = document.getElementById("lat");
  var address = document.getElementById("address");
  var status = document.getElementById("choix-carte-etat");
  var layersUrl = container.getAttribute("data-couches");
  // The communes' outlines: the layer and zoom the public map's background uses too.
  var communes = container.getAttribute("data-couche-communes");
  var communesZoom = Number(container.getAttribute("data-zoom-communes"));
  var map = L.map(container, {attributionControl: false});
  container.fabriquesMap = map;  // for the browser test and for debugging
  var x = parseFloat((lon.value || "").replace(",", "."));
  var y = parseFloat((lat.value || "").replace(",", "."));
  var marker = null;
  if (isFinite(x) && isFinite(y)) {
    map.setView([y, x], 13);
    marker = L.circleMarker([y, x], {radius: 7, color: "#ce0500", fillOpacity: 1}).addTo(map);
  } else {
    map.fitBounds([[41.3, -5.2], [51.1, 9.6]]);  // metropolitan France
  }

  var outlines = L.geoJSON(null, {
    style: {color: "#666666", weight: 1, fillColor: "#ffffff", fillOpacity: 0.6},
    onEachFeature: function (feature, item) {
      var p = feature.properties || {};
      if (p.name) { item.bindTooltip(p.name + (p.code ? " (" + p.code + ")" : "")); }
    }
  }).addTo(map);
  var pending = null;

  function refresh() {
    var zoom = map.getZoom();
    var layer = zoom >= communesZoom ? communes : "departements";
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return Math.max(-180, Math.min(180, v)).toFixed(4);
    });
    bbox[1] = Math.max(-85, bbox[1]); bbox[3] = Math.min(85, bbox[3]);
    var url = layersUrl.replace("__couche__", layer) + "?bbox=" + bbox.join(",") + "&zoom=" + zoom;
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, {signal: pending.signal}).then(function (answer) {
      return answer.ok ? answer.json() : {type: "FeatureCollection", features: []};
    }).then(function (data) {
      outlines.clearLayers();
      outlines.addData(data);
      if (marker) { marker.bringToFront(); }
      container.setAttribute("data-ready", "true");
    }).catch(function () { /* aborted by a newer view */ });
  }

  map.on("moveend", refresh);
  map.on("click", function (event) {
    var point = event.latlng.wrap();
    lon.value = point.lng.toFixed(6);
    lat.value = point.lat.toFixed(6);
    if (address) { address.value = ""; }
    if (marker) { marker.setLatLng(point); } else {
      marker = L.circleMarker(point, {radius: 7, color: "#ce0500", fillOpacity: 1}).addTo(map);
    }
    status.textContent = "Point choisi : longitude " + lon.value + ", latitude " + lat.value +
      ". Appuyez sur « Vérifier ».";
  });
  refresh();
})();
