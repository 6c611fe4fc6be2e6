"""The jury's quotas count an « à vérifier » dossier only in the categories its known half
leaves open, on the session page (its data for the browser's figures) and on the
confirmation page, on both backends: the wave of ``tests/data/dossiers`` as
``test_jury_pages`` imports it, with the real density grid (Marseille is a large urban
centre) and no QPV outline nor list (the QPV half of its dossiers at the jury is unknown)."""

from __future__ import annotations

import re

import pytest

from app.db import EXTENSION
from geodata.geocoder import BanClient
from geodata.storage.dossiers import list_dossiers, move_dossiers
from loaders.dossiers import import_dossiers
from loaders.pipeline import load_source
from tests.app.test_jury_pages import JURY, MARSEILLE, after_column, post
from tests.app.test_jury_pages import bouches_du_rhone as contours_13  # noqa: F401
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import WAVE

pytestmark = pytest.mark.shared_data


@pytest.fixture
def wave(app, data_dir, ban_server, contours_13):  # noqa: F811 - the fixture imported
    engine = app.extensions[EXTENSION]
    load_source(engine, "commune-contours", str(contours_13), progress=False)
    for name in ("densite", "laureates"):
        load_source(engine, name, None, data_dir=data_dir, progress=False)
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(engine, ban, WAVE, data_dir=data_dir, actor="test")
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(engine, MARSEILLE, target, "instructrice")
    return engine


def test_an_urban_dossier_to_check_is_never_counted_outside_large_urban_centres(
        wave, client, login):
    login(client)
    urban = [d for d in list_dossiers(wave, "2") if d.number in MARSEILLE
             and d.category == "a-verifier"
             and d.checks["territoire"]["outside_large_urban_centre"] is False]
    assert urban, "no Marseille dossier to check in a large urban centre"
    page = client.get(JURY).text
    boxes = {d.number: re.search(rf'<input [^>]*value="{d.number}"[^>]*>', page, re.S).group(0)
             for d in urban}
    assert all('data-possibles="non-eligible qpv"' in box for box in boxes.values())
    new = [number for number, box in boxes.items() if "data-publiee" not in box]
    assert new, "every one is a published Fabrique already"  # which would take its place

    before = after_column(page)
    confirmation = post(client, "/instruction/jury/decisions", numero=str(new[0]),
                        vers="laureat", motivation="Ancrage dans le quartier")
    assert confirmation.status_code == 200
    after = after_column(confirmation.text)
    assert after["total"] != before["total"]  # one Fabrique more
    assert after["hors-grands-centres-urbains"] == before["hors-grands-centres-urbains"]


def test_a_published_fabriques_identifier_keeps_its_case(wave, client, login, app):
    """The DSFR badge is upper case: « DÉJÀ PUBLIÉE : FABT-117 » is not the identifier
    fabt-117 an instructor looks up; it keeps its case on the page and the confirmation."""
    login(client)
    kept = '<span class="fabriques-identifiant">fabt-117</span>'
    page = client.get(JURY).text.replace("\u00a0", " ")
    row = re.search(r'<tr data-numero="1234505">.*?</tr>', page, re.S).group(0)
    assert f"<span>déjà publiée : {kept}</span></span>" in row
    confirmation = post(client, "/instruction/jury/decisions", numero="1234505",
                        vers="laureat", motivation="Ancrage dans le quartier")
    assert f"<span>déjà publiée : {kept}</span></span>" in \
        confirmation.text.replace("\u00a0", " ")
    css = client.get("/static/fabriques.css").text
    assert re.search(r"\.fabriques-identifiant\s*\{\s*text-transform:\s*none;", css)
