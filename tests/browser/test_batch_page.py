"""The batch page in Debian's Chromium: an instructor follows the main menu's link, logs in
through the real form, uploads an address file, follows the job's progress (polled by
``static/lot.js``), reads the summary, downloads the enriched CSV; a second file waits for a
free slot of a one-thread executor, and says so; a file over the size limit is refused
before it is sent. Nothing is requested outside 127.0.0.1. The instructor's account is made
in the session's reference database for the test and removed afterwards."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.app.conftest import PASSWORD
from tests.support import temporary_account

pytestmark = [pytest.mark.shared_data, pytest.mark.browser]

ADDRESSES = ("id;adresse;code_postal\n"
             "seg;20 avenue de Ségur;75007\n"
             "ami;8 bd du port;\n"
             "nul;rue qui n'existe pas;\n"
             "pel;Pelleautier;05000\n").encode("latin-1")


@pytest.fixture
def live_config() -> dict:
    return {"MAX_CONTENT_LENGTH": 8192, "SESSION_COOKIE_SECURE": False}  # plain http


@pytest.fixture
def instructor(reference_engine):
    """An instructor's email, in the shared reference database for this test only."""
    with temporary_account(reference_engine, "instructor", "lot") as email:
        yield email


@pytest.fixture
def logged_in(live_server, page, instructor) -> str:
    """Follow the menu's "Vérifier un lot" anonymously, log in on the page it leads to, and
    come back to the batch page; the server's URL."""
    page.goto(live_server)
    page.get_by_role("link", name="Vérifier un lot").first.click()
    page.wait_for_url(re.compile(r"/connexion\?next=/verifier/lot$"))
    page.get_by_label("Adresse électronique").fill(instructor)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server}/verifier/lot")
    return live_server


def test_instructor_uploads_a_file_follows_it_and_downloads_it(logged_in, page, ban_server,
                                                               shoot):
    live_server = logged_in
    ban_server.delay = 1.5  # the BAN takes its time: the job page shows its progress first
    page.goto(f"{live_server}/verifier/lot")
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "projets.csv", "mimeType": "text/csv", "buffer": ADDRESSES})
    page.get_by_role("button", name="Vérifier le lot").click()

    page.wait_for_url(f"{live_server}/verifier/lot/*")
    result = page.get_by_role("heading", level=2, name="Résultat", exact=True)
    result.wait_for(timeout=120_000)  # only lot.js's polling brings it (no reload by hand)
    # lot.js moves the focus to the result once the reloaded page has run it
    page.wait_for_function("() => document.activeElement?.id === 'resultat'",
                           timeout=10_000)
    text = " ".join(page.locator("main").inner_text().split())
    assert "4 lignes lues, 3 classées, 1 en erreur" in text
    assert page.locator("#lot-erreurs tbody th").all_inner_texts() == ["4"]

    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le fichier enrichi (CSV)").click()
    content = info.value.path().read_bytes()
    assert info.value.suggested_filename == "projets-verdicts.csv"
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [r["id"] for r in rows] == ["seg", "ami", "nul", "pel"]

    shoot("lot-resultat")


def upload(page, live_server: str, name: str) -> str:
    """Send ADDRESSES as ``name`` through the form; the job page's URL."""
    page.goto(f"{live_server}/verifier/lot")
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": ADDRESSES})
    page.get_by_role("button", name="Vérifier le lot").click()
    page.wait_for_url(f"{live_server}/verifier/lot/*")
    return page.url


@pytest.mark.parametrize("live_config", [{"MAX_CONTENT_LENGTH": 8192, "BATCH_WORKERS": 1,
                                          "SESSION_COOKIE_SECURE": False}])
def test_a_second_file_waits_for_a_free_slot_then_runs(logged_in, page, ban_server, shoot):
    live_server = logged_in
    ban_server.delay = 3.0  # each job holds the only thread that long
    first = upload(page, live_server, "premier.csv")
    second = upload(page, live_server, "second.csv")

    title = page.locator("#suivi-titre")
    waiting = page.locator("#lot-attente")
    assert title.inner_text() == "Traitement en attente"
    assert " ".join(waiting.inner_text().split()) == (
        "En attente d'un emplacement libre : le traitement commencera dès qu'un lot en cours "
        "sera terminé.")
    shoot("lot-attente")
    # lot.js follows the job out of the queue (the BAN holds it a while once it runs)
    page.wait_for_function("() => document.getElementById('lot-attente').hidden && document"
                           ".getElementById('suivi-titre').textContent === 'Traitement en cours'",
                           timeout=120_000)
    assert page.request.get(first + "/etat").json()["state"] == "done"

    page.get_by_role("heading", level=2, name="Résultat", exact=True).wait_for(timeout=120_000)
    text = " ".join(page.locator("main").inner_text().split())
    assert page.url == second + "#resultat"
    assert "Lot « second.csv »" in text and "4 lignes lues, 3 classées" in text
    held = sorted(r.at for r in ban_server.requests if r.path == "/search/csv/")
    assert len(held) == 2 and held[1] >= held[0] + ban_server.delay  # one job at a time
    assert page.outside_requests == []


def test_a_file_over_the_limit_is_refused_before_it_is_sent(logged_in, page):
    live_server = logged_in
    page.goto(f"{live_server}/verifier/lot")
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST"
            else None)
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "gros.csv", "mimeType": "text/csv",
         "buffer": b"id,lon,lat\n" + b"1,6.0,44.5\n" * 1000})
    page.get_by_role("button", name="Vérifier le lot").click()

    error = page.locator("#fichier-erreur")
    error.wait_for()
    assert "Fichier trop volumineux\u00a0: 8\xa0Ko au plus" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == "fichier"
    assert posts == [] and page.url == f"{live_server}/verifier/lot"
    assert page.outside_requests == []
