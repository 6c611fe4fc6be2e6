"""The building blocks of the OpenAPI document (``app.api.openapi``): small constructors for
parameters and responses, and the component schemas the paths refer to."""

from __future__ import annotations

from geodata.eligibility.columns import COLUMNS
from geodata.eligibility.engine import PRECISIONS
from geodata.policy import CATEGORIES, available_policies
from geodata.publication import COLUMNS as OPEN_COLUMNS

__all__ = ["BAN_TYPES", "NUMBER", "SCHEMAS", "error_responses", "in_path", "json_body",
           "list_of", "ok", "policy_parameter", "query", "ref"]

BAN_TYPES = ["housenumber", "street", "locality", "municipality"]
"""The kinds of place the BAN geocoder answers with."""
NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
"""A decimal number as written in a URL (``geodata.checks.parse_coordinate`` reads it)."""


def _nullable(kind: str, **extra) -> dict:
    """A value of ``kind`` or null."""
    return {"type": [kind, "null"], **extra}


def ref(name: str) -> dict:
    """A reference to one of the document's schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    """An object of ``properties``, all of them required unless ``required`` says which."""
    return {"type": "object", "required": list(properties) if required is None else required,
            "properties": properties}


def list_of(key: str, items: dict) -> dict:
    """An object holding one required list, ``key``, of ``items``."""
    return _object({key: {"type": "array", "items": items}})


def json_body(schema: dict) -> dict:
    """A JSON body of ``schema``."""
    return {"application/json": {"schema": schema}}


def ok(schema: dict, description: str) -> dict:
    """A 200 response with a JSON body."""
    return {"200": {"description": description, "content": json_body(schema)}}


def error_responses(*statuses: int) -> dict:
    """The error responses (one JSON shape for all) of ``statuses``."""
    return {str(s): {"description": "Erreur", "content": json_body(ref("Error"))}
            for s in statuses}


def query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    """A query parameter."""
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


def in_path(name: str, schema: dict) -> dict:
    """A path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": schema}


def policy_parameter(empty_is_default: bool = False) -> dict:
    """``policy``: one of the shipped policies (an empty value is the default one where the
    route says so)."""
    names = [*available_policies(), *([""] if empty_is_default else [])]
    return query("policy", {"type": "string", "enum": names},
                 "Politique appliquée (défaut : current ; voir /policies)"
                 + (" ; vide : la politique par défaut" if empty_is_default else ""))


ELIGIBILITY = {
    "type": "object",
    "required": list(COLUMNS),
    "properties": {
        "id": {"type": ["string", "integer", "null"]},
        "lon": {"type": ["number", "string"], "description": "WGS84, degrés"},
        "lat": {"type": ["number", "string"], "description": "WGS84, degrés"},
        "precision": _nullable("string", enum=[*PRECISIONS, None]),
        "commune_code": _nullable("string"), "commune_name": _nullable("string"),
        "density_level": _nullable("integer", minimum=1, maximum=7),
        "density_label": _nullable("string"), "metropole": _nullable("boolean"),
        "in_qpv": _nullable("boolean", description="vide quand indéterminé"),
        "qpv_code": _nullable("string"), "qpv_name": _nullable("string"),
        "nearest_qpv_code": _nullable("string"),
        "distance_to_qpv_m": _nullable("number", minimum=0,
                                       description="mètres, CRS projeté du territoire"),
        "near_qpv": _nullable("boolean"),
        "outside_large_urban_centre": _nullable("boolean"),
        "category": _nullable("string", enum=[*CATEGORIES, None]),
        "policy": {"type": "string"}, "qpv_vintage": {"type": "string"},
        "explanation": _nullable("string"), "error": _nullable("string"),
        "geocoding": {
            "type": "object",
            "required": ["query", "label", "score", "type", "precision", "low_score"],
            "properties": {
                "query": {"type": "string"}, "label": {"type": "string"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "type": {"type": "string", "enum": BAN_TYPES},
                "precision": {"type": "string"}, "citycode": _nullable("string"),
                "low_score": {"type": "boolean"},
            },
        },
    },
}

BATCH_ROW = {
    **ELIGIBILITY,
    "properties": {
        **{k: v for k, v in ELIGIBILITY["properties"].items() if k != "geocoding"},
        "lon": {"type": ["number", "string", "null"],
                "description": "WGS84 ; tel que donné pour une ligne illisible, null pour "
                               "une adresse introuvable"},
        "lat": {"type": ["number", "string", "null"], "description": "WGS84, degrés"},
        "geocoded_label": _nullable("string", description="adresse trouvée par la BAN"),
        "geocoding_score": _nullable("number", minimum=0, maximum=1),
        "geocoding_type": _nullable("string", enum=[*BAN_TYPES, None]),
        "geocoding_warning": _nullable("string",
                                       description="« score faible : à vérifier », filtre "
                                                   "ignoré ; vide sinon"),
    },
}
"""A row of a batch: the contract's keys, plus the geocoding keys for an address file."""

ERROR = _object({"error": _object({
    "status": {"type": "integer"}, "code": {"type": "string"},
    "message": {"type": "string"}, "parameter": _nullable("string"),
})})

_OPEN_TYPES = {"string": "string", "number": "number", "integer": "integer"}


def _open_property(column) -> dict:
    """The schema of an open data column (``geodata.publication``): its type or null, its
    constraints as JSON Schema says them, its French description."""
    constraints = dict(column.constraints or {})
    schema = {"type": [_OPEN_TYPES[column.type], "null"], "description": column.description}
    if "enum" in constraints:
        schema["enum"] = [*constraints["enum"], None]
    if "pattern" in constraints:
        schema["pattern"] = f"^{constraints['pattern']}$"
    for key in ("minimum", "maximum"):
        if key in constraints:
            schema[key] = constraints[key]
    return schema


FABRIQUE = {
    "type": "object",
    "required": list(dict.fromkeys([
        "id", "name", "commune_code", "commune_name", "departement_code", "region_code",
        "wave", "kind", "fnt", "precision", "category", "category_label", "policy",
        *(c.name for c in OPEN_COLUMNS if c.name not in ("lon", "lat"))])),
    "properties": {
        **{column.name: _open_property(column) for column in OPEN_COLUMNS
           if column.name not in ("lon", "lat")},
        "id": {"type": "string"}, "name": {"type": "string"},
        "commune_code": {"type": "string"}, "commune_name": _nullable("string"),
        "departement_code": _nullable("string"), "departement_name": _nullable("string"),
        "region_code": _nullable("string"), "region_name": _nullable("string"),
        "wave": _nullable("string", description="vide : non publiée"),
        "kind": _nullable("string", enum=["FT", "FNT", None],
                          description="vide : non publié"),
        "fnt": _nullable("boolean"), "precision": {"type": "string"},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "category_label": {"type": "string"}, "policy": {"type": "string"},
    },
}
"""A Fabrique de Territoire as the public map lists it (English keys, kept for the programs
that read them), then the columns of the open data publication (French keys, those of
``fabriques laureats publier``)."""

FEATURES = _object({"type": {"const": "FeatureCollection"}, "features": {
    "type": "array", "items": _object({"type": {"const": "Feature"},
                                       "geometry": {"type": ["object", "null"]},
                                       "properties": {"type": "object"}})}})

PLACE = _object({
    "kind": {"type": "string"}, "kind_label": {"type": "string"},
    "id": {"type": "string"}, "name": {"type": "string"},
    "commune_code": _nullable("string"), "commune_name": _nullable("string"),
    "lon": {"type": "number"}, "lat": {"type": "number"},
    "precision": {"type": "string"},
    "distance_m": _nullable("number", description="mètres, CRS projeté du territoire"),
    "role": _nullable("string"),
})
"""A place of a network (or the Fabrique at its centre)."""

NETWORK = _object({
    "name": {"type": "string"},
    "rule": {"type": "string", "enum": ["epci", "distance", "declared"]},
    "fabrique": {"oneOf": [ref("Place"), {"type": "null"}]},
    "epci": {"type": ["object", "null"]},
    "distance_m": _nullable("number"),
    "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    "members": {"type": "array", "items": ref("Place")},
    "missing": {"type": "array", "items": {"type": "object"}},
})
"""A Fabrique's network: its places, by the chosen rule, with counts per kind."""

COVERAGE_ROW = _object({
    "code": _nullable("string"), "name": _nullable("string"),
    "communes": {"type": "integer"}, "population": {"type": "integer"},
    "uncovered_communes": {"type": "integer"},
    "uncovered_population": {"type": "integer"},
    "unknown_communes": {"type": "integer"}, "share": _nullable("number"),
})
"""Communes and population of a département farther than the threshold from any Fabrique."""

SCHEMAS = {"Eligibility": ELIGIBILITY, "BatchRow": BATCH_ROW, "Error": ERROR,
           "Fabrique": FABRIQUE, "Features": FEATURES, "Place": PLACE, "Network": NETWORK,
           "CoverageRow": COVERAGE_ROW}
"""The schemas the paths refer to (``ref``)."""
