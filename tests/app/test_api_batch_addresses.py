"""``POST /api/v1/eligibility/batch`` with addresses (local BAN), and ``fabriques classify``
on address files: the contract's columns then the geocoding ones, every row kept, the
geocoder's failures answered whole (503, nothing written)."""

from __future__ import annotations

import csv
import io

import pytest
from flask import jsonify
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.db import get_engine, get_geocoder
from geodata.checks import address_geocoding
from geodata.eligibility import COLUMNS
from geodata.eligibility.addresses import (
    GEOCODING_COLUMNS,
    LOW_SCORE_WARNING,
    AddressLocations,
    batch_rows,
    read_batch,
)
from geodata.policy import load_policy
from geodata.storage.reference import reference_index
from tests.app.test_api import api_app, assert_error, client  # noqa: F401 - real layers
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

URL = "/api/v1/eligibility/batch"
ADDRESSES = ("id;adresse;code_postal\n"
             "seg;20 avenue de Ségur;75007\n"
             "ami;8 bd du port;\n"
             "nul;rue qui n'existe pas;\n"
             "pel;Pelleautier;05000\n")


def read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_addresses_in_contract_and_geocoding_columns_out(client, ban_server):  # noqa: F811
    response = client.post(URL, data=ADDRESSES.encode("latin-1"), content_type="text/csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    header = response.text.splitlines()[0].split(",")
    assert header == [*COLUMNS, *GEOCODING_COLUMNS]
    rows = read(response.text)
    assert [r["id"] for r in rows] == ["seg", "ami", "nul", "pel"]
    assert rows[0]["commune_code"] == "75056" and rows[0]["geocoding_type"] == "housenumber"
    assert rows[1]["geocoding_warning"] == LOW_SCORE_WARNING and rows[1]["category"]
    assert rows[2]["error"].startswith("ligne 4 : adresse introuvable")
    assert rows[3]["precision"] == "commune"
    assert response.headers["X-Fabriques-Erreurs"] == "1"
    # the rows « à vérifier » (a header counted the geocoding warnings under that name)
    assert response.headers["X-Fabriques-A-Verifier"] == str(
        sum(r["category"] == "a-verifier" for r in rows))
    assert response.headers["X-Fabriques-Adresses-A-Verifier"] == str(
        sum(bool(r["geocoding_warning"]) for r in rows))
    assert {r["category"] for r in rows} & {"a-verifier"}  # not vacuous
    assert [r.rows for r in ban_server.requests if r.method == "POST"] == [4]


def test_coordinate_batches_keep_exactly_the_contract(client):  # noqa: F811
    response = client.post(URL, data=b"id,lon,lat\na,5.4034,43.3305\n", content_type="text/csv")
    assert response.text.splitlines()[0].split(",") == list(COLUMNS)


def test_uploaded_address_file_as_json(client):  # noqa: F811
    upload = (io.BytesIO(ADDRESSES.encode("utf-8")), "projets.csv")
    response = client.post(f"{URL}?format=json&policy=ami-2019", data={"file": upload},
                           content_type="multipart/form-data")

    assert response.status_code == 200
    rows = response.json["rows"]
    assert list(rows[0]) == [*COLUMNS, *GEOCODING_COLUMNS]
    assert rows[0]["qpv_vintage"] == "2015" and isinstance(rows[0]["geocoding_score"], float)
    assert rows[2]["lon"] is None and rows[2]["error"].startswith("ligne 4 : adresse")


@pytest.mark.parametrize("body", [ADDRESSES, "id,lon,lat\n",
                                  "id,lon,lat\na,5.4034,43.3305\nb,abc,43\n"])
def test_a_json_batch_is_written_as_jsonify_writes_it(api_app, body):  # noqa: F811
    """The answer is made of rows encoded one by one (its memory), the bytes ``jsonify``
    gave for the whole list: accents, nulls, floats, unreadable rows, an empty list."""
    answer = api_app.test_client().post(f"{URL}?format=json", data=body.encode(),
                                        content_type="text/csv")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    with api_app.app_context():
        policy = load_policy("current")
        locations = read_batch(body.encode())
        geocoding = address_geocoding(get_engine(), get_geocoder()) \
            if isinstance(locations, AddressLocations) else None
        rows, _ = batch_rows(reference_index(get_engine(), "2024"), policy, locations,
                             geocoding=geocoding)
        assert answer.get_data() == jsonify(policy="current", rows=rows).get_data()


@pytest.mark.parametrize("query", ["", "?format=json"])
def test_geocoder_down_is_a_503_and_nothing_else(client, ban_server, query):  # noqa: F811
    ban_server.fail_next(100, status=500)
    response = client.post(URL + query, data=ADDRESSES.encode(), content_type="text/csv")
    assert_error(response, 503, "file", "ne répond pas")
    assert "seg" not in response.text


def test_address_files_are_checked_before_any_geocoding(client, ban_server):  # noqa: F811
    too_many = "id,adresse\n" + "".join(f"{i},Pelleautier\n" for i in range(51))
    assert_error(client.post(URL, data=too_many.encode(), content_type="text/csv"),
                 413, "file", "au plus 50")
    within_rows = "id,adresse,lon,lat\n" + "".join(
        f"{i},Pelleautier,{'' if i < 4 else '6.1'},{'' if i < 4 else '44.5'}\n" for i in range(40))
    client.application.config["API_MAX_ADDRESSES"] = 3
    assert_error(client.post(URL, data=within_rows.encode(), content_type="text/csv"),
                 413, "file", "4 adresses à géocoder : au plus 3 par appel")
    client.application.config["API_MAX_ADDRESSES"] = 4  # the rows with coordinates don't count
    assert client.post(URL, data=within_rows.encode(), content_type="text/csv").status_code \
        == 200
    ban_server.requests.clear()
    assert_error(client.post(URL, data=b"adresse\nPelleautier\n", content_type="text/csv"),
                 400, "file", "il manque la colonne id (l")
    assert_error(client.post(URL, data="id;adresse\n".encode("utf-16"),
                             content_type="text/csv"), 400, "file", "UTF-16")
    assert ban_server.requests == []


@pytest.mark.parametrize("query", ["", "?format=json"])
def test_address_answers_match_the_openapi_document(client, query):  # noqa: F811
    spec = OpenAPI.from_dict(client.get("/api/v1/openapi.json").json)
    body = ADDRESSES.encode()
    response = client.post(URL + query, data=body, content_type="text/csv")
    assert response.status_code == 200
    environ = EnvironBuilder(path=URL, method="POST", query_string=query.lstrip("?"),
                             data=body, content_type="text/csv",
                             base_url="http://localhost").get_environ()
    request = WerkzeugOpenAPIRequest(Request(environ))
    spec.validate_request(request)
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))


@pytest.fixture
def runner(api_app):  # noqa: F811
    return api_app.test_cli_runner()


def test_cli_classifies_an_address_file(runner, tmp_path, ban_server):
    source, output = tmp_path / "projets.csv", tmp_path / "verdicts.csv"
    source.write_bytes(ADDRESSES.encode("latin-1"))

    result = runner.invoke(args=["classify", str(source), "-o", str(output), "--quiet"])

    assert result.exit_code == 0, result.output
    rows = read(output.read_text(encoding="utf-8"))
    assert list(rows[0]) == [*COLUMNS, *GEOCODING_COLUMNS] and len(rows) == 4
    assert "3 adresses géocodées, dont 1 à vérifier" in result.output
    assert "erreur ligne 4 : adresse introuvable" in result.output
    assert any(r.path == "/search/csv/" for r in ban_server.requests)


def test_cli_writes_nothing_when_the_geocoder_is_down(runner, tmp_path, ban_server):
    source, output = tmp_path / "projets.csv", tmp_path / "verdicts.csv"
    source.write_text(ADDRESSES, encoding="utf-8")
    ban_server.fail_next(100, status=500)

    result = runner.invoke(args=["classify", str(source), "-o", str(output), "--quiet"])

    assert result.exit_code == 1
    assert "ne répond pas" in result.output and "aucun fichier écrit" in result.output
    assert not output.exists() and not list(tmp_path.glob("*.partiel"))
