"""The instructors' batch page (/verifier/lot): upload, progress on disk, summary, download,
and a clear French answer for every file it cannot use (real layers, local BAN); for
instructors and admins only, logged in, each job read by its owner alone (and admins).

The accounts are made in the session's reference database with unique emails, logged in
through the real form (``login``), and removed after each test."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from app import create_app
from app.db import EXTENSION, GEOCODER
from app.verifier.executor import shutdown
from app.verifier.jobs import INPUT, create_job, jobs_root
from geodata.eligibility import COLUMNS
from geodata.eligibility.addresses import GEOCODING_COLUMNS
from geodata.eligibility.french_csv import french_header
from geodata.storage.accounts import user_by_email
from geodata.storage.models import User
from tests.app.conftest import csrf_token
from tests.app.french_rows import contract_values
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

POINTS = "id;lon;lat\nmars;5,4034;43,3305\npel;6,01763;44,516\nmer;-30;40\nbad;nord;43\n"
ADDRESSES = ("id,adresse,code_postal\n"
             "seg,20 avenue de Ségur,75007\n"
             "ami,8 bd du port,\n"
             "nul,rue qui n'existe pas,\n"
             "vide,,\n"
             "pel,Pelleautier,5000\n")


def make_app(reference_engine, instance, data_dir, ban_server, **settings):
    return create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": reference_engine.url.render_as_string(hide_password=False),
        "DATA_DIR": str(data_dir),
        "GEOCODER_URL": ban_server.url,
        "BATCH_MAX_ROWS": 20,
        "MAX_CONTENT_LENGTH": 8192,
        "RATELIMIT": "off",
        **settings,
    })


@pytest.fixture
def app(reference_engine, tmp_path, data_dir, ban_server):
    app = make_app(reference_engine, tmp_path / "instance", data_dir, ban_server)
    yield app
    shutdown(app, wait=True)
    app.extensions[EXTENSION].dispose()
    app.extensions[GEOCODER].close()


@pytest.fixture(name="sign_in")
def sign_in_fixture(login, reference_engine):
    """``sign_in(client, role="instructor") -> email``: log a new account in; it is removed
    from the shared reference database after the test."""
    emails = []

    def sign(client, role: str = "instructor") -> str:
        emails.append(login(client, role,
                            email=f"lot-{role}-{uuid.uuid4().hex[:12]}@exemple.gouv.fr"))
        return emails[-1]

    yield sign
    with reference_engine.begin() as connection:
        connection.execute(delete(User).where(User.email.in_(emails)))


@pytest.fixture
def client(app, sign_in):
    """A client logged in as an instructor (the page is theirs)."""
    client = app.test_client()
    client.email = sign_in(client)
    return client


def owner_id(client) -> int:
    """The account id of the person ``client`` is logged in as."""
    return user_by_email(client.application.extensions[EXTENSION], client.email).id


def same_session(client, other) -> None:
    """Give ``other`` (another worker's client) the session cookie of ``client``."""
    other.set_cookie("session", client.get_cookie("session").value)


def token(client) -> str:
    page = client.get("/verifier/lot")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def upload(client, data: bytes | None, filename: str = "projets.csv", policy: str = "current",
           with_token: bool = True):
    form = {"policy": policy}
    if with_token:
        form["csrf_token"] = token(client)
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post("/verifier/lot", data=form, content_type="multipart/form-data")


def wait(client, job_url: str) -> dict:
    """Poll the job's state as the page's script does, until it is no longer active."""
    deadline = time.monotonic() + 300  # a guard against a hung job, not a speed claim
    while time.monotonic() < deadline:
        state = client.get(job_url + "/etat").json
        if state["state"] not in ("queued", "running"):
            return state
        time.sleep(0.1)
    pytest.fail("le lot ne s'est pas terminé")


def flat(html: str) -> str:
    """The page's text with its line breaks and indentation collapsed."""
    return " ".join(html.split())


def job_dirs(app) -> list:
    root = jobs_root(app)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def fetch(client, url: str):
    """GET ``url`` and close the response (a sent file stays open until then)."""
    with client.get(url) as response:
        response.get_data()
        return response


def spreadsheet_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def test_form_is_accessible_and_states_the_limits(client):
    html = client.get("/verifier/lot").text
    assert re.search(r'<label class="fr-label" for="fichier">', html)
    assert 'id="fichier"' in html and 'name="file"' in html and 'type="file"' in html
    assert 'aria-describedby="fichier-aide"' in html
    assert "UTF-8 ou Latin-1" in html and "point-virgule ou virgule" in html
    assert "Au plus 20 lignes et 8\xa0Ko." in html and 'data-max-label="8\xa0Ko"' in html
    assert 'name="csrf_token"' in html and '<label class="fr-label" for="policy">' in html
    assert 'enctype="multipart/form-data"' in html and 'data-max-bytes="8192"' in html


def test_coordinates_file_is_processed_and_matches_the_api(app, client):
    data = POINTS.encode("latin-1")
    response = upload(client, data, policy="ami-2019")

    assert response.status_code == 303
    job_url = response.headers["Location"]
    assert re.fullmatch(r"/verifier/lot/[0-9a-f-]{36}", job_url)
    assert wait(client, job_url)["state"] == "done"
    html = flat(client.get(job_url).text)
    assert "4 lignes lues, 2 classées, 2 en erreur" in html
    assert "<caption>Lignes par catégorie de quota</caption>" in html
    assert re.search(r'<th scope="row">5</th><td>lon non numérique', html)
    assert re.search(r'<th scope="row">4</th><td>\(-30,00000 ; 40,00000\) n', html)

    download = fetch(client, job_url + "/resultat.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "projets-verdicts.csv" in download.headers["Content-Disposition"]
    rows = spreadsheet_rows(download)
    api = list(csv.DictReader(io.StringIO(client.post(
        "/api/v1/eligibility/batch?policy=ami-2019", data=data,
        content_type="text/csv").text)))
    given = ["id (fichier)", "lon (fichier)", "lat (fichier)"]  # the file's own, first
    assert list(rows[0]) == [*given, *french_header(list(COLUMNS))] and len(rows) == len(api) == 4
    assert list(api[0]) == list(COLUMNS)  # the API keeps the contract's English columns
    for ours, theirs in zip(rows, api, strict=True):
        assert contract_values(ours) == theirs
    job_id = job_url.rsplit("/", 1)[1]
    assert (jobs_root(app) / job_id / INPUT).read_bytes() == data


def test_address_file_lists_bad_rows_with_their_line(client, ban_server):
    response = upload(client, ADDRESSES.encode("utf-8"), filename="adresses.csv")
    job_url = response.headers["Location"]
    assert wait(client, job_url)["state"] == "done"

    html = flat(client.get(job_url).text)
    assert "5 lignes lues" in html
    assert "3 adresses géocodées sur 4, dont 1 à vérifier" in html
    errors = re.search(r'<table id="lot-erreurs">.*?</table>', html, re.S).group(0)
    assert re.search(r'<th scope="row">4</th><td>adresse introuvable', errors)
    assert re.search(r'<th scope="row">5</th><td>adresse vide', errors)
    checks = re.search(r'<table id="lot-a-verifier">.*?</table>', html, re.S).group(0)
    assert re.search(r'<th scope="row">3</th><td>score faible', checks)
    rows = spreadsheet_rows(fetch(client, job_url + "/resultat.csv"))
    assert list(rows[0]) == ["id (fichier)", "adresse", "code_postal",
                             *french_header([*COLUMNS, *GEOCODING_COLUMNS])]
    assert [r["id"] for r in rows] == ["seg", "ami", "nul", "vide", "pel"]
    assert rows[0]["adresse trouvée"] == "20 Avenue de Ségur 75007 Paris"
    assert rows[2]["erreur"].startswith("ligne 4 : adresse introuvable")
    assert rows[4]["précision"] == "commune"
    assert any(r.path == "/search/csv/" for r in ban_server.requests)


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "latin-1"])
def test_french_spreadsheet_flavours_are_accepted(client, delimiter, encoding):
    text = f"id{delimiter}lon{delimiter}lat\nCréteil{delimiter}6.0{delimiter}44.5\n"
    response = upload(client, text.encode(encoding))
    assert response.status_code == 303
    assert wait(client, response.headers["Location"])["state"] == "done"
    (row,) = spreadsheet_rows(fetch(client, response.headers["Location"] + "/resultat.csv"))
    assert row["id"] == "Créteil" and row["code commune"] == "05100" and row["longitude"] == "6,0"


@pytest.mark.parametrize(("data", "status", "message"), [
    (None, 400, "Aucun fichier reçu"),
    (b"", 400, "est vide"),
    (b"id;lon;lat\n", 400, "aucune ligne de données"),
    (b"nom;ville\nx;Gap\n", 400, "il manque les colonnes id (l&#39;identifiant"),
    ("id;adresse\n1;Gap\n".encode("utf-16"), 400, "encodage non pris en charge"),
    (b"id\tlon\tlat\n1\t6\t44\n", 400, "séparateur non reconnu"),
    (("id,lon,lat\n" + "1,6.0,44.5\n" * 21).encode(), 413, "21 lignes\u00a0: 20 au plus par lot"),
    (b"id,lon,lat\n" + b"1,6.0,44.5\n" * 1000, 413,
     "Fichier trop volumineux\u00a0: 8\xa0Ko au plus"),
])
def test_unusable_files_show_the_form_again_with_the_reason(app, client, data, status,
                                                           message):
    response = upload(client, data)
    assert response.status_code == status
    html = response.text
    assert 'role="alert"' in html and message in html
    assert 'id="fichier"' in html and 'name="csrf_token"' in html  # the form, again
    assert "fr-upload-group--error" in html
    assert job_dirs(app) == []


def test_unknown_policy_is_refused(app, client):
    response = upload(client, POINTS.encode(), policy="2030")
    assert response.status_code == 400 and "politique inconnue" in response.text
    assert job_dirs(app) == []


def test_missing_csrf_token_is_refused_and_creates_no_job(app, client):
    response = upload(client, POINTS.encode(), with_token=False)
    assert response.status_code == 400 and "Formulaire expiré" in response.text
    assert job_dirs(app) == []


def test_progress_is_on_disk_for_every_worker(app, client, reference_engine, data_dir,
                                              ban_server):
    response = upload(client, POINTS.encode())
    job_url = response.headers["Location"]
    wait(client, job_url)
    other = make_app(reference_engine, app.instance_path, data_dir, ban_server)  # a worker
    try:
        other_client = other.test_client()
        same_session(client, other_client)
        state = other_client.get(job_url + "/etat").json
        assert state == {"state": "done", "label": "terminé", "rows_done": 4,
                         "rows_total": 4, "message": None}
        assert fetch(other_client, job_url + "/resultat.csv").status_code == 200
    finally:
        other.extensions[EXTENSION].dispose()
        other.extensions[GEOCODER].close()


def test_a_job_in_progress_shows_its_progress_and_works_without_javascript(app, client):
    # A job queued by hand, claimed as by a live worker and never started: its page is the
    # one seen while it runs.
    job_id, held = create_job(jobs_root(app), POINTS.encode(), "projets.csv", "current", 4, 0,
                              owner=owner_id(client))
    with held:
        html = client.get(f"/verifier/lot/{job_id}").text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert f'data-etat-url="/verifier/lot/{job_id}/etat"' in html
    assert re.search(r'<progress id="lot-progression" max="4"\s+value="0">', html)
    assert '<label class="fr-label" for="lot-progression">' in html
    assert 'aria-live="polite"' in html and "/static/lot.js" in html
    assert 'class="fr-stepper"' in html and "Étape 2 sur 3" in html
    assert fetch(client, f"/verifier/lot/{job_id}/resultat.csv").status_code == 404
    assert fetch(client, "/static/lot.js").status_code == 200


def test_an_interrupted_job_says_so_and_can_be_restarted(app, client):
    # Synthetic: a job left "running" by a worker that stopped 20 minutes ago.
    job_id, held = create_job(jobs_root(app), POINTS.encode(), "projets.csv", "current", 4, 0,
                              owner=owner_id(client))
    held.release()  # its worker is gone
    path = jobs_root(app) / job_id / "progress.json"
    status = json.loads(path.read_text())
    status.update(state="running", updated_at=(datetime.now(UTC) - timedelta(minutes=20))
                  .isoformat())
    path.write_text(json.dumps(status))
    assert client.get(f"/verifier/lot/{job_id}/etat").json["state"] == "interrupted"
    assert "Relancer le traitement" in client.get(f"/verifier/lot/{job_id}").text

    client.post(f"/verifier/lot/{job_id}/relancer", data={"csrf_token": token(client)})
    assert wait(client, f"/verifier/lot/{job_id}")["state"] == "done"


def test_jobs_older_than_a_day_are_purged_when_a_new_one_starts(app, client):
    # Synthetic ages: one job last updated two days ago, one an hour ago.
    root = jobs_root(app)
    made = []
    for name, age in (("ancien.csv", timedelta(days=2)), ("recent.csv", timedelta(hours=1))):
        job_id, held = create_job(root, POINTS.encode(), name, "current", 4, 0,
                                  owner=owner_id(client))
        held.release()  # ended long ago
        made.append(job_id)
        path = root / job_id / "progress.json"
        status = json.loads(path.read_text())
        status.update(state="done", updated_at=(datetime.now(UTC) - age).isoformat())
        path.write_text(json.dumps(status))
    old, recent = made

    new_url = upload(client, POINTS.encode()).headers["Location"]
    wait(client, new_url)

    assert old not in job_dirs(app) and recent in job_dirs(app)
    assert new_url.rsplit("/", 1)[1] in job_dirs(app)
    page = client.get(f"/verifier/lot/{old}")
    assert page.status_code == 404 and "Lot introuvable" in page.text


def test_unknown_or_malformed_job_ids(client):
    assert client.get("/verifier/lot/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/verifier/lot/../../secret_key").status_code == 404
    assert client.get("/verifier/lot/pas-un-uuid/etat").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_and_create_no_job(app):
    anonymous, job = app.test_client(), "/verifier/lot/00000000-0000-4000-8000-000000000000"
    home = anonymous.get("/").text
    assert re.search(r'href="/verifier/lot"[^>]*>\s*Vérifier un lot', home)  # still in the menu
    form = {"csrf_token": csrf_token(anonymous), "file": (io.BytesIO(POINTS.encode()), "p.csv")}
    for answer in (anonymous.get("/verifier/lot"), anonymous.get(job), anonymous.get(job + "/etat"),
                   anonymous.get(job + "/resultat.csv"), anonymous.post("/verifier/lot", data=form),
                   anonymous.post(job + "/relancer", data={"csrf_token": form["csrf_token"]})):
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/connexion?next=/verifier/lot")
    assert job_dirs(app) == []


def test_other_roles_are_refused(app, sign_in):
    ministry = app.test_client()
    sign_in(ministry, "ministry")
    answer = ministry.get("/verifier/lot")
    assert answer.status_code == 403
    assert "réservée aux comptes «\u00a0instruction\u00a0»" in answer.text


def test_a_job_is_read_by_its_owner_and_admins_only(app, client, sign_in):
    job_url = upload(client, POINTS.encode()).headers["Location"]
    assert wait(client, job_url)["state"] == "done"
    path = jobs_root(app) / job_url.rsplit("/", 1)[1] / "progress.json"
    status = json.loads(path.read_text())
    assert status["owner"] == owner_id(client) and client.get(job_url).status_code == 200
    path.write_text(json.dumps({**status, "state": "failed", "message": "BAN indisponible"}))
    colleague, admin = app.test_client(), app.test_client()
    sign_in(colleague), sign_in(admin, "admin")
    for suffix in ("", "/etat", "/resultat.csv"):
        hidden = fetch(colleague, job_url + suffix)  # as if there were no such job
        assert hidden.status_code == 404 and "Lot introuvable" in hidden.text, suffix
    restart = colleague.post(job_url + "/relancer", data={"csrf_token": token(colleague)})
    assert restart.status_code == 404 and json.loads(path.read_text())["state"] == "failed"
    assert admin.get(job_url + "/etat").json["state"] == "failed"
    admin.post(job_url + "/relancer", data={"csrf_token": token(admin)})
    assert wait(admin, job_url)["state"] == "done"
    assert len(spreadsheet_rows(fetch(admin, job_url + "/resultat.csv"))) == 4
