/* Leaflet 1.9 listens to the focus of every shape that has a tooltip (to open it on focus),
   and Chromium then puts each such shape in the Tab order: hundreds of stops on a map of
   départements or QPV, most of them invisible at the zoom shown (RGAA 12.8, WCAG 2.4.3).
   Every map of the service has its list or table (the verdict's measures, the Fabriques'
   list, the coverage table): the shapes leave the Tab order, the map itself keeps the focus
   (arrows pan, + and - zoom). Loaded right after leaflet.js. */
L.Path.addInitHook(function () {
  this.on("add", function () {
    var element = this.getElement && this.getElement();
    if (element) { element.setAttribute("tabindex", "-1"); }
  });
});

/* Leaflet's own words in French: the zoom buttons' titles (read by screen readers) and the
   attribution's link, which said « Zoom in », « Zoom out » and « A JavaScript library for
   interactive maps » on every map. */
L.Control.Zoom.prototype.options.zoomInTitle = "Zoom avant";
L.Control.Zoom.prototype.options.zoomOutTitle = "Zoom arrière";
L.Control.Attribution.prototype.options.prefix =
  '<a href="https://leafletjs.com" title="Bibliothèque JavaScript de cartes interactives">' +
  "Leaflet</a>";
