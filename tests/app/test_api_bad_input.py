"""Bad input gets a clear 4xx, never a 5xx: a policy that is not one of the shipped files, a
CSV cell longer than the csv module reads, an address of only punctuation or emoji; on the
API and on the pages and commands that share its readers (real layers, local BAN).

The over-long cells and the punctuation-only addresses are synthetic: the properties are
about reading input, not about places.
"""

from __future__ import annotations

import csv
import html
import io

import pytest

from tests.app.conftest import csrf_token
from tests.app.test_api import api_app, assert_error, client  # noqa: F401 - layers + BAN
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

BAD_POLICIES = {"path": "../../pyproject", "alias": "../policies/current", "long": "x" * 300}
"""Today a path parses the repository's pyproject.toml, an alias is the current policy and a
long value a 500 (OSError: file name too long)."""
POINT = {"lon": "5.4034", "lat": "43.3305"}
POINTS_CSV = b"id,lon,lat\na,5.4034,43.3305\n"
LIMIT = csv.field_size_limit()
OVER_THE_LIMIT = {
    "plain": b"id,lon,lat\na,5.4034,43.3305\n" + b"x" * (LIMIT + 1) + b",5.4,43.3\n",
    "quoted": b'id,lon,lat\na,5.4034,43.3305\n"b,5.4,43.3\n' + b"c,5.4,43.3\n" * 20_000,
}
"""A 131,073-character id in a file without quotes (read by polars), and a quote never closed
that swallows the rest of the file (read by the csv module): both refused at line 3."""
NOT_ADDRESSES = ["!!!", "😀😀😀", "« … » ; ?!", "!! ab"]


def answer_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def assert_unknown_policy(response, where: str) -> None:
    assert response.status_code == 400, (where, response.status_code)
    text = answer_text(response)
    assert "politique inconnue" in text.lower(), where  # a page's alert is a sentence
    colon = " :" if response.is_json else "\u00a0:"  # JSON as written, a page the French way
    assert f"disponibles{colon} ami-2019, current" in text, where
    assert "pyproject" not in text or "« ../../pyproject »" in text.replace("\u00a0", " "), \
        where  # quoted, never parsed


# --- policy -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", BAD_POLICIES)
def test_an_unknown_policy_is_a_400_on_the_public_routes(client, kind):  # noqa: F811
    policy = BAD_POLICIES[kind]
    for url, query in (("/api/v1/eligibility", POINT), ("/api/v1/fabriques", {}),
                       ("/verifier", POINT), ("/verifier/attestation", POINT)):
        response = client.get(url, query_string={**query, "policy": policy})
        assert_unknown_policy(response, url)
    assert_unknown_policy(client.get("/carte", query_string={"politique": policy}), "/carte")
    batch = client.post("/api/v1/eligibility/batch", query_string={"policy": policy},
                        data=POINTS_CSV, content_type="text/csv")
    assert_error(batch, 400, "policy", "politique inconnue")
    assert batch.json["error"]["code"] == "politique-inconnue"
    address = client.get("/api/v1/eligibility",
                         query_string={"address": "20 avenue de Ségur", "policy": policy})
    assert_error(address, 400, "policy", "politique inconnue")


def test_a_parameter_the_route_does_not_read_is_a_400_naming_it(client):  # noqa: F811
    """``politique=ami-2019`` (the pages' word) was ignored: the current rules answered."""
    point = client.get("/api/v1/eligibility", query_string={**POINT, "politique": "ami-2019"})
    assert_error(point, 400, "politique", "paramètre inconnu : 'politique' (paramètres de "
                 "cette route : address, lat, lon, policy, precision)")
    assert point.json["error"]["code"] == "parametre-inconnu"
    batch = client.post("/api/v1/eligibility/batch", query_string={"politique": "ami-2019"},
                        data=POINTS_CSV, content_type="text/csv")
    assert_error(batch, 400, "politique", "paramètres de cette route : format, policy")
    assert client.get("/api/v1/eligibility", query_string=POINT).status_code == 200


@pytest.mark.parametrize("kind", BAD_POLICIES)
def test_an_unknown_policy_is_a_400_on_the_pages_behind_login(app, login, kind):
    policy, instructor, ministry = BAD_POLICIES[kind], app.test_client(), app.test_client()
    login(instructor)
    lot = instructor.post("/verifier/lot", content_type="multipart/form-data", data={
        "policy": policy, "csrf_token": csrf_token(instructor, "/verifier/lot"),
        "file": (io.BytesIO(POINTS_CSV), "projets.csv")})
    assert_unknown_policy(lot, "/verifier/lot")
    kept = instructor.post("/instruction/historique", follow_redirects=True, data={
        "lon": "5.4034", "lat": "43.3305", "policy": policy, "fnt": "non",
        "csrf_token": csrf_token(instructor, "/instruction/historique")})
    assert_unknown_policy(kept, "/instruction/historique")  # back to /verifier, which says so
    assert "Vérification non enregistrée\u00a0: politique inconnue" in answer_text(kept)
    login(ministry, "ministry")
    for url in ("/tableau-de-bord", "/tableau-de-bord/export.csv"):
        assert_unknown_policy(ministry.get(url, query_string={"policy": policy}), url)


@pytest.mark.parametrize("kind", BAD_POLICIES)
def test_an_unknown_policy_is_a_usage_error_of_the_commands(api_app, tmp_path, kind):  # noqa: F811
    runner, policy = api_app.test_cli_runner(), BAD_POLICIES[kind]
    source, target = tmp_path / "projets.csv", tmp_path / "verdicts.csv"
    source.write_bytes(POINTS_CSV)
    for args in (["check", "--lon", "5.4034", "--lat", "43.3305"],
                 ["classify", str(source), "-o", str(target)], ["quotas"]):
        result = runner.invoke(args=[*args, "--policy", policy])
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert "politique inconnue" in result.output and "ami-2019, current" in result.output
    assert not target.exists()


# --- a CSV cell over the csv module's limit -------------------------------------------------

@pytest.mark.parametrize("kind", OVER_THE_LIMIT)
def test_a_cell_over_the_csv_limit_is_a_400_naming_its_line_on_the_api(client, kind):  # noqa: F811
    for upload in ({"data": OVER_THE_LIMIT[kind], "content_type": "text/csv"},
                   {"data": {"file": (io.BytesIO(OVER_THE_LIMIT[kind]), "projets.csv")},
                    "content_type": "multipart/form-data"}):
        response = client.post("/api/v1/eligibility/batch", **upload)
        assert_error(response, 400, "file", "ligne 3 : une cellule dépasse 131\u202f072")
        assert response.json["error"]["code"] == "fichier-invalide"


def test_a_header_of_too_many_columns_is_a_400_on_the_api_and_the_page(client, app,  # noqa: F811
                                                                      login):
    """50,000 columns (439 KB) held a worker 30 s, then it was killed: a 500 from gunicorn,
    the lots it ran interrupted. Synthetic: a header of 1,001 columns, one row."""
    many = ("id,lon,lat," + ",".join(f"c{n}" for n in range(998)) + "\na,5.4,43.3\n").encode()
    response = client.post("/api/v1/eligibility/batch", data=many, content_type="text/csv")
    assert_error(response, 400, "file", "1\u202f001 colonnes dans l'en-tête : au plus 1\u202f000")
    instructor = app.test_client()
    login(instructor)
    page = instructor.post("/verifier/lot", content_type="multipart/form-data", data={
        "policy": "current", "csrf_token": csrf_token(instructor, "/verifier/lot"),
        "file": (io.BytesIO(many), "projets.csv")})
    assert page.status_code == 400 and "colonnes dans l'en-tête" in answer_text(page)


def test_a_spreadsheets_trailing_separators_are_not_columns(client):  # noqa: F811
    """A sheet saved as CSV with 1,200 empty columns after the last named one was refused as
    « 1 203 colonnes ». Synthetic: three named columns, 1,200 empty separators."""
    padded = ("id;lon;lat" + ";" * 1200 + "\na;5,4034;43,3305" + ";" * 1200 + "\n").encode()
    response = client.post("/api/v1/eligibility/batch", data=padded, content_type="text/csv")
    assert response.status_code == 200, response.text
    assert response.text.splitlines()[0].split(",")[:3] == ["id", "lon", "lat"]
    assert len(response.text.splitlines()) == 2


@pytest.mark.parametrize("kind", OVER_THE_LIMIT)
def test_a_cell_over_the_csv_limit_is_refused_by_the_batch_page(app, login, kind):
    instructor = app.test_client()
    login(instructor)
    response = instructor.post("/verifier/lot", content_type="multipart/form-data", data={
        "policy": "current", "csrf_token": csrf_token(instructor, "/verifier/lot"),
        "file": (io.BytesIO(OVER_THE_LIMIT[kind]), "projets.csv")})
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert ("Fichier «\u00a0projets.csv\u00a0» refusé\u00a0: ligne 3\u00a0: une cellule dépasse "
            "131\u202f072 caractères") in answer_text(response)


@pytest.mark.parametrize("kind", OVER_THE_LIMIT)
def test_a_cell_over_the_csv_limit_stops_classify_before_writing(api_app, tmp_path,  # noqa: F811
                                                                  kind):
    source, target = tmp_path / "projets.csv", tmp_path / "verdicts.csv"
    source.write_bytes(OVER_THE_LIMIT[kind])
    result = api_app.test_cli_runner().invoke(
        args=["classify", str(source), "-o", str(target), "--quiet"])
    assert result.exit_code == 1, (result.output, result.exception)
    assert "ligne 3 : une cellule dépasse 131\u202f072 caractères" in result.output
    assert result.output.rstrip().endswith("; aucun fichier écrit")
    assert not target.exists() and not list(tmp_path.glob("*.partiel"))


# --- an address of only punctuation or emoji --------------------------------------------------

@pytest.mark.parametrize("address", NOT_ADDRESSES)
def test_an_address_without_letter_or_digit_is_a_400_not_a_503(client, ban_server,  # noqa: F811
                                                                address):
    response = client.get("/api/v1/eligibility", query_string={"address": address})
    assert_error(response, 400, "address", "adresse")
    assert response.json["error"]["code"] == "adresse-invalide"
    page = client.get("/verifier", query_string={"address": address})
    assert page.status_code == 400 and 'role="alert"' in page.text
    said = answer_text(page)
    assert "Adresse invalide" in said or "Adresse trop courte" in said  # a sentence
    assert ban_server.requests == []  # refused before asking the BAN


def test_an_address_the_ban_refuses_is_a_400_not_a_503(client, ban_server):  # noqa: F811
    ban_server.fail_next(1, status=400)
    response = client.get("/api/v1/eligibility", query_string={"address": "20 avenue de Ségur"})
    assert_error(response, 400, "address", "refusée par la Base Adresse Nationale")
    assert response.json["error"]["code"] == "adresse-invalide"
    ban_server.fail_next(1, status=400)
    page = client.get("/verifier", query_string={"address": "8 bd du port"})
    assert page.status_code == 400
    assert "refusée par la Base Adresse Nationale" in answer_text(page)


def test_a_batch_row_without_letter_or_digit_gets_its_own_error(client, ban_server):  # noqa: F811
    data = "id,adresse\np,!!!\ne,😀😀😀\ns,20 avenue de Ségur 75007 Paris\n".encode()
    response = client.post("/api/v1/eligibility/batch?format=json", data=data,
                           content_type="text/csv")
    assert response.status_code == 200, response.text
    rows = {row["id"]: row for row in response.json["rows"]}
    for key, line in (("p", 2), ("e", 3)):
        assert rows[key]["error"].startswith(f"ligne {line} : adresse invalide")
    assert rows["s"]["error"] is None and rows["s"]["commune_code"] == "75056"
    assert [r.rows for r in ban_server.requests if r.method == "POST"] == [1]


@pytest.mark.parametrize("query", ["/api/v1/fabriques?region=84&region=93",
                                   "/api/v1/eligibility?lon=5.4&lat=43.3&lon=2.35",
                                   "/api/v1/fabriques?policy=current&policy=current"])
def test_a_parameter_given_twice_is_a_400_naming_it(client, query):  # noqa: F811
    """One value was read and the other dropped without a word; only the places' types of
    the networks (``kind``) repeat (``tests/app/test_reseaux.py``)."""
    name = query.split("&")[-1].split("=")[0]
    assert_error(client.get(query), 400, name, f"« {name} » donné plusieurs fois")
