"""The schema of each collection's features (``/ogc/collections/{id}/schema``), linked from
the collection document (``rel`` ``describedby``, the OGC's spelling, and ``describedBy``,
the one GDAL 3.6 looks for, type ``application/schema+json``): GDAL's OAPIF driver takes its
fields' types from it (the subsidies ``montant_annee_*`` as Integer, where it guessed String
from a first page of nulls).

It is the schema of a feature in the OpenAPI document (``/ogc/api``, built by
``app.ogc.openapi.feature_schema`` from ``geodata.feature_collections``): one list of fields
for both, in the same dialect, OpenAPI 3.0's (a field that may be null says
``"nullable": true`` next to its one type, the form GDAL 3.6 reads: it takes a list of types
for a String), standing alone (the Link schema written in, not referred to).
"""

from __future__ import annotations

from flask import url_for

from app.ogc.openapi import LINK, feature_schema
from geodata.feature_collections import CollectionInfo

__all__ = ["collection_schema"]


def collection_schema(info: CollectionInfo) -> dict:
    """The schema of ``info``'s features, with its address, title and description."""
    schema = feature_schema(info, LINK)
    properties = schema["properties"]["properties"]
    # GDAL 3.6 adds the sample's ``id`` field, then every field of the schema: an ``id``
    # here too would be a second field of that name (refused by a GeoPackage). The feature's
    # ``id`` says it (a string) and the schema allows other properties.
    properties["properties"].pop("id", None)
    properties["required"] = [name for name in properties["required"] if name != "id"]
    return {"$id": url_for("ogc.collection_schema", collection_id=info.id, _external=True),
            "title": f"{info.title} : un objet",
            "description": f"{info.description} Schéma OpenAPI 3.0 d'un objet GeoJSON de la "
                           "collection (nullable : la valeur peut être null ; la propriété "
                           "id répète l'identifiant de l'objet).",
            **schema}
