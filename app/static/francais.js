// French as the pages' scripts write it, the same as the templates: a count and its words,
// singular for 0 and 1 (the pages' |accord, geodata.french.agreed), « 1 lot », « 3 lots ».
// Loaded before the scripts that use it (lot.js, jury.js, carte.js).
var francais = (function () {
  "use strict";
  var groups = new Intl.NumberFormat("fr-FR");
  return {
    number: function (count) { return groups.format(count); },
    counted: function (count, one, many) {
      return groups.format(count) + " " + (Math.abs(count) < 2 ? one : many);
    },
  };
})();
