"""Browser fixtures: the app on 127.0.0.1 with the real reference layers and the local BAN
server, and a Chromium page (Debian's) that blocks and records any request leaving 127.0.0.1.
Screenshots go to ``ARTIFACTS`` (``test-artifacts/``).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from tests.ban_server import ban_server_fixture  # noqa: F401
from tests.support import PASSWORD, close_app, make_app, unavailable

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture
def live_config() -> dict:
    """Extra settings for ``live_server``; a test module overrides this fixture to add some."""
    return {}


@pytest.fixture
def live_server(reference_engine, tmp_path, data_dir, ban_server, live_config):
    """The app served by a threaded Werkzeug server on 127.0.0.1; yields its base URL."""
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url,
                   RATELIMIT="off", **live_config)
    yield from served(app)


def log_in(page, base: str, email: str) -> None:
    """Log ``email`` in through the real login form of the app served at ``base``, and wait
    until the form sends the browser on."""
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def follow(page, control) -> None:
    """Click ``control``, which loads a new page, and wait until that page has loaded.

    Chromium builds the DOM while the HTML arrives: without the wait, an element found at
    once may come from a page parsed halfway, whose end (the measures under a verdict, say)
    is not there yet.
    """
    with page.expect_navigation(wait_until="load"):
        control.click()


SCREENS = {"ordinateur": {"width": 1366, "height": 768}, "telephone": {"width": 390, "height": 844}}
"""The first screens a page must fit: a laptop and a phone."""
IN_FIRST_SCREEN = """selector => {
    const element = document.querySelector(selector);
    if (!element) { return false; }
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
}"""


def on_screen(page, selector: str) -> bool:
    """The first element ``selector`` finds is whole in the viewport, as it is scrolled."""
    return page.evaluate(IN_FIRST_SCREEN, selector)


def first_screen(page, selector: str) -> None:
    """``selector`` is whole in the first screen, without scrolling, and has the focus."""
    assert page.evaluate("() => window.scrollY") == 0
    assert on_screen(page, selector), f"{selector} hors du premier écran"
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id",
                           arg=selector.lstrip("#"), timeout=5_000)


def served(app):
    """Serve ``app`` on 127.0.0.1 from a thread: yields its base URL, then stops and closes
    it (for a fixture: ``yield from served(app)``)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    close_app(app)


@pytest.fixture
def page():
    if not shutil.which(CHROMIUM):
        unavailable(f"{CHROMIUM} absent (paquet Debian chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1800})
        page = context.new_page()
        page.outside_requests = []

        def only_loopback(route):
            host = urlparse(route.request.url).hostname
            if host == "127.0.0.1" or route.request.url.startswith("data:"):
                route.continue_()
            else:
                page.outside_requests.append(route.request.url)
                route.abort()

        page.route("**/*", only_loopback)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def shoot(page):
    """``shoot(name)``: a screenshot ``ARTIFACTS/name.png`` of the whole page (or of the first
    screen alone, ``full_page=False``), checked to be a real picture, and nothing requested
    outside 127.0.0.1 so far."""

    def take(name: str, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(shot), full_page=full_page)
        assert shot.stat().st_size > 10_000
        assert page.outside_requests == []
        return shot

    return take
