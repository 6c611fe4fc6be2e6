// Choose the location by clicking on a map: fills the longitude and latitude fields.
// The basemap's tiles when the service has one (``data-fond``), else (or when a tile fails)
// the départements and, zoomed in, the communes, filled; the QPV of the rules chosen in the
// form over them, from the service's own layer endpoint. The fields stay the text equivalent.
(function () {
  var container = document.getElementById("choix-carte");
  if (!container || !window.L) { return; }
  var lon = document.getElementById("lon");
  var lat = document.getElementById("lat");
  var address = document.getElementById("address");
  var rules = document.getElementById("policy");
  var status = document.getElementById("choix-carte-etat");
  var layersUrl = container.getAttribute("data-couches");
  // The communes' outlines: the layer and zoom the public map's background uses too.
  var communes = container.getAttribute("data-couche-communes");
  var communesZoom = Number(container.getAttribute("data-zoom-communes"));
  var vintages = JSON.parse(container.getAttribute("data-millesimes") || "{}");
  var basemap = container.hasAttribute("data-fond")
    ? JSON.parse(container.getAttribute("data-fond")) : null;
  var map = L.map(container, {attributionControl: basemap !== null});
  container.fabriquesMap = map;  // for the browser test and for debugging
  var x = parseFloat((lon.value || "").replace(",", "."));
  var y = parseFloat((lat.value || "").replace(",", "."));
  var marker = null;
  // after a verdict the form is blank for another place: the view stays around the last one
  var centre = JSON.parse(container.getAttribute("data-centre") || "null");
  if (isFinite(x) && isFinite(y)) {
    map.setView([y, x], 13);
    marker = L.circleMarker([y, x], {radius: 7, color: "#ce0500", fillOpacity: 1}).addTo(map);
  } else if (centre) {
    map.setView([centre[1], centre[0]], 13);
  } else {
    map.fitBounds([[41.3, -5.2], [51.1, 9.6]]);  // metropolitan France
  }

  var FILLED = {color: "#666666", weight: 1, fillColor: "#ffffff", fillOpacity: 0.6};
  var OVER_TILES = {color: "#666666", weight: 1, fillOpacity: 0};
  var outlines = L.geoJSON(null, {
    style: basemap ? OVER_TILES : FILLED,
    onEachFeature: function (feature, item) {
      var p = feature.properties || {};
      if (p.name) { item.bindTooltip(p.name + (p.code ? " (" + p.code + ")" : "")); }
    }
  }).addTo(map);
  var qpv = L.geoJSON(null, {
    style: {color: "#000091", weight: 2, fillOpacity: 0.3},
    onEachFeature: function (feature, item) {
      var p = feature.properties || {};
      if (p.name) { item.bindTooltip("QPV " + (p.code ? p.code + " " : "") + p.name); }
    }
  }).addTo(map);
  container.setAttribute("data-basemap", basemap ? "tiles" : "outlines");
  if (basemap) {
    var tiles = L.tileLayer(basemap.url, {attribution: basemap.attribution,
                                          maxZoom: basemap.max_zoom}).addTo(map);
    tiles.on("tileerror", function () {  // the outlines, filled, as without tiles
      map.removeLayer(tiles);
      outlines.setStyle(FILLED);
      outlines.options.style = FILLED;
      container.setAttribute("data-basemap", "fallback");
    });
  }
  var pending = null;

  function layer(name, query) {
    return fetch(layersUrl.replace("__couche__", name) + query, {signal: pending.signal})
      .then(function (answer) {
        return answer.ok ? answer.json() : Promise.reject(new Error(String(answer.status)));
      });
  }

  function refresh() {
    var zoom = map.getZoom();
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return Math.max(-180, Math.min(180, v)).toFixed(4);
    });
    bbox[1] = Math.max(-85, bbox[1]); bbox[3] = Math.min(85, bbox[3]);
    var query = "?bbox=" + bbox.join(",") + "&zoom=" + zoom;
    var vintage = vintages[rules ? rules.value : ""];
    if (pending) { pending.abort(); }
    pending = new AbortController();
    Promise.all([
      layer(zoom >= communesZoom ? communes : "departements", query),
      // The QPV from the communes' scale on (further out, a blur of dots).
      zoom >= communesZoom && vintage ? layer("qpv", query + "&vintage=" + vintage) : null
    ]).then(function (data) {
      outlines.clearLayers();
      outlines.addData(data[0]);
      qpv.clearLayers();
      if (data[1]) { qpv.addData(data[1]); }
      if (marker) { marker.bringToFront(); }
      container.setAttribute("data-ready", "true");
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }  // a newer view asked again
      status.textContent = "Le fond de la carte (départements, communes, QPV) n'a pas pu être " +
        "chargé\u00a0: le serveur ne répond pas. Les champs longitude et latitude restent " +
        "utilisables\u202f; la carte sera redemandée au prochain déplacement.";
    });
  }

  // A click fills the fields only at a street's scale: at zoom 14 a pixel is about 7 m, at
  // zoom 4 some 7 km, which made a verdict for a point ten kilometres wide. Further out, a
  // click brings the view closer around the point: the commune's scale, then the street's.
  var CLICK_MIN_ZOOM = 14;
  var COMMUNE_ZOOM = 11;

  map.on("moveend", refresh);
  if (rules) { rules.addEventListener("change", refresh); }  // the QPV of the rules chosen
  map.on("click", function (event) {
    var zoom = map.getZoom();
    if (zoom < CLICK_MIN_ZOOM) {
      var closer = zoom < COMMUNE_ZOOM ? COMMUNE_ZOOM : CLICK_MIN_ZOOM;
      map.setView(event.latlng, closer);
      status.textContent = closer < CLICK_MIN_ZOOM
        ? "Vue rapprochée\u00a0: cliquez de nouveau près du lieu (un clic d'aussi loin ne désigne " +
          "pas un lieu précis)."
        : "Vue à l'échelle de la rue\u00a0: cliquez maintenant sur le lieu exact.";
      return;
    }
    var point = event.latlng.wrap();
    lon.value = point.lng.toFixed(6);
    lat.value = point.lat.toFixed(6);
    if (address) { address.value = ""; }
    if (marker) { marker.setLatLng(point); } else {
      marker = L.circleMarker(point, {radius: 7, color: "#ce0500", fillOpacity: 1}).addTo(map);
    }
    status.textContent = "Point choisi\u00a0: longitude " + lon.value + ", latitude " + lat.value +
      ". Appuyez sur «\u00a0Vérifier\u00a0».";
  });
  refresh();
})();
