"""The JSON API (/api/v1): every route, the one error shape, geocoding via a local BAN."""

from __future__ import annotations

import csv
import io
import re
import threading
from urllib.parse import quote_from_bytes

import pytest
import requests
from werkzeug.serving import make_server

from app.errors import API_PREFIX, MAX_URL_LENGTH
from geodata.eligibility import COLUMNS
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.support import close_app, make_app

pytestmark = pytest.mark.shared_data

ERROR_KEYS = {"status", "code", "message", "parameter"}


@pytest.fixture
def api_app(reference_engine, tmp_path, data_dir, ban_server):
    """The service on the real layers, the local BAN as its geocoder, small batches."""
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url,
                   BATCH_MAX_ROWS=50)
    yield app
    close_app(app)


@pytest.fixture
def client(api_app):
    return api_app.test_client()


def assert_error(response, status: int, parameter: str | None, *words: str):
    assert response.status_code == status, response.text
    assert response.is_json
    body = response.json
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS
    assert body["error"]["status"] == status and body["error"]["parameter"] == parameter
    for word in words:
        assert word in body["error"]["message"]


def test_point(client):
    answer = client.get("/api/v1/eligibility?lon=5.4034&lat=43.3305")
    assert answer.status_code == 200
    assert list(answer.json) == list(COLUMNS)
    assert answer.json["category"] == "qpv" and answer.json["policy"] == "current"
    assert answer.json["near_qpv"] is True and "Marseille" in answer.json["explanation"]


def test_point_under_another_policy(client):
    answer = client.get("/api/v1/eligibility?lon=1.4205&lat=43.5825&policy=ami-2019")
    assert answer.json["qpv_vintage"] == "2015" and answer.json["nearest_qpv_code"] == "QP031007"


def test_address_is_geocoded_by_the_ban(client, ban_server):
    answer = client.get("/api/v1/eligibility",
                        query_string={"address": "Avenue de Saint-Just 13013 Marseille"})
    assert answer.status_code == 200, answer.text
    geocoding = answer.json["geocoding"]
    assert geocoding["type"] == "street" and geocoding["precision"] == "street"
    assert answer.json["precision"] == "street" and answer.json["commune_code"] == "13055"
    assert any(r.path.startswith("/search") for r in ban_server.requests)


def test_low_score_and_commune_matches_are_flagged(client):
    amiens = client.get("/api/v1/eligibility",
                        query_string={"address": "8 Boulevard du Port 80000 Amiens"})
    assert amiens.json["geocoding"]["low_score"] is True
    village = client.get("/api/v1/eligibility", query_string={"address": "Pelleautier"})
    assert village.json["precision"] == "commune"
    assert village.json["geocoding"]["low_score"] is False


@pytest.mark.parametrize(("query", "status", "parameter", "words"), [
    ("", 400, "lon", ("manquant", "lon")),
    ("lon=2.35", 400, "lat", ("manquant",)),
    ("lon=abc&lat=48", 400, "lon", ("nombre",)),
    ("lon=nan&lat=48", 400, "lon", ("fini",)),
    ("lon=200&lat=48", 400, "lon", ("hors limites",)),
    ("lon=2&lat=-95", 400, "lat", ("hors limites",)),
    ("lon=-30&lat=40", 422, None, ("aucun territoire",)),
    ("lon=2&lat=90", 422, None, ("aucun territoire",)),  # the pair, not "lon"
    ("lon=2.35&lat=48.85&policy=2030", 400, "policy", ("politique inconnue",)),
    ("lon=2.35&lat=48.85&precision=pays", 400, "precision", ("précision",)),
    ("lon=2.35&lat=48.85&address=Paris", 400, "address", ("pas les deux",)),
    ("address=rue%20qui%20n%27existe%20pas", 422, "address", ("introuvable",)),
    ("lon=1_0&lat=48", 400, "lon", ("nombre",)),
    ("lon=%D9%A3&lat=48", 400, "lon", ("nombre",)),
    ("address=%20", 400, "address", ("adresse vide",)),
])
def test_bad_input_gets_the_one_error_shape(client, query, status, parameter, words):
    assert_error(client.get(f"/api/v1/eligibility?{query}"), status, parameter, *words)


def test_a_decimal_comma_is_read_and_the_address_code_says_what_failed(client):
    comma = client.get("/api/v1/eligibility?lon=5%2C4034&lat=43%2C3305")
    assert comma.status_code == 200 and comma.json["category"] == "qpv"
    unknown = client.get("/api/v1/eligibility", query_string={"address": "rue qui n'existe pas"})
    assert unknown.json["error"]["code"] == "adresse-introuvable"  # well formed, not found
    empty = client.get("/api/v1/eligibility", query_string={"address": " "})
    assert empty.json["error"]["code"] == "adresse-invalide"


def test_geocoder_down_is_a_503_not_a_500(client, ban_server):
    ban_server.fail_next(10, status=500)
    response = client.get("/api/v1/eligibility", query_string={"address": "20 avenue de Ségur"})
    assert_error(response, 503, "address")


def test_unknown_routes_and_methods_answer_json(client):
    assert_error(client.get("/api/v1/nulle-part"), 404, None, "Aucune page")
    assert_error(client.delete("/api/v1/eligibility"), 405, None, "DELETE", "GET")


def api_routes(app) -> dict[str, set[str]]:
    """Each API route as a path to call (sample values in its variables), with its methods."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX):
            path = re.sub(r"<[^>]+>", "1", rule.rule.replace("<int:", "<"))
            routes.setdefault(path, set()).update(rule.methods)
    return routes


def test_every_api_405_carries_allow(api_app, client):
    routes = api_routes(api_app)
    assert len(routes) >= 10
    for path, methods in routes.items():
        method = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in methods)
        response = client.open(path, method=method)
        assert_error(response, 405, None, method)
        assert set(response.headers["Allow"].split(", ")) == methods, path


@pytest.mark.parametrize("url", [
    "/api/v1/datasets?x=" + "a" * 20_000,
    "/api/v1/eligibility?lon=5.4&lat=43.3&address=" + "a" * (MAX_URL_LENGTH + 1),
    "/api/v1/" + "a" * 20_000,
])
def test_over_long_url_gets_the_one_error_shape(client, url):
    assert_error(client.get(url), 414, None, "adresse demandée dépasse")


@pytest.fixture
def live_api(api_app):
    """``api_app`` behind a threaded werkzeug server on 127.0.0.1: its base URL."""
    server = make_server("127.0.0.1", 0, api_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_over_long_url_through_a_real_server(live_api):
    """A request line of 20 kB reaches the app through werkzeug's server (its own limit is
    64 kB): the API's JSON shape, a French page elsewhere; a 405 keeps ``Allow`` over HTTP."""
    long = {"x": "a" * 20_000}
    api = requests.get(f"{live_api}/api/v1/datasets", params=long, timeout=60)
    assert api.status_code == 414 and api.headers["Content-Type"] == "application/json"
    assert api.json()["error"]["code"] == "http-414"
    page = requests.get(f"{live_api}/carte", params=long, timeout=60)
    assert page.status_code == 414 and 'lang="fr"' in page.text
    assert "Adresse trop longue" in page.text
    not_allowed = requests.delete(f"{live_api}/api/v1/datasets", timeout=60)
    assert not_allowed.status_code == 405 and not_allowed.headers["Allow"]


def test_batch_csv_in_csv_out(client):
    body = "id;lon;lat\na;5,4034;43,3305\nb;abc;43\nc;3.0;46.0\n".encode("latin-1")
    response = client.post("/api/v1/eligibility/batch", data=body,
                           content_type="text/csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["category"] == "qpv" and rows[1]["error"].startswith("ligne 3")
    assert response.headers["X-Fabriques-Erreurs"] == "1"


def test_batch_format_is_csv_or_json(client):
    response = client.post("/api/v1/eligibility/batch?format=xlsx", data=b"id,lon,lat\n",
                           content_type="text/csv")
    assert_error(response, 400, "format", "format inconnu : 'xlsx' (csv ou json)")
    body = b"id,lon,lat\na,5.4034,43.3305\n"
    xml = client.post("/api/v1/eligibility/batch", data=body, content_type="text/csv",
                      headers={"Accept": "application/xml"})
    assert_error(xml, 406, None, "text/csv ou application/json")  # it answered CSV
    for accept, mimetype in (("application/xml, */*;q=0.1", "text/csv"), ("", "text/csv"),
                             ("application/json", "application/json")):
        answer = client.post("/api/v1/eligibility/batch", data=body, content_type="text/csv",
                             headers={"Accept": accept})
        assert answer.status_code == 200 and answer.mimetype == mimetype
        assert "Accept" in answer.vary  # a cache must not serve one for the other
    chosen = client.post("/api/v1/eligibility/batch?format=json", data=body,
                         content_type="text/csv")
    assert chosen.mimetype == "application/json" and "Accept" not in chosen.vary


def test_batch_file_sent_as_a_text_field_of_a_form(client):
    response = client.post("/api/v1/eligibility/batch?format=json", content_type=
                           "multipart/form-data", data={"file": "id,lon,lat\na,5.4034,43.3305\n"})
    assert response.status_code == 200, response.text
    assert response.json["rows"][0]["category"] == "qpv"


def test_batch_file_upload_json_out(client):
    upload = (io.BytesIO(b"id,lon,lat\nx,6.0,44.5\ny,,\n"), "projets.csv")
    response = client.post("/api/v1/eligibility/batch?format=json&policy=ami-2019",
                           data={"file": upload}, content_type="multipart/form-data")
    assert response.status_code == 200
    rows = response.json["rows"]
    assert response.json["policy"] == "ami-2019"
    assert rows[0]["id"] == "x" and rows[0]["commune_code"] == "05100"
    assert rows[1]["error"] == "ligne 3 : lon vide" and rows[1]["category"] is None


def test_batch_errors(client):
    assert_error(client.post("/api/v1/eligibility/batch", data=b"", content_type="text/csv"),
                 400, "file", "aucun CSV")
    assert_error(client.post("/api/v1/eligibility/batch", data=b"nom,ville\n1,2\n",
                             content_type="text/csv"), 400, "file", "il manque les colonnes id")
    too_many = "id,lon,lat\n" + "".join(f"{i},2.0,46.0\n" for i in range(51))
    assert_error(client.post("/api/v1/eligibility/batch", data=too_many.encode(),
                             content_type="text/csv"), 413, "file", "au plus 50")
    assert_error(client.post("/api/v1/eligibility/batch?policy=x", data=b"id,lon,lat\n",
                             content_type="text/csv"), 400, "policy")


def test_policies_and_datasets(client):
    policies = client.get("/api/v1/policies").json["policies"]
    assert {p["name"] for p in policies} == {"current", "ami-2019"}
    current = next(p for p in policies if p["name"] == "current")
    assert current["default"] is True and current["quotas"]["qpv"] == 150
    datasets = client.get("/api/v1/datasets").json["datasets"]
    assert {"qpv2024-paca", "commune-contours", "laureates"} <= {d["source"] for d in datasets}
    paca = next(d for d in datasets if d["source"] == "qpv2024-paca")
    assert paca["complete_for"] == {"scope": "regions", "codes": ["93"]}


def test_a_csv_sent_as_curl_sends_it_is_read(client):
    """``curl --data-binary @lot.csv`` sends the file as a form (its default type): it was
    answered « aucun CSV reçu »."""
    body = b"id,lon,lat\na,5.4034,43.3305\n"
    response = client.post("/api/v1/eligibility/batch?format=json", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    assert response.json["rows"][0]["category"] == "qpv"
    as_field = client.post("/api/v1/eligibility/batch?format=json",
                           data={"file": body.decode()},
                           content_type="application/x-www-form-urlencoded")
    assert as_field.json["rows"][0]["id"] == "a"  # a form's file field still wins


@pytest.mark.parametrize("ids", [["lot-100%00", "b"], ["R&D&file=x", "b"], ["a+b%41", "c"]])
def test_a_csv_sent_as_a_form_is_read_as_sent_whatever_its_cells(client, ids):
    """A cell « lot-100%00 » was refused as a NUL character, « R&D&file=x » made the rest
    of the body be read as the CSV (no row): a body with raw line breaks is no form."""
    body = "id,lon,lat\n" + "".join(f"{i},5.4034,43.3305\n" for i in ids)
    response = client.post("/api/v1/eligibility/batch?format=json", data=body.encode(),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    assert [row["id"] for row in response.json["rows"]] == ids


def test_a_latin_1_csv_in_a_form_field_keeps_its_letters_or_is_refused(client):
    """A Latin-1 file sent as the text field ``file`` came back « Caf\ufffd » (multipart)
    or « Caf%E9 » (urlencoded): the urlencoded bytes are read as sent; a multipart text
    field, already decoded by the form parser, is refused, saying how to send it."""
    latin1 = "id;lon;lat\nCafé;5,4034;43,3305\n".encode("latin-1")
    encoded = b"file=" + quote_from_bytes(latin1).encode()
    kept = client.post("/api/v1/eligibility/batch?format=json", data=encoded,
                       content_type="application/x-www-form-urlencoded")
    assert kept.status_code == 200 and kept.json["rows"][0]["id"] == "Café"
    multipart = (b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + latin1
                 + b"\r\n--b--\r\n")  # a text field, as curl -F 'file=<lot.csv' sends it
    refused = client.post("/api/v1/eligibility/batch?format=json", data=multipart,
                          content_type="multipart/form-data; boundary=b")
    assert_error(refused, 400, "file", "n'est pas en UTF-8", "curl -F file=@lot.csv")


@pytest.mark.parametrize(("header", "said"), [
    ("id,lon,lon,lat", "lon ('lon', 'lon')"),
    ("id,longitude,lon,lat", "lon ('longitude', 'lon')"),
    ("id,id,lon,lat", "id ('id', 'id')"),
])
def test_a_column_given_twice_is_refused(client, header, said):
    """The last of two « lon » columns was read, the other dropped without a word."""
    body = f"{header}\n1,5.4,7.0,43.3\n".encode()
    assert_error(client.post("/api/v1/eligibility/batch", data=body, content_type="text/csv"),
                 400, "file", f"colonnes en double dans l'en-tête : {said}")


def test_the_batch_reads_numbers_as_the_single_check_does(client):
    """« 4_3.3305 » and other scripts' digits were read by the batch, refused by the check."""
    body = "id,lon,lat\na,5.4034,4_3.3305\nb,５.４０３４,43.3305\nc,5.4034,43.3305\n"
    rows = client.post("/api/v1/eligibility/batch?format=json", data=body.encode(),
                       content_type="text/csv").json["rows"]
    assert rows[0]["error"] == "ligne 2 : lat non numérique : '4_3.3305'"
    assert rows[1]["error"].startswith("ligne 3 : lon non numérique")
    assert rows[2]["error"] is None and rows[2]["category"] == "qpv"
    single = client.get("/api/v1/eligibility?lon=5.4034&lat=4_3.3305")
    assert_error(single, 400, "lat", "doit être un nombre")


def test_any_web_page_may_call_the_api(client):
    """A local authority's page on its own domain could not: no CORS header on /api/v1."""
    answer = client.get("/api/v1/eligibility?lon=5.4034&lat=43.3305",
                        headers={"Origin": "https://exemple.fr"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/api/v1/eligibility/batch", headers={
        "Origin": "https://exemple.fr", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    assert "X-Fabriques-Erreurs" in preflight.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in client.get("/verifier").headers  # pages: no


def test_a_client_sending_too_many_rows_waits(reference_engine, tmp_path, data_dir):
    """Eight parallel batches of 100,000 rows, within the request limit, held both workers
    (a single check waited 44 s): the rows are counted too (synthetic limit: 100 a minute)."""
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, RATELIMIT="1000/second",
                   BATCH_RATELIMIT="100/minute")
    try:
        client = app.test_client()
        body = ("id,lon,lat\n" + "".join(f"{i},5.4034,43.3305\n" for i in range(60))).encode()
        sent = [client.post("/api/v1/eligibility/batch", data=body, content_type="text/csv")
                for _ in range(2)]
        assert sent[0].status_code == 200
        assert_error(sent[1], 429, "file", "trop de lignes envoyées en peu de temps (60")
        assert sent[1].json["error"]["code"] == "trop-de-lignes"
        said = re.search(r"réessayez dans (\d+) s", sent[1].json["error"]["message"])
        assert 1 <= int(sent[1].headers["Retry-After"]) <= 60
        # the header says the message's wait (Flask-Limiter's rewrite was a second short)
        assert sent[1].headers["Retry-After"] == said.group(1)
        assert client.get("/api/v1/eligibility?lon=5.4034&lat=43.3305").status_code == 200
    finally:
        close_app(app)


def test_a_batch_refused_for_its_addresses_costs_no_rows(reference_engine, tmp_path,
                                                         data_dir):
    """Three 413 « trop d'adresses » used up the rows of the client, who then got 429 on
    the smaller batch the 413 told it to send (synthetic limits: 10 rows a minute, 2
    addresses a call; the addresses are refused before any geocoding)."""
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, RATELIMIT="1000/second",
                   BATCH_RATELIMIT="10/minute", API_MAX_ADDRESSES=2)
    try:
        client = app.test_client()
        addresses = "id,adresse\n" + "".join(f"{i},Pelleautier\n" for i in range(4))
        for _ in range(3):
            assert_error(client.post("/api/v1/eligibility/batch", data=addresses.encode(),
                                     content_type="text/csv"), 413, "file", "au plus 2")
        points = "id,lon,lat\n" + "".join(f"{i},5.4034,43.3305\n" for i in range(8))
        assert client.post("/api/v1/eligibility/batch", data=points.encode(),
                           content_type="text/csv").status_code == 200
    finally:
        close_app(app)
