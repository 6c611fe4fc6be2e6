"""A NUL character (``%00``) in a path, a parameter or a form field, on both backends:
PostgreSQL refuses it in text, and the service answered 500 there (``psycopg.DataError``)
where the embedded database answered 404. Found by an analyst trying hostile feature ids."""

from __future__ import annotations

import html

import pytest

from tests.app.conftest import csrf_token


@pytest.mark.parametrize("path", ["/fabriques/%00", "/fabriques/fabt-1%00",
                                  "/ogc/collections/fabriques/items/%00",
                                  "/instruction/dossiers/%00"])
def test_a_nul_in_a_path_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_nul_in_a_parameter_is_refused_by_name(client):
    answer = client.get("/api/v1/eligibility?lon=5.4%00&lat=43.3")
    assert answer.status_code == 400 and answer.is_json
    assert answer.json["error"]["message"] == "caractère nul (%00) dans « lon » : retirez-le."
    assert answer.json["error"]["parameter"] == "lon"  # it was null
    policies = client.get("/api/v1/policies?x=%00")
    assert policies.status_code == 400 and policies.json["error"]["parameter"] == "x"
    documented = client.get("/api/v1/openapi.json").json["paths"]["/policies"]["get"]
    assert "400" in documented["responses"]  # any route may answer it
    page = client.get("/carte?recherche=Aurillac%00")
    assert page.status_code == 400
    assert "Caractère nul (%00) dans «\u00a0recherche\u00a0»" in html.unescape(page.text)


def test_a_nul_in_a_form_field_is_refused_by_name(client, login):
    login(client)
    token = csrf_token(client, "/instruction/dossiers")
    answer = client.post("/instruction/dossiers/1234505/avis",
                         data={"csrf_token": token, "avis": "favorable", "texte": "a\x00b"})
    assert answer.status_code == 400
    assert "Caractère nul (%00) dans «\u00a0texte\u00a0»" in html.unescape(answer.text)
