"""The checker page in Debian's Chromium (Playwright): type an address, read the verdict.

The app runs on 127.0.0.1 with the real reference layers and the local BAN-speaking server;
any request the page makes outside 127.0.0.1 is blocked and fails the test (no CDN). The
screenshot is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]


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
