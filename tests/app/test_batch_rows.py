# ruff: noqa: F811 - the fixtures of test_batch_page, imported, are named as arguments
"""A finished job's rows on its page (/verifier/lot/<id>): read back from its French result
file, 50 a page (fewer here), filtered by category, rows to check and rows in error; the
state labels read after « Traitement » (« Traitement échoué »). Real layers, local BAN."""

from __future__ import annotations

import json
import re

import pytest

from app.verifier import lot
from app.verifier.jobs import OUTPUT, STATUS, jobs_root
from geodata.eligibility.french_csv import FRENCH_HEADERS
from tests.app.test_batch_page import (  # noqa: F401 - fixtures
    ADDRESSES,
    app,
    client,
    fetch,
    flat,
    sign_in_fixture,
    spreadsheet_rows,
    token,
    upload,
    wait,
)
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

POINTS = ("id;lon;lat\nmars;5,4034;43,3305\npel;6,01763;44,516\nmer;-30;40\nbad;nord;43\n"
          "gap;6,0786;44,5594\nqpv;5,3698;43,3045\n")


def table_ids(html: str) -> list[str]:
    table = re.search(r'<table id="lot-lignes">.*?</table>', html, re.S)
    return re.findall(r'</th>\s*<td>([^<]*)</td>', table.group(0)) if table else []


@pytest.fixture
def job_url(client):
    response = upload(client, POINTS.encode("utf-8"))
    url = response.headers["Location"]
    assert wait(client, url)["state"] == "done"
    return url


def test_a_finished_job_shows_its_rows_in_french(client, job_url):
    html = client.get(job_url).text
    assert table_ids(html) == ["mars", "pel", "mer", "bad", "gap", "qpv"]
    text = flat(html)
    assert "Toutes les lignes : 6 lignes" in text
    assert re.search(r'<th scope="row">5</th>\s*<td>bad</td>', html)  # its line in the file
    assert "Erreur :</span> ligne 5 : lon non numérique" in text
    assert 'data-category="qpv">QPV ou proximité</span>' in text
    assert "5,4034 ; 43,3305" in text  # the coordinates as the French file writes them
    assert re.search(r"Q[PN]\w+ à [\d\u202f]+,\d&nbsp;m", text)  # nearest QPV, French metres


def test_rows_are_filtered_and_paged(client, job_url, monkeypatch):
    errors = client.get(job_url + "?afficher=erreurs").text
    assert table_ids(errors) == ["mer", "bad"] and "En erreur : 2 lignes" in flat(errors)
    qpv = client.get(job_url + "?afficher=qpv").text
    assert set(table_ids(qpv)) <= {"mars", "qpv"} and table_ids(qpv)

    monkeypatch.setattr(lot, "PER_PAGE", 4)
    first, second = (client.get(f"{job_url}?page={n}").text for n in (1, 2))
    assert table_ids(first) == ["mars", "pel", "mer", "bad"]
    assert table_ids(second) == ["gap", "qpv"]
    assert "page 2 sur 2" in flat(second) and 'href="' in second
    assert re.search(r'href="[^"]+\?page=2#lignes">Page suivante', first)
    assert "Page précédente" in second and "Page suivante" not in second
    nowhere = client.get(job_url + "?afficher=tout&page=-3")  # unknown: every row, page 1
    assert nowhere.status_code == 200 and table_ids(nowhere.text) == ["mars", "pel", "mer",
                                                                       "bad"]


def test_the_rows_come_from_the_file_on_disk(app, client, job_url):
    path = jobs_root(app) / job_url.rsplit("/", 1)[1] / OUTPUT
    text = path.read_text("utf-8-sig").replace(";pel;", ";pelleautier;", 1)
    path.write_text(text, encoding="utf-8-sig")
    assert "pelleautier" in table_ids(client.get(job_url).text)


def test_a_failed_job_says_traitement_echoue(app, client):
    # Synthetic: a job that failed (the address service out of reach no longer fails one).
    location = upload(client, POINTS.encode()).headers["Location"]
    wait(client, location)
    path = jobs_root(app) / location.rsplit("/", 1)[1] / "progress.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "state": "failed",
                                "message": "erreur interne : le traitement s'est arrêté"}))
    state = client.get(location + "/etat").json
    assert state["state"] == "failed" and state["label"] == "échoué"
    html = flat(client.get(location).text)
    assert "Traitement échoué" in html and "échec" not in html


def test_geocoder_down_classifies_what_it_can_and_the_job_can_be_run_again(app, client,
                                                                            ban_server):
    """The whole job failed when the address service was down, its rows with coordinates
    too: they are classified, the addresses left unplaced, each saying so."""
    ban_server.fail_next(100, status=500)
    mixed = ADDRESSES.replace("id,adresse,code_postal\n", "id,adresse,code_postal,lon,lat\n")
    mixed = "\n".join(line + ",," if i else line
                      for i, line in enumerate(mixed.strip().splitlines()))
    mixed += "\nmars,,,5.4034,43.3305\n"
    job_url = upload(client, mixed.encode()).headers["Location"]
    folder = jobs_root(app) / job_url.rsplit("/", 1)[1]
    assert wait(client, job_url)["state"] == "done"
    state = json.loads((folder / STATUS).read_text(encoding="utf-8"))
    assert state["report"]["ungeocoded"] == 4
    rows = spreadsheet_rows(fetch(client, job_url + "/resultat.csv"))
    assert len(rows) == 6
    html = flat(client.get(job_url).text)
    assert "4 adresses non géocodées : la Base Adresse Nationale ne répondait pas" in html
    said = " ".join(error for _line, error in state["report"]["errors"])
    assert said.count("adresse non géocodée : la Base Adresse Nationale ne répond pas") == 3
    assert state["report"]["at_commune"] == 1  # « Pelleautier » (05000), a commune's name
    assert "aucune commune sûre dans « 8 bd du port »" in said  # not Port (Ain)

    with ban_server._lock:
        ban_server._failures.clear()  # the service is back
    restarted = client.post(job_url + "/relancer", data={"csrf_token": token(client)})
    assert restarted.status_code == 303
    assert wait(client, job_url)["state"] == "done"
    again = json.loads((folder / STATUS).read_text(encoding="utf-8"))
    assert again["report"]["ungeocoded"] == 0
    assert again["report"]["geocoded"] >= 3


def test_the_form_names_the_columns_the_file_has(client):
    """The form promised columns `error` and `geocoding_warning`: the file is French."""
    page = flat(client.get("/verifier/lot").text)
    for column in ("erreur", "adresse à vérifier"):
        assert column in FRENCH_HEADERS.values() and f"« {column} »" in page
    assert "geocoding_warning" not in page


def test_a_row_shows_its_identifier_as_typed_and_downloads_it_disarmed(client):
    typed = '=HYPERLINK("http://x";"clic")'
    data = f'id;lon;lat\n"{typed.replace(chr(34), chr(34) * 2)}";5,4034;43,3305\n'
    url = upload(client, data.encode("utf-8")).headers["Location"]
    assert wait(client, url)["state"] == "done"
    assert table_ids(client.get(url).text) == [typed.replace('"', "&#34;")]
    with client.get(url + "/resultat.csv") as download:
        assert spreadsheet_rows(download)[0]["id"] == "'" + typed
