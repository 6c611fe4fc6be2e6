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
    page = flat(client.get(job_url).text)
    assert "avec toutes ses colonnes en tête" in page
    form = flat(client.get("/verifier/lot").text)
    assert "toutes vos colonnes telles que vous les avez écrites, en tête" in form


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


def test_geocoder_down_a_bare_commune_is_placed_at_the_commune(app, client, ban_server):
    """/verifier places « Pelleautier » at its commune when the BAN is down: so does the
    batch, row by row; a text naming no commune, or homonyms, is an error said once."""
    ban_server.fail_next(100, status=500)
    data = EXAMPLE + "tl-04;Saint-Denis;;;\n"
    job_url = upload(client, data.encode()).headers["Location"]
    assert wait(client, job_url)["state"] == "done"
    rows = spreadsheet_rows(fetch(client, job_url + "/resultat.csv"))
    pel = rows[1]
    assert (pel["précision"], pel["commune"], pel["erreur"]) == ("commune", "Pelleautier", "")
    assert pel["catégorie"] and pel["longitude"] and pel["code commune"].startswith("05")
    assert len(pel["longitude"].partition(",")[2]) <= 5  # a commune's centre, to ~1 m
    assert pel["adresse à vérifier"].startswith(
        "Base Adresse Nationale injoignable : lieu pris au centre de la commune Pelleautier (05")
    seg = rows[0]["erreur"]
    assert seg.startswith("ligne 2 : adresse non géocodée : la Base Adresse Nationale ne "
                          "répond pas (")
    assert seg.count("ne répond pas") == 1 and "réessayez" not in seg
    assert seg.endswith("; aucune commune reconnue dans « 20 avenue de Ségur 75007 », ou "
                        "relancez le lot plus tard")
    assert "plusieurs communes s'appellent « Saint-Denis » (" in rows[3]["erreur"]
    assert "93066" in rows[3]["erreur"]
    html = flat(client.get(job_url).text)
    assert ("3 adresses non géocodées : la Base Adresse Nationale ne répondait pas ; "
            "1 placée au centre de la commune nommée (précision commune, à vérifier) ; "
            "2 en erreur dans le fichier ; les autres lignes sont classées.") in html


def test_the_summary_says_other_rows_are_classified_only_when_some_are(client, ban_server):
    """Every row in error (the audit's comma.csv): no « les autres lignes sont classées »."""
    ban_server.fail_next(100, status=500)
    data = "id,adresse\nx1,20, avenue de Ségur 75007 Paris\nx2,rue sans commune\n"
    job_url = upload(client, data.encode()).headers["Location"]
    assert wait(client, job_url)["state"] == "done"
    html = flat(client.get(job_url).text)
    assert "2 lignes lues, 0 classée, 2 en erreur" in html
    assert ("1 adresse non géocodée : la Base Adresse Nationale ne répondait pas ; 1 en erreur "
            "dans le fichier. Relancez") in html
    assert "les autres lignes sont classées" not in html


def test_geocoder_down_a_postal_code_alone_is_not_an_insee_code(app, client, ban_server):
    """« 13013 » alone was placed at Belcodène (INSEE 13013) when it is also Marseille's
    13th arrondissement's postal code: the row says both, and is left for the person."""
    ban_server.fail_next(100, status=500)
    job_url = upload(client, b"id;adresse\ntl-05;13013\n").headers["Location"]
    assert wait(client, job_url)["state"] == "done"
    row = spreadsheet_rows(fetch(client, job_url + "/resultat.csv"))[0]
    assert "plusieurs communes répondent à « 13013 » (13013, Bouches-du-Rhône, 13055, " \
        "Bouches-du-Rhône)" in row["erreur"]
    assert row["longitude"] == ""
