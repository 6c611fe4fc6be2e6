"""The OpenAPI document is valid and describes the real responses (openapi-core)."""

from __future__ import annotations

import copy

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.app.test_api import api_app, client  # noqa: F401 - the API on the real layers
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

CALLS = [
    ("GET", "/api/v1/eligibility?lon=5.4034&lat=43.3305", None, None, 200),
    ("GET", "/api/v1/eligibility?lon=3.0&lat=46.0&policy=ami-2019", None, None, 200),
    ("GET", "/api/v1/eligibility?address=Pelleautier", None, None, 200),
    ("GET", "/api/v1/eligibility?lon=abc&lat=43", None, None, 400),
    ("GET", "/api/v1/eligibility?lon=-30&lat=40", None, None, 422),
    ("GET", "/api/v1/eligibility?address=1+rue+qui+n%27existe+pas", None, None, 422),
    ("GET", "/api/v1/eligibility?address=%21%21%21", None, None, 400),
    ("GET", "/api/v1/eligibility?lon=2&lat=46&address=Paris", None, None, 400),
    ("POST", "/api/v1/eligibility/batch?format=json", b"id,lon,lat\n1,5.4,43.3\n2,x,1\n",
     "text/csv", 200),
    ("POST", "/api/v1/eligibility/batch", b"id,lon,lat\n1,5.4,43.3\n", "text/csv", 200),
    ("POST", "/api/v1/eligibility/batch", b"", "text/csv", 400),
    ("GET", "/api/v1/policies", None, None, 200),
    ("GET", "/api/v1/datasets", None, None, 200),
    ("GET", "/api/v1/reseaux/fabriques?q=Hublot", None, None, 200),
    ("GET", "/api/v1/reseaux/fabriques/fabt-02?rule=distance&distance_km=5", None, None, 200),
    ("GET", "/api/v1/reseaux/fabriques/fabt-02", None, None, 200),
    ("GET", "/api/v1/reseaux/fabriques/inconnue", None, None, 404),
    ("GET", "/api/v1/reseaux/declares", None, None, 200),
    ("GET", "/api/v1/reseaux/couverture?distance_km=20&departement=15", None, None, 200),
    ("GET", "/api/v1/reseaux/couverture?distance_km=abc", None, None, 400),
]


def for_openapi_core(document: dict) -> dict:
    """The document with each query object exploded into its properties (``style: form``,
    ``explode: true``, as ``location`` on /eligibility) replaced by one optional parameter per
    property, of any schema its variants give it: openapi-core reads such an object as one
    parameter of its own name, and so would find it missing. The rest is untouched."""
    flat = copy.deepcopy(document)
    for operation in (op for path in flat["paths"].values() for op in path.values()):
        parameters = []
        for parameter in operation.get("parameters", []):
            variants = parameter["schema"].get("oneOf", [parameter["schema"]])
            if parameter["in"] != "query" or not parameter.get("explode") or \
                    variants[0].get("type") != "object":
                parameters.append(parameter)
                continue
            names = dict.fromkeys(name for v in variants for name in v.get("properties", {}))
            parameters += [{"name": name, "in": "query", "schema": {"anyOf": [
                v["properties"][name] for v in variants if name in v.get("properties", {})]}}
                for name in names]
        operation["parameters"] = parameters
    return flat


def test_the_flattening_keeps_every_property_and_its_constraints(client):  # noqa: F811
    served = client.get("/api/v1/openapi.json").json
    names = [p["name"] for p in for_openapi_core(served)["paths"]["/eligibility"]["get"][
        "parameters"]]
    assert names == ["lon", "lat", "precision", "address", "policy"]
    spec = OpenAPI.from_dict(for_openapi_core(served))
    for query in ("lon=200&lat=43", "address=%21%21%21", "lon=2&lat=43&precision=pays"):
        environ = EnvironBuilder(path="/api/v1/eligibility", query_string=query,
                                 base_url="http://localhost").get_environ()
        with pytest.raises(OpenAPIError):
            spec.validate_request(WerkzeugOpenAPIRequest(Request(environ)))


def test_document_is_served_and_valid(client):  # noqa: F811
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    OpenAPI.from_dict(response.json).check_spec()


@pytest.mark.parametrize(("method", "url", "body", "content_type", "status"), CALLS)
def test_real_responses_match_the_document(client, method, url, body,  # noqa: F811
                                           content_type, status):
    served = client.get("/api/v1/openapi.json").json
    spec = OpenAPI.from_dict(served)
    response = client.open(url, method=method, data=body, content_type=content_type)
    assert response.status_code == status, response.text
    environ = EnvironBuilder(path=url.split("?")[0], method=method,
                             query_string=url.partition("?")[2], data=body,
                             content_type=content_type, base_url="http://localhost").get_environ()
    request = WerkzeugOpenAPIRequest(Request(environ))
    if status < 400:  # a bad request is, by design, not what the document allows
        OpenAPI.from_dict(for_openapi_core(served)).validate_request(request)
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))
