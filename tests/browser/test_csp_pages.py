"""Every page under the Content-Security-Policy, in Debian's Chromium: nothing is refused
(no inline script or style without the request's nonce, nothing from elsewhere), the maps
still draw, and an inline script without the nonce is refused. On the way, no element the
page hides (the ``hidden`` attribute) is displayed by a style.

An admin account (every page opens to it) is made in the session's ``reference_engine`` for
the test and removed afterwards. Violations are caught by a ``securitypolicyviolation``
listener set before any page script, and by Chromium's console messages. Under this policy
(no 'unsafe-eval') Playwright's ``wait_for_function`` wants a function, ``"() => …"``: a
bare expression is evaluated again at each poll, which the page refuses.
"""

from __future__ import annotations

import pytest

from tests.app.conftest import PASSWORD
from tests.support import temporary_account

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

LISTENER = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e => window.__violations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""
MAP_READY = "[data-ready='true']"
# An element with the hidden attribute that a style displays anyway (a DSFR class's display
# beats the browser's [hidden] rule): the batch page showed an empty error's icon.
SHOWN_THOUGH_HIDDEN = """() => Array.from(document.querySelectorAll("[hidden]"))
    .filter(e => getComputedStyle(e).display !== "none").map(e => e.outerHTML.slice(0, 120))"""
PAGES = (  # path, a selector that appears once the page's scripts have run (or None)
    ("/", None),
    ("/verifier", "#choix-carte" + MAP_READY),
    ("/verifier?lon=5.4034&lat=43.3305", "#carte" + MAP_READY),
    ("/verifier/attestation?lon=5.4034&lat=43.3305", None),
    ("/verifier/lot", None),
    ("/carte", ".folium-map" + MAP_READY),
    ("/reseaux?fabrique=fabt-12&rule=distance&distance_km=12", ".folium-map" + MAP_READY),
    ("/reseaux/couverture?departement=05", ".folium-map" + MAP_READY),
    ("/instruction/historique", None),
    ("/instruction/dossiers", None),
    ("/instruction/jury", None),
    ("/tableau-de-bord", None),
    ("/page-qui-n-existe-pas", None),
)


@pytest.fixture
def live_config() -> dict:
    return {"SESSION_COOKIE_SECURE": False}  # the live server speaks plain http


@pytest.fixture
def admin(reference_engine):
    with temporary_account(reference_engine, "admin", "admin") as email:
        yield email


@pytest.fixture
def watched(page):
    """The page, with CSP violations recorded (``page.violations()``)."""
    console = []
    page.on("console", lambda m: console.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.add_init_script(LISTENER)
    page.violations = lambda: page.evaluate("window.__violations") + console
    return page


def test_every_page_runs_under_the_policy(live_server, watched, admin):
    page = watched
    page.goto(f"{live_server}/connexion")
    assert page.violations() == []
    page.get_by_label("Adresse électronique").fill(admin)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server}/instruction/dossiers")
    for path, ready in PAGES:
        answer = page.goto(f"{live_server}{path}")
        assert "'nonce-" in answer.headers["content-security-policy"], path
        assert page.violations() == [], path  # the document and its scripts, loaded
        if ready:
            page.wait_for_selector(ready, timeout=120_000)
        page.wait_for_load_state("networkidle")
        assert page.violations() == [], path  # and what they did afterwards
        assert page.evaluate(SHOWN_THOUGH_HIDDEN) == [], path
    assert page.outside_requests == []


def test_an_inline_script_without_the_nonce_is_refused(live_server, watched):
    page = watched
    page.goto(f"{live_server}/carte")
    page.wait_for_selector(".folium-map" + MAP_READY, timeout=120_000)
    assert page.evaluate("Object.keys(window.fabriquesMaps)") == ["carte"]  # nonce: ran
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true;";
        document.body.appendChild(script);
    }""")
    page.wait_for_function("() => window.__violations.length > 0")
    assert page.evaluate("window.injected") is None
    assert any(v.startswith("script-src-elem inline") for v in page.violations())
