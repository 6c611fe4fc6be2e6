// The attestation's "Imprimer" button (no inline handler: the CSP refuses them).
(function () {
  var button = document.getElementById("imprimer");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
