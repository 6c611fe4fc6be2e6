// The jury's session page: the quotas "after the selection" follow the dossiers ticked, as
// ranges: a dossier "à vérifier" (its category undetermined) widens the maximum of the lines
// it could fall in, never their minimum; one already published as a Fabrique takes its
// place (its category out, the dossier's in). Only a "lauréat" decision adds Fabriques.
// Without JavaScript the confirmation page gives the same figures, computed by the server.
// A line kept at the bottom of the screen counts the dossiers ticked and the quotas they
// make (francais.js, loaded before, says a count as the pages do).
(function () {
  "use strict";
  const table = document.querySelector("#quotas-jury[data-vivant]");
  const form = document.getElementById("jury-selection");
  if (!table || !form) { return; }
  const alerts = document.getElementById("jury-alertes");
  const alertsText = document.getElementById("jury-alertes-texte");
  const decision = form.querySelector("select[name=vers]");
  const UNDETERMINED = "a-verifier";
  const isFnt = (box) => box.dataset.fnt === "1";
  const mayBeFnt = (box) => box.dataset.fnt !== "0";
  const of = (category) => (box) => box.dataset.categorie === category;
  // An undetermined dossier may fall in the categories its known half leaves open
  // (data-possibles, from the server's geodata.eligibility.categories), else in any.
  const mayBe = (box, category) =>
    !box.dataset.possibles || box.dataset.possibles.split(" ").includes(category);
  const ofOrUndetermined = (category) => (box) => box.dataset.categorie === category ||
    (box.dataset.categorie === UNDETERMINED && mayBe(box, category));
  // For each line: [is surely in it, may be in it].
  const lines = {
    "qpv": [of("qpv"), ofOrUndetermined("qpv")],
    "fnt": [(b) => of("qpv")(b) && isFnt(b), (b) => ofOrUndetermined("qpv")(b) && mayBeFnt(b)],
    "hors-grands-centres-urbains": [of("hors-grands-centres-urbains"),
                                    ofOrUndetermined("hors-grands-centres-urbains")],
    "non-eligible": [of("non-eligible"), ofOrUndetermined("non-eligible")],
    "a-verifier": [of(UNDETERMINED), of(UNDETERMINED)],
    "total": [() => true, () => true],
    "vague": [() => true, () => true],
  };
  const summary = document.getElementById("jury-bilan");
  const SHORT = {"total": "total", "qpv": "en QPV ou à proximité",
                 "hors-grands-centres-urbains": "hors grands centres urbains"};
  const number = new Intl.NumberFormat("fr-FR");
  const range = (low, high) => low === high ? number.format(low)
    : "de " + number.format(low) + " à " + number.format(high);

  function update() {
    const adding = !decision || decision.value === "laureat";
    const ticked = adding ? Array.from(form.querySelectorAll("input[name=numero]:checked")) : [];
    // A dossier that is an already published Fabrique takes its place, as the server counts
    // it: the published Fabrique's category (and its wave's count) out, the dossier's in.
    const replaced = ticked.filter((box) => box.dataset.publiee).map((box) => ({
      dataset: {categorie: box.dataset.publieeCategorie, fnt: box.dataset.publieeFnt,
                vague: box.dataset.publieeVague, possibles: box.dataset.publieePossibles}}));
    const over = [];
    table.querySelectorAll("tbody tr[data-ligne]").forEach((row) => {
      const [surely, maybe] = lines[row.dataset.ligne] || [() => false, () => false];
      const before = row.querySelector("[data-min]");
      const gone = row.dataset.ligne === "vague"
        ? replaced.filter((fabrique) => fabrique.dataset.vague === "1") : replaced;
      const low = Number(before.dataset.min) + ticked.filter(surely).length
        - gone.filter(surely).length;
      const high = Number(before.dataset.max) + ticked.filter(maybe).length
        - gone.filter(maybe).length;
      const cell = row.querySelector(".jury-apres");
      cell.textContent = range(low, high);
      const target = cell.dataset.cible === "" ? null : Number(cell.dataset.cible);
      cell.classList.toggle("jury-depasse", target !== null && low > target);
      cell.classList.toggle("jury-peut-depasser", target !== null && low <= target && high > target);
      if (target !== null && high > target) {
        over.push(row.querySelector("th").textContent.trim() + "\u00a0: " + range(low, high) +
                  " pour une cible de " + number.format(target));
      }
    });
    if (summary) {
      const count = form.querySelectorAll("input[name=numero]:checked").length;
      const after = Object.keys(SHORT).map((key) => {
        const cell = table.querySelector("tr[data-ligne='" + key + "'] .jury-apres");
        return cell ? SHORT[key] + " " + cell.textContent : null;
      }).filter(Boolean);
      summary.hidden = false;
      summary.textContent = francais.counted(count, "dossier coché", "dossiers cochés") +
        (adding && count ? "\u202f; Fabriques après la sélection\u00a0: " + after.join(", ") : "") +
        (over.length ? "\u202f; au-delà des cibles\u00a0: " +
          francais.counted(over.length, "ligne", "lignes") : "") + ".";
    }
    alerts.hidden = over.length === 0;
    alertsText.textContent = over.length
      ? "Au-delà des cibles, ou peut-être (avertissement)\u00a0: " + over.join("\u202f; ") + "."
      : "";
  }

  form.addEventListener("change", update);
  update();
})();
