"""The schema of each collection's features (``/ogc/collections/{id}/schema``, linked
``describedby`` / ``describedBy`` from the collection): the OpenAPI document's feature
schema standing alone, which the features served follow (GDAL 3.6 reads its fields' types
from it: tests/app/test_ogc_gdal.py)."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator

from tests import ogc_data
from tests.ogc_data import get_json

pytestmark = pytest.mark.shared_data
backend, ogc_url = ogc_data.backend, ogc_data.ogc_url  # the module's databases (fixtures)
app, client, engine = ogc_data.app, ogc_data.client, ogc_data.engine

COLLECTIONS = ["fabriques", "qpv2015", "qpv2024", "communes", "lieux"]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_each_collection_links_its_schema(client, collection):
    links = get_json(client, f"/ogc/collections/{collection}")["links"]
    described = [link for link in links if link["rel"].lower() == "describedby"]
    assert {link["rel"] for link in described} == {"describedby", "describedBy"}
    assert {(link["href"], link["type"]) for link in described} == {
        (f"http://localhost/ogc/collections/{collection}/schema", "application/schema+json")}
    answer = client.get(f"/ogc/collections/{collection}/schema")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/schema+json"


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_the_schema_is_the_definitions_and_the_features_follow_it(client, collection):
    schema = get_json(client, f"/ogc/collections/{collection}/schema")
    feature = get_json(client, "/ogc/api")["components"]["schemas"][f"Feature_{collection}"]
    properties = schema["properties"]["properties"]["properties"]
    # one list of fields: the definition's, but the id the feature itself says
    assert properties == {name: field for name, field in feature["properties"]["properties"][
        "properties"].items() if name != "id"}
    assert "$ref" not in str(schema)  # standing alone
    validator = OAS30Validator(schema)
    page = get_json(client, f"/ogc/collections/{collection}/items?limit=1000")
    assert page["features"]
    for served in page["features"]:
        validator.validate(served)


def test_the_amounts_are_integers_that_may_be_null(client):
    fields = get_json(client, "/ogc/collections/fabriques/schema")["properties"][
        "properties"]["properties"]
    for year in (1, 2, 3):
        assert fields[f"montant_annee_{year}"]["type"] == "integer"
        assert fields[f"montant_annee_{year}"]["nullable"] is True


def test_an_unknown_collection_has_no_schema(client):
    answer = client.get("/ogc/collections/inconnue/schema")
    assert answer.status_code == 404 and answer.json["error"]["parameter"] == "collectionId"
