# ruff: noqa: F811 - the fixtures of test_batch_page, imported, are named as arguments
"""The batch page's own file (/verifier/lot): the uploaded columns kept, as typed, before the
service's; an address the BAN could not place shown as typed in « Lieu »; a bare commune
placed at the commune when the BAN is down. Real layers, local BAN (tests/ban_server.py)."""

from __future__ import annotations

import csv
import io

import pytest

from geodata.eligibility.columns import COLUMNS
from geodata.eligibility.french_csv import french_header
from tests.app.test_batch_page import (  # noqa: F401 - fixtures
    app,
    client,
    fetch,
    flat,
    sign_in_fixture,
    spreadsheet_rows,
    upload,
    wait,
)
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

EXAMPLE = ("id;adresse;code_postal;lon;lat\ntl-01;20 avenue de Ségur;75007;;\n"
           "tl-02;Pelleautier;05000;;\ntl-03;;;5,4034;43,3305\n")
"""The example the page shows (its « Exemple de fichier »)."""


def test_the_result_file_keeps_the_files_own_columns_first(client):
    job_url = upload(client, EXAMPLE.encode()).headers["Location"]
    assert wait(client, job_url)["state"] == "done"
    rows = spreadsheet_rows(fetch(client, job_url + "/resultat.csv"))
    given = ["id (fichier)", "adresse", "code_postal", "lon (fichier)", "lat (fichier)"]
    header = list(rows[0])
    assert header[:5] == given and header[5:5 + len(COLUMNS)] == french_header(list(COLUMNS))
    assert [(r["id (fichier)"], r["adresse"], r["code_postal"]) for r in rows] == [
        ("tl-01", "20 avenue de Ségur", "75007"), ("tl-02", "Pelleautier", "05000"),
        ("tl-03", "", "")]
    assert rows[2]["lon (fichier)"] == "5,4034" and rows[2]["longitude"] == "5,4034"
    assert rows[0]["adresse trouvée"] == "20 Avenue de Ségur 75007 Paris"


def test_the_api_keeps_its_contract_columns(client):
    """The API shares the writer: its CSV still has the contract's columns only."""
    answer = client.post("/api/v1/eligibility/batch?policy=current",
                         data=EXAMPLE.replace(";", ",").replace("5,4034,43,3305", "5.4034,43.3305"),
                         content_type="text/csv")
    assert answer.status_code == 200, answer.text
    header = next(csv.reader(io.StringIO(answer.text)))
    assert header[:len(COLUMNS)] == list(COLUMNS) and "adresse" not in header


def test_an_address_left_unplaced_shows_as_typed_in_the_rows(client, ban_server):
    ban_server.fail_next(100, status=500)
    job_url = upload(client, EXAMPLE.encode()).headers["Location"]
    assert wait(client, job_url)["state"] == "done"
    html = flat(client.get(job_url).text)
    table = html[html.index('<table id="lot-lignes">'):]
    assert ("<td>tl-01</td> <td>20 avenue de Ségur 75007 <span class=\"fr-hint-text\">"
            "(adresse du fichier, non localisée)</span></td>") in table
    rows = spreadsheet_rows(fetch(client, job_url + "/resultat.csv"))
    assert rows[0]["adresse"] == "20 avenue de Ségur" and rows[0]["erreur"]
