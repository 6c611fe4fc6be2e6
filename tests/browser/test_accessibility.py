"""axe-core over every page in Debian's Chromium: no violation of impact "serious" or
"critical" (the others are printed); and every page reflows at 320 CSS pixels wide (WCAG
1.4.10: no sideways scrolling).

axe-core is an npm devDependency (``make assets`` installs it in ``node_modules``): the test
serves ``axe.min.js`` itself, under a made-up path of the live server (so that the page's
Content-Security-Policy, ``script-src 'self'``, lets it run), never from a CDN and never
from the app's static files.

Two servers: the session's ``reference_engine`` (the real layers and laureates; an admin
account made for the test, every page opens to it) and, for the dossiers and the jury, an
embedded database with the hand-made wave of ``tests/data/dossiers`` (three of its dossiers
at the jury), as in ``test_jury_page.py``. Pages reached by a form (the jury's confirmation,
an import's report, a batch job still running) are audited where the form leads. Nothing
leaves 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import follow, log_in, served
from tests.browser.test_batch_page import ADDRESSES
from tests.browser.test_history_first_screen import MINISTRY, history_server  # noqa: F401
from tests.browser.test_jury_page import MARSEILLE, jury_wave_app
from tests.loaders.test_dossiers_import import WAVE
from tests.support import temporary_account, unavailable

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"  # answered by the test's route, never by the app
BLOCKING = ("serious", "critical")
MAP_READY = "[data-ready='true']"
SIZES = {"ordinateur": None, "telephone": {"width": 390, "height": 844}}  # None: 1280×1800

# id: (path, a selector that appears once the page's scripts have run, or None)
REFERENCE_PAGES = {
    "accueil": ("/", None),
    "donnees": ("/donnees", None),
    "aide": ("/aide", None),
    "accessibilite": ("/accessibilite", None),
    "verifier-verdict": ("/verifier?lon=5.4034&lat=43.3305", "#carte" + MAP_READY),
    # « à vérifier »: its words linked to the glossary, its « Que faire »
    "verifier-a-verifier": ("/verifier?lon=1.4205&lat=43.5825", "#carte" + MAP_READY),
    "lot": ("/verifier/lot", None),
    "carte": ("/carte", ".folium-map" + MAP_READY),
    "reseaux": ("/reseaux?fabrique=fabt-12&rule=distance&distance_km=12",
                ".folium-map" + MAP_READY),
    "fabrique": ("/fabriques/fabt-12", None),
    "couverture": ("/reseaux/couverture?distance_km=20", ".folium-map" + MAP_READY),
    "couverture-departement": ("/reseaux/couverture?distance_km=20&departement=15",
                               ".folium-map" + MAP_READY),
    "attestation": ("/verifier/attestation?lon=5.4034&lat=43.3305&dossier=FT-2026-042"
                    "&projet=La+Fabrique+du+Grand+Saint-Barth%C3%A9l%C3%A9my", None),
    "historique": ("/instruction/historique", None),
    "tableau-de-bord": ("/tableau-de-bord", None),
}
WAVE_PAGES = {
    "dossiers": ("/instruction/dossiers?vague=2", None),
    "dossier": ("/instruction/dossiers/1234505", "#carte" + MAP_READY),
    "jury": ("/instruction/jury", None),
    "dossiers-import": ("/instruction/dossiers/import", None),
}
KNOWN = {}  # "page@size": the reason a violation is left for now (an xfail, strict)


def cases(names) -> list:
    """Each page at each size (``SIZES``), an xfail (strict) where ``KNOWN`` says so."""
    return [pytest.param(name, size, id=f"{name}@{size}", marks=[
        pytest.mark.xfail(strict=True, reason=KNOWN[f"{name}@{size}"])]
        if f"{name}@{size}" in KNOWN else []) for name in names for size in SIZES]


@pytest.fixture
def live_config() -> dict:
    return {"SESSION_COOKIE_SECURE": False}  # the live server speaks plain http


@pytest.fixture
def admin(reference_engine):
    with temporary_account(reference_engine, "admin", "axe") as email:
        yield email


@pytest.fixture
def wave_server(tmp_path, data_dir, ban_server):
    """The embedded database with the wave, three dossiers at the jury, an instructor."""
    yield from served(jury_wave_app(tmp_path, data_dir, ban_server.url,
                                    "instructrice@exemple.gouv.fr"))


@pytest.fixture
def axe_page(page):
    """The page, with ``AXE_PATH`` of any origin answered from ``node_modules``."""
    if not AXE.is_file():
        unavailable(f"{AXE} absent (make assets: npm devDependency axe-core)")
    page.route(f"**{AXE_PATH}", lambda route: route.fulfill(
        path=str(AXE), content_type="text/javascript"))
    return page


def run_axe(page, base: str) -> list[dict]:
    """axe-core over the open page: its violations (id, impact, help, nodes)."""
    page.add_script_tag(url=f"{base}{AXE_PATH}")
    return page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ["violations"]});
        return results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" ") + " : " + n.failureSummary
                                          .replace(/\\s+/g, " ").slice(0, 300))}));
    }""")


def resize(page, size: str) -> None:
    """The page at ``size`` (``SIZES``)."""
    if SIZES[size]:
        page.set_viewport_size(SIZES[size])


def audit(page, base: str, size: str, path: str, ready: str | None = None) -> None:
    """Open ``path`` at ``size``, let its scripts run, run axe-core; fail on a serious or
    critical violation, print the others."""
    resize(page, size)
    page.goto(f"{base}{path}")
    if ready:
        page.wait_for_selector(ready, timeout=120_000)
    audit_open_page(page, base)


def audit_open_page(page, base: str) -> None:
    """axe-core over the page already open (once its requests have settled); fail on a
    serious or critical violation, print the others."""
    page.wait_for_load_state("networkidle")
    path = page.url.removeprefix(base)
    violations = run_axe(page, base)
    lines = [f"{path} [{v['impact']}] {v['id']}: {v['help']}\n    "
             + "\n    ".join(v["nodes"][:8]) for v in violations]
    print("\n".join(lines))
    blocking = [line for v, line in zip(violations, lines, strict=True) if v["impact"] in BLOCKING]
    assert blocking == [], "\n".join(blocking)
    assert page.outside_requests == []


def test_axe_runs_and_sees_an_unlabelled_field(live_server, axe_page):
    """The harness itself: axe-core is loaded under the page's policy and reports."""
    axe_page.goto(live_server)
    axe_page.evaluate("""() => document.querySelector("main").appendChild(
        Object.assign(document.createElement("input"), {type: "text"}))""")
    found = {(v["id"], v["impact"]) for v in run_axe(axe_page, live_server)}
    assert ("label", "critical") in found


@pytest.mark.parametrize(("name", "size"), cases(REFERENCE_PAGES))
def test_a_page_has_no_serious_violation(live_server, axe_page, admin, name, size):
    log_in(axe_page, live_server, admin)
    audit(axe_page, live_server, size, *REFERENCE_PAGES[name])


@pytest.mark.parametrize(("name", "size"), cases(["connexion"]))
def test_the_login_page_has_no_serious_violation(live_server, axe_page, name, size):
    audit(axe_page, live_server, size, "/connexion")


@pytest.mark.parametrize(("name", "size"), cases(["lot-termine"]))
def test_a_finished_batch_page_has_no_serious_violation(live_server, axe_page, admin, name,
                                                        size):
    log_in(axe_page, live_server, admin)
    axe_page.goto(f"{live_server}/verifier/lot")
    axe_page.get_by_label("Fichier CSV").set_input_files(
        {"name": "projets.csv", "mimeType": "text/csv", "buffer": ADDRESSES})
    axe_page.get_by_role("button", name="Vérifier le lot").click()
    axe_page.wait_for_url(f"{live_server}/verifier/lot/*")
    axe_page.get_by_role("heading", level=2, name="Résultat", exact=True).wait_for(
        timeout=120_000)
    audit(axe_page, live_server, size, axe_page.url.removeprefix(live_server))


@pytest.mark.parametrize(("name", "size"), cases(WAVE_PAGES))
def test_an_instruction_page_has_no_serious_violation(wave_server, axe_page, name, size):
    log_in(axe_page, wave_server, "instructrice@exemple.gouv.fr")
    audit(axe_page, wave_server, size, *WAVE_PAGES[name])


@pytest.mark.parametrize(("name", "size"), cases(["lot-en-cours"]))
def test_a_running_batch_page_has_no_serious_violation(live_server, axe_page, admin,
                                                       ban_server, name, size):
    """The job page while the BAN holds the job (its progress bar, polled by lot.js)."""
    ban_server.delay = 4.5  # under the client's 5 s timeout: held, never retried
    log_in(axe_page, live_server, admin)
    resize(axe_page, size)
    axe_page.goto(f"{live_server}/verifier/lot")
    axe_page.get_by_label("Fichier CSV").set_input_files(
        {"name": "projets.csv", "mimeType": "text/csv", "buffer": ADDRESSES})
    follow(axe_page, axe_page.get_by_role("button", name="Vérifier le lot"))
    axe_page.get_by_role("heading", level=2, name="Traitement en cours").wait_for()
    assert axe_page.locator("#lot-progression").is_visible()
    audit_open_page(axe_page, live_server)
    assert axe_page.locator("#lot-suivi").count() == 1  # audited before the result came


@pytest.mark.parametrize(("name", "size"), cases(["jury-confirmation"]))
def test_the_jury_confirmation_has_no_serious_violation(wave_server, axe_page, name, size):
    """The page a jury's choice leads to: the chosen dossiers, the quotas after (chart)."""
    log_in(axe_page, wave_server, "instructrice@exemple.gouv.fr")
    resize(axe_page, size)
    axe_page.goto(f"{wave_server}/instruction/jury")
    for number in MARSEILLE[:2]:
        axe_page.get_by_label(f"Choisir le dossier {number}").check()
    axe_page.get_by_label("Décision").select_option("laureat")
    axe_page.get_by_label("Motivation").fill("Ancrage fort dans le quartier")
    follow(axe_page, axe_page.get_by_role("button", name="Vérifier la décision"))
    heading = axe_page.locator("h1").inner_text()
    assert "Confirmer\u00a0: «\u00a0Lauréat\u00a0» pour 2 dossiers" in heading
    audit_open_page(axe_page, wave_server)


@pytest.mark.parametrize(("name", "size"), cases(["dossiers-import-bilan"]))
def test_an_import_report_has_no_serious_violation(wave_server, axe_page, name, size):
    """The report of an import: counts, the lines set aside, the dossiers not located."""
    log_in(axe_page, wave_server, "instructrice@exemple.gouv.fr")
    resize(axe_page, size)
    axe_page.goto(f"{wave_server}/instruction/dossiers/import")
    axe_page.get_by_label("Fichier de l'export").set_input_files(WAVE)
    follow(axe_page, axe_page.get_by_role("button", name="Importer"))
    assert axe_page.locator("#bilan").is_visible()
    assert axe_page.locator("#ecartees tbody tr").count() > 0
    audit_open_page(axe_page, wave_server)


@pytest.mark.parametrize(("name", "size"), cases(["historique-filtre"]))
def test_a_filtered_history_has_no_serious_violation(history_server, axe_page,  # noqa: F811
                                                     name, size):
    """The history with checks in it, filtered: the filters applied, the table of checks."""
    log_in(axe_page, history_server, MINISTRY)
    audit(axe_page, history_server, size,
          "/instruction/historique?categorie=qpv&vague=5#verifications")
    assert axe_page.locator("#filtres-actifs .fr-tag").count() == 2
    assert axe_page.locator("#verifications tbody tr").count() > 0


@pytest.mark.parametrize("path, ready", [
    ("/verifier", "#choix-carte" + MAP_READY),
    ("/verifier?lon=5.4034&lat=43.3305", "#carte" + MAP_READY),
    ("/carte", ".folium-map" + MAP_READY),
    ("/reseaux/couverture?distance_km=20", ".folium-map" + MAP_READY),
])
def test_the_shapes_of_a_map_are_not_tab_stops(live_server, page, path, ready):
    """Leaflet 1.9 listens to the focus of each shape with a tooltip, which Chromium then
    puts in the Tab order: 96 départements to go through on the checker's map, 476 shapes on
    the coverage map. From the map, Tab reaches its controls or leaves it, never a shape."""
    page.goto(f"{live_server}{path}")
    page.wait_for_selector(ready, timeout=120_000)
    assert page.locator(".leaflet-container path").count() > 0  # shapes to skip
    page.focus(".leaflet-container")
    reached = []
    for _ in range(4):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.tagName.toLowerCase()"))
    assert "path" not in reached, reached


def assert_reflows(page, base: str, path: str, ready: str | None) -> None:
    """WCAG 1.4.10 (reflow): at 320 CSS pixels wide the page never scrolls sideways; a wide
    table or a map scrolls or pans inside its own box."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{base}{path}")
    if ready:
        page.wait_for_selector(ready, timeout=120_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, path


@pytest.mark.parametrize("name", REFERENCE_PAGES)
def test_a_page_reflows_at_320_pixels(live_server, page, admin, name):
    log_in(page, live_server, admin)
    assert_reflows(page, live_server, *REFERENCE_PAGES[name])


@pytest.mark.parametrize("name", WAVE_PAGES)
def test_an_instruction_page_reflows_at_320_pixels(wave_server, page, name):
    log_in(page, wave_server, "instructrice@exemple.gouv.fr")
    assert_reflows(page, wave_server, *WAVE_PAGES[name])
