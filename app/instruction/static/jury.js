// The jury's session page: the quotas "after the selection" follow the dossiers ticked.
// Only a "lauréat" decision adds Fabriques; a refusal leaves the quotas as they are.
// Without JavaScript the confirmation page gives the same figures, computed by the server.
(function () {
  "use strict";
  const table = document.querySelector("#quotas-jury[data-vivant]");
  const form = document.getElementById("jury-selection");
  if (!table || !form) { return; }
  const alerts = document.getElementById("jury-alertes");
  const alertsText = document.getElementById("jury-alertes-texte");
  const decision = form.querySelector("select[name=vers]");
  const inLine = {
    "qpv": (box) => box.dataset.categorie === "qpv",
    "fnt": (box) => box.dataset.categorie === "qpv" && box.dataset.fnt === "1",
    "hors-grands-centres-urbains": (box) => box.dataset.categorie === "hors-grands-centres-urbains",
    "non-eligible": (box) => box.dataset.categorie === "non-eligible",
    "a-verifier": (box) => box.dataset.categorie === "a-verifier",
    "total": () => true,
    "vague": () => true,
  };
  const number = new Intl.NumberFormat("fr-FR");

  function update() {
    const adding = !decision || decision.value === "laureat";
    const ticked = adding ? Array.from(form.querySelectorAll("input[name=numero]:checked")) : [];
    const over = [];
    table.querySelectorAll("tbody tr[data-ligne]").forEach((row) => {
      const test = inLine[row.dataset.ligne];
      const before = Number(row.querySelector("[data-avant]").dataset.avant);
      const cell = row.querySelector(".jury-apres");
      const after = before + (test ? ticked.filter(test).length : 0);
      cell.textContent = number.format(after);
      const target = cell.dataset.cible === "" ? null : Number(cell.dataset.cible);
      const beyond = target !== null && after > target;
      cell.classList.toggle("jury-depasse", beyond);
      if (beyond) {
        over.push(row.querySelector("th").textContent.trim() + " : " + number.format(after) +
                  " pour une cible de " + number.format(target));
      }
    });
    alerts.hidden = over.length === 0;
    alertsText.textContent = over.length ? "Au-delà des cibles (avertissement) : " + over.join(" ; ") + "." : "";
  }

  form.addEventListener("change", update);
  update();
})();
