// The public map of the Fabriques: filters drive the markers and the list together, the URL
// keeps the state (view, filters, layers) with history.replaceState, downloads follow the
// selection. The map itself (markers, overlays fetched by bounding box) is built by
// maps/fabriques.py and published as window.fabriquesMaps.carte.
(function () {
  "use strict";
  var registry = window.fabriquesMaps && window.fabriquesMaps.carte;
  var form = document.getElementById("carte-filtres");
  var table = document.getElementById("carte-liste");
  if (!registry || !form || !table) { return; }
  var map = registry.map, cluster = registry.objects.cluster, layers = registry.layers;
  var container = map.getContainer();
  var status = document.getElementById("carte-etat-couches");
  var count = document.getElementById("carte-compte");
  var extent = document.getElementById("carte-etendue");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var pageSize = Number(table.getAttribute("data-page-size")) || 50;
  var page = Number(table.getAttribute("data-page")) || 1, pages = 1;
  var pagesNav = document.getElementById("carte-pages");
  // Page parameter -> data attribute of a row (and API parameter of the downloads).
  var FILTERS = {vague: "wave", categorie: "category", region: "region",
                 departement: "departement", fnt: "fnt"};
  var markers = {};
  cluster.getLayers().forEach(function (marker) { markers[marker.options.fabrique] = marker; });

  function value(name) {
    var field = form.elements[name];
    return field ? field.value : "";
  }

  function matches(row) {
    return Object.keys(FILTERS).every(function (name) {
      var wanted = value(name);
      return !wanted || row.getAttribute("data-" + FILTERS[name]) === wanted;
    });
  }

  // The backgrounds (départements, communes when zoomed in) are no choice of the visitor.
  function toggleable() {
    return Object.keys(layers).filter(function (key) { return !layers[key].remote.background; });
  }

  function syncState() {
    var centre = map.getCenter();
    var view = {z: String(map.getZoom()), lat: centre.lat.toFixed(4), lon: centre.lng.toFixed(4)};
    Object.keys(view).forEach(function (name) { form.elements[name].value = view[name]; });
    form.elements.couches.value = toggleable().filter(function (key) {
      return map.hasLayer(layers[key]);
    }).join(",");
    var params = new URLSearchParams();
    form.elements.page.value = page > 1 ? String(page) : "";
    ["z", "lat", "lon", "politique", "qpv", "vague", "categorie", "region", "departement",
     "fnt", "recherche", "couches", "page"].forEach(function (name) {
      var current = value(name);
      if (current || name === "couches") { params.set(name, current); }
    });
    history.replaceState(null, "", window.location.pathname + "?" + params.toString());
    showPages();
    ["csv", "geojson"].forEach(function (kind) {
      var link = document.getElementById("carte-" + kind);
      var url = new URL(link.href, window.location.href);
      Object.keys(FILTERS).forEach(function (name) {
        if (value(name)) { url.searchParams.set(FILTERS[name], value(name)); }
        else { url.searchParams.delete(FILTERS[name]); }
      });
      link.href = url.pathname + url.search;
    });
  }

  // The list's pages: real links (?page=N with the rest of the state), followed here
  // without reloading; the server answers the same links without JavaScript.
  function pageLink(number) {
    var url = new URL(window.location.href);
    if (number > 1) { url.searchParams.set("page", String(number)); }
    else { url.searchParams.delete("page"); }
    return url.pathname + url.search;
  }

  function showPages() {
    if (!pagesNav) { return; }
    var list = pagesNav.querySelector("ul");
    list.innerHTML = "";
    function item(number, text, extra) {
      var li = document.createElement("li"), link = document.createElement("a");
      link.className = "fr-pagination__link" + (extra ? " " + extra : "");
      link.textContent = text;
      if (number < 1 || number > pages) {
        link.setAttribute("aria-disabled", "true");
        link.setAttribute("role", "link");
      } else {
        link.href = pageLink(number);
        link.setAttribute("data-page", String(number));
        if (number === page && !extra) { link.setAttribute("aria-current", "page"); }
        if (!extra) { link.title = "Page " + number; }
      }
      li.appendChild(link);
      list.appendChild(li);
    }
    item(page - 1, "Page précédente",
         "fr-pagination__link--prev fr-pagination__link--lg-label");
    for (var number = 1; number <= pages; number += 1) { item(number, String(number)); }
    item(page + 1, "Page suivante", "fr-pagination__link--next fr-pagination__link--lg-label");
    document.getElementById("carte-page-etat").textContent = "Page " + page + " sur " + pages +
      " (" + pageSize + " Fabriques par page)";
  }

  function apply(keepPage) {
    var bounds = extent && extent.checked ? map.getBounds() : null;
    var add = [], remove = [], found = [], unplaced = 0;
    rows.forEach(function (row) {
      var ok = matches(row), marker = markers[row.getAttribute("data-id")];
      if (ok && !marker) { unplaced += 1; }
      if (marker) {
        if (ok && !cluster.hasLayer(marker)) { add.push(marker); }
        if (!ok && cluster.hasLayer(marker)) { remove.push(marker); }
      }
      if (ok && (!bounds || (marker && bounds.contains(marker.getLatLng())))) {
        found.push(row);
      }
    });
    var listed = found.length;
    pages = Math.max(1, Math.ceil(listed / pageSize));
    page = keepPage === true ? Math.min(page, pages) : 1;
    var onPage = found.slice((page - 1) * pageSize, page * pageSize);
    rows.forEach(function (row) { row.hidden = onPage.indexOf(row) < 0; });
    if (remove.length) { cluster.removeLayers(remove); }
    if (add.length) { cluster.addLayers(add); }
    count.innerHTML = "";
    var strong = document.createElement("strong");
    // As the server writes it: the selection's Fabriques placed nowhere are listed (not
    // when only the displayed zone is), and said absent from the map.
    strong.textContent = francais.number(listed);
    count.appendChild(strong);
    count.appendChild(document.createTextNode(
      (listed > 1 ? " Fabriques" : " Fabrique") + " sur " + francais.number(rows.length) +
      (bounds ? ", dans la zone affichée" : "") +
      (unplaced && !bounds ? " (" + francais.counted(unplaced, "sans position connue, absente",
                                                      "sans position connue, absentes") +
       " de la carte)" : "") + "."));
    container.setAttribute("data-markers", String(Object.keys(markers).filter(function (id) {
      return cluster.hasLayer(markers[id]);
    }).length));
    syncState();
  }

  function showDepartements() {
    var region = value("region"), select = form.elements.departement;
    Array.prototype.forEach.call(select.options, function (option) {
      option.hidden = Boolean(region && option.value &&
                              option.getAttribute("data-region") !== region);
    });
    if (select.selectedOptions[0] && select.selectedOptions[0].hidden) { select.value = ""; }
  }

  // Layer messages (zoom in for the density grid, loading errors) and readiness.
  var messages = {};
  function say(key, text) {
    if (text) { messages[key] = text; } else { delete messages[key]; }
    status.textContent = Object.keys(messages).map(function (k) { return messages[k]; })
      .join(" ");
  }
  var pending = Object.keys(layers).filter(function (key) {
    var state = layers[key].remote.state;
    return map.hasLayer(layers[key]) && state !== "ready" && state !== "zoom";
  });
  function settled(key) {
    pending = pending.filter(function (k) { return k !== key; });
    if (!pending.length) { container.setAttribute("data-ready", "true"); }
  }
  Object.keys(layers).forEach(function (key) {
    var layer = layers[key], name = layer.remote.key;
    layer.on("remote:loading", function () { say(name, ""); });
    layer.on("remote:load", function () { say(name, ""); settled(key); });
    layer.on("remote:zoom", function () {
      if (!layer.remote.background) {
        say(name, name === "densite" ? "Zoomez pour afficher la grille de densité (zoom " +
            layer.remote.minZoom + " au moins)." : "Zoomez pour afficher cette couche.");
      }
      settled(key);
    });
    layer.on("remote:error", function (event) {
      say(name, "Couche indisponible\u00a0: " + event.message + ". Elle sera redemandée au " +
          "prochain déplacement de la carte.");
      container.setAttribute("data-ready", "error");
    });
    layer.on("remove", function () { say(name, ""); });
    // A layer may have failed before this script ran (a request refused at once).
    if (layer.remote.state === "error") { layer.fire("remote:error", {message: layer.remote.error}); }
  });

  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name === "politique") {  // applied by the form's button: a change does not reload
      document.getElementById("carte-politique-note").textContent =
        value("politique") === form.getAttribute("data-politique") ? "" :
        "Catégories à recalculer\u00a0: appuyez sur «\u00a0Appliquer les filtres\u00a0» (la page se recharge).";
      return;
    }
    if (name === "qpv" && layers.qpv) { layers.qpv.setParams({vintage: event.target.value}); }
    if (name === "region") { showDepartements(); }
    apply();
  });
  form.addEventListener("submit", function (event) {
    // Categories depend on the policy, a search on the server: they reload the page.
    var searching = event.submitter && event.submitter.value === "chercher";
    if (!searching && value("politique") === form.getAttribute("data-politique")) {
      event.preventDefault();
      apply();
    } else {
      syncState();
    }
  });
  map.on("moveend", function () {
    if (extent && extent.checked) { apply(); } else { syncState(); }
  });
  map.on("overlayadd overlayremove", syncState);

  // Only the markers and groups in view take the keyboard's focus: Leaflet.markercluster
  // keeps those of a screen around the view, and Tab went to Fabriques nobody could see.
  var markerPane = map.getPane("markerPane"), pendingFocus = false;
  function focusInView() {
    pendingFocus = false;
    var box = container.getBoundingClientRect();
    Array.prototype.forEach.call(markerPane.children, function (icon) {
      var at = icon.getBoundingClientRect();
      var seen = at.right > box.left && at.left < box.right && at.bottom > box.top &&
        at.top < box.bottom;
      icon.setAttribute("tabindex", seen ? "0" : "-1");
    });
  }
  function focusLater() {
    if (!pendingFocus) { pendingFocus = true; window.requestAnimationFrame(focusInView); }
  }
  map.on("moveend zoomend resize", focusLater);
  new MutationObserver(focusLater).observe(markerPane, {childList: true});
  focusLater();
  if (extent) {
    document.getElementById("carte-etendue-groupe").hidden = false;
    extent.addEventListener("change", apply);
  }
  document.querySelectorAll(".carte-territoires [data-bbox]").forEach(function (button) {
    button.addEventListener("click", function () {
      var b = button.getAttribute("data-bbox").split(",").map(Number);
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
      container.focus();
    });
  });
  table.addEventListener("click", function (event) {
    var button = event.target.closest(".carte-voir");
    var marker = button && markers[button.getAttribute("data-id")];
    if (!marker || !cluster.hasLayer(marker)) { return; }
    container.scrollIntoView({block: "center"});
    cluster.zoomToShowLayer(marker, function () {
      marker.openPopup();
      // The focus goes into the bubble (it stayed on the button, scrolled out of view, and
      // the bubble's « Voir la fiche » could not be reached); Escape closes it and brings
      // the focus back to the button.
      var bubble = marker.getPopup().getElement();
      var first = bubble &&
        bubble.querySelector(".leaflet-popup-content a, .leaflet-popup-content");
      if (!first) { return; }
      if (!first.matches("a")) { first.setAttribute("tabindex", "-1"); }
      first.focus({preventScroll: true});
      bubble.addEventListener("keydown", function (key) {
        if (key.key !== "Escape") { return; }
        marker.closePopup();
        button.focus({preventScroll: true});
        button.scrollIntoView({block: "center"});
      }, {once: true});
    });
  });

  if (pagesNav) {
    pagesNav.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-page]");
      if (!link) { return; }
      event.preventDefault();
      page = Number(link.getAttribute("data-page"));
      apply(true);
      // The links are rebuilt: the one followed is gone, and the focus fell to the page.
      // It goes to the list's heading, where the new page begins (its state is a status).
      var heading = document.getElementById("liste-titre");
      heading.focus({preventScroll: true});
      heading.scrollIntoView({block: "start"});
    });
  }

  showDepartements();
  apply(true);
  if (!pending.length) { container.setAttribute("data-ready", "true"); }
})();
