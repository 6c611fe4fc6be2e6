"""The checker page in Debian's Chromium (Playwright): type an address, read the verdict.

The app runs on 127.0.0.1 with the real reference layers and the local BAN-speaking server;
any request the page makes outside 127.0.0.1 is blocked and fails the test (no CDN). The
screenshot is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.db import EXTENSION, GEOCODER
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture
def live_server(reference_engine, tmp_path, data_dir, ban_server):
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": reference_engine.url.render_as_string(hide_password=False),
        "DATA_DIR": str(data_dir),
        "GEOCODER_URL": ban_server.url,
        "RATELIMIT": "off",
    })
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    app.extensions[EXTENSION].dispose()
    app.extensions[GEOCODER].close()


@pytest.fixture
def page():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{CHROMIUM} requis en CI (paquet Debian chromium)", pytrace=False)
        pytest.skip(f"{CHROMIUM} absent (paquet Debian chromium)")
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


def test_instructor_types_an_address_and_reads_the_verdict(live_server, page):
    page.goto(f"{live_server}/verifier")
    page.get_by_label("Adresse").fill("Avenue de Saint-Just 13013 Marseille")
    page.get_by_role("button", name="Vérifier").click()

    heading = page.get_by_role("heading", level=2, name="Verdict")
    heading.wait_for()
    assert "en QPV ou à sa proximité immédiate" in heading.inner_text()
    assert "Adresse trouvée" in page.content()
    assert "QN01352M" in page.locator(".fabriques-explanation").inner_text()
    page.locator("#carte[data-ready='true']").wait_for()
    assert page.locator("#carte path").count() >= 3  # commune, band, QPV drawn by Leaflet
    assert page.url.startswith(f"{live_server}/verifier?address=")

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "verifier-adresse.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.outside_requests == []
