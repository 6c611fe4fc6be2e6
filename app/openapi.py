"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

A test checks every documented response against the real ones (openapi-core).
"""

from __future__ import annotations

from geodata.eligibility.engine import PRECISIONS
from geodata.policy import CATEGORIES

__all__ = ["document"]


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


ELIGIBILITY = {
    "type": "object",
    "required": ["id", "lon", "lat", "precision", "commune_code", "commune_name",
                 "density_level", "density_label", "metropole", "in_qpv", "qpv_code",
                 "qpv_name", "nearest_qpv_code", "distance_to_qpv_m", "near_qpv",
                 "outside_large_urban_centre", "category", "policy", "qpv_vintage",
                 "explanation", "error"],
    "properties": {
        "id": {"type": ["string", "integer", "null"]},
        "lon": {"type": ["number", "string"], "description": "WGS84, degrés"},
        "lat": {"type": ["number", "string"], "description": "WGS84, degrés"},
        "precision": _nullable("string", enum=[*PRECISIONS, None]),
        "commune_code": _nullable("string"),
        "commune_name": _nullable("string"),
        "density_level": _nullable("integer", minimum=1, maximum=7),
        "density_label": _nullable("string"),
        "metropole": _nullable("boolean"),
        "in_qpv": _nullable("boolean", description="vide quand indéterminé"),
        "qpv_code": _nullable("string"),
        "qpv_name": _nullable("string"),
        "nearest_qpv_code": _nullable("string"),
        "distance_to_qpv_m": _nullable("number", minimum=0,
                                       description="mètres, CRS projeté du territoire"),
        "near_qpv": _nullable("boolean"),
        "outside_large_urban_centre": _nullable("boolean"),
        "category": _nullable("string", enum=[*CATEGORIES, None]),
        "policy": {"type": "string"},
        "qpv_vintage": {"type": "string"},
        "explanation": _nullable("string"),
        "error": _nullable("string"),
        "geocoding": {
            "type": "object",
            "required": ["query", "label", "score", "type", "precision", "low_score"],
            "properties": {
                "query": {"type": "string"}, "label": {"type": "string"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "type": {"type": "string",
                         "enum": ["housenumber", "street", "locality", "municipality"]},
                "precision": {"type": "string"}, "citycode": _nullable("string"),
                "low_score": {"type": "boolean"},
            },
        },
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "message", "parameter"],
        "properties": {
            "status": {"type": "integer"}, "code": {"type": "string"},
            "message": {"type": "string"}, "parameter": _nullable("string"),
        },
    }},
}


def _error_responses(*statuses: int) -> dict:
    return {str(s): {"description": "Erreur", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}} for s in statuses}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


POLICY_PARAMETER = _query("policy", {"type": "string"}, "Politique (défaut : current)")


def document() -> dict:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fabriques de Territoire — éligibilité", "version": "1",
                 "description": "Éligibilité territoriale d'un lieu au programme Fabriques de "
                                "Territoire : QPV, proximité, grands centres urbains."},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/eligibility": {"get": {
                "summary": "Verdict pour un point (lon, lat) ou une adresse",
                "parameters": [
                    _query("lon", {"type": "string"}, "Longitude WGS84"),
                    _query("lat", {"type": "string"}, "Latitude WGS84"),
                    _query("address", {"type": "string"}, "Adresse, géocodée par la BAN"),
                    _query("precision", {"type": "string"}, "Précision du point"),
                    POLICY_PARAMETER,
                ],
                "responses": {"200": {"description": "Verdict", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/"
                                                           "Eligibility"}}}},
                              **_error_responses(400, 404, 405, 422, 503)},
            }},
            "/eligibility/batch": {"post": {
                "summary": "Verdicts pour un CSV (id, lon, lat)",
                "parameters": [POLICY_PARAMETER,
                               _query("format", {"type": "string", "enum": ["csv", "json"]},
                                      "Format de la réponse")],
                "requestBody": {"required": True, "content": {
                    "text/csv": {},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "contentMediaType": "text/csv"}}}},
                }},
                "responses": {"200": {"description": "Verdicts", "content": {
                    "text/csv": {},
                    "application/json": {"schema": {
                        "type": "object", "required": ["policy", "rows"],
                        "properties": {"policy": {"type": "string"}, "rows": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Eligibility"}}}}},
                }}, **_error_responses(400, 413)},
            }},
            "/policies": {"get": {
                "summary": "Politiques disponibles",
                "responses": {"200": {"description": "Politiques", "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["policies"],
                        "properties": {"policies": {"type": "array", "items": {
                            "type": "object",
                            "required": ["name", "title", "qpv_vintage", "proximity_m",
                                         "default"],
                            "properties": {"name": {"type": "string"},
                                           "qpv_vintage": {"type": "string"},
                                           "proximity_m": {"type": "number"},
                                           "default": {"type": "boolean"}}}}}}}}}},
            }},
            "/datasets": {"get": {
                "summary": "Versions de données en service",
                "responses": {"200": {"description": "Versions", "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["datasets"],
                        "properties": {"datasets": {"type": "array", "items": {
                            "type": "object",
                            "required": ["source", "vintage", "licence", "checksum",
                                         "complete_for", "loaded_at"],
                            "properties": {"source": {"type": "string"},
                                           "vintage": {"type": "string"},
                                           "checksum": {"type": "string"},
                                           "loaded_at": {"type": "string",
                                                         "format": "date-time"}}}}}}}}}},
            }},
        },
        "components": {"schemas": {"Eligibility": ELIGIBILITY, "Error": ERROR}},
    }
