// The batch page: refuse a file over the size limit before sending it, and follow a job's
// progress by polling its small JSON state (while it waits for a free slot, the number of
// jobs before it); the page reloads when the job ends. Without JavaScript, the server still
// refuses big files and the job page refreshes itself. A count is said as the pages say it
// (francais.js, loaded before this script on the job's page).
(function () {
  "use strict";

  var form = document.getElementById("lot-formulaire");
  if (form && form.dataset.maxBytes) {
    var maxBytes = Number(form.dataset.maxBytes);
    var input = document.getElementById("fichier");
    var group = document.getElementById("fichier-groupe");
    var message = document.getElementById("fichier-erreur");
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file || file.size <= maxBytes) { return; }
      event.preventDefault();
      message.textContent = "Fichier trop volumineux\u00a0: " + form.dataset.maxLabel +
        " au plus. Découpez-le en plusieurs lots.";
      message.hidden = false;
      message.setAttribute("role", "alert");
      group.classList.add("fr-upload-group--error");
      input.setAttribute("aria-describedby", "fichier-aide fichier-erreur");
      input.focus();
    });
  }

  var result = document.getElementById("resultat");
  if (result && window.location.hash === "#resultat") { result.focus(); }

  var follow = document.getElementById("lot-suivi");
  if (!follow) { return; }
  var bar = document.getElementById("lot-progression");
  var text = document.getElementById("lot-progression-texte");
  var title = document.getElementById("suivi-titre");
  var waiting = document.getElementById("lot-attente");
  var waitingText = document.getElementById("lot-attente-texte");
  var groups = new Intl.NumberFormat("fr-FR");

  function show(element, said) {
    if (element.textContent !== said) { element.textContent = said; }
  }

  // Same words as the template's waiting_text macro.
  function waitingMessage(ahead) {
    return "En attente d'un emplacement libre\u00a0: " + (ahead ?
      francais.counted(ahead, "lot", "lots") + " en attente avant le vôtre." :
      "le traitement commencera dès qu'un lot en cours sera terminé.");
  }

  function poll() {
    fetch(follow.dataset.etatUrl, {headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { window.setTimeout(poll, 5000); return; }
        if (state.state !== "queued" && state.state !== "running") {
          window.location.replace(window.location.pathname + "#resultat");
          window.location.reload();
          return;
        }
        show(title, "Traitement " + state.label);
        if (waiting) {
          waiting.hidden = state.state !== "queued";
          if (!waiting.hidden) { show(waitingText, waitingMessage(state.ahead)); }
        }
        bar.max = state.rows_total;
        bar.value = state.rows_done;
        bar.textContent = state.rows_done + " sur " + state.rows_total;
        show(text, francais.counted(state.rows_done, "ligne traitée", "lignes traitées") + " sur " +
          groups.format(state.rows_total) + ".");
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
