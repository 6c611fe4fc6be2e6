"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

It says what the server enforces, so that a client (and schemathesis, in the tests) knows a
request the server accepts from one it refuses: the shipped policies and the other enums,
numbers typed as numbers with their ranges, what an address must be, and the choice between
lon/lat and an address. The other rooms' paths are in ``openapi_rooms``, the building blocks
and component schemas in ``openapi_schemas``. Tests check every documented response against
the real ones (openapi-core) and run schemathesis over it.
"""

from __future__ import annotations

from app.api.openapi_rooms import room_paths
from app.api.openapi_schemas import (
    SCHEMAS,
    error_responses,
    json_body,
    list_of,
    ok,
    policy_parameter,
    query,
    ref,
)
from geodata.eligibility.engine import PRECISIONS
from geodata.geocoder import GEOCODABLE, MAX_QUERY_CHARS

__all__ = ["document"]

BATCH_DESCRIPTION = (
    "CSV UTF-8 ou Latin-1, séparateur virgule ou point-virgule, virgule décimale acceptée. "
    "Colonnes : `id`, puis `lon` et `lat` (WGS84, `precision` facultative), ou une colonne "
    "`adresse` (`address`), avec `ville`, `code_postal` (`postcode`) et `code_insee` "
    "(`citycode`) facultatives, géocodée par la BAN ; un fichier peut mêler les deux. Les "
    "colonnes produites sont celles du contrat, suivies pour un fichier d'adresses de "
    "`geocoded_label`, `geocoding_score`, `geocoding_type` et `geocoding_warning`. Aucune "
    "ligne n'est perdue : une ligne illisible ou une adresse introuvable garde son numéro de "
    "ligne et la raison dans `error`. 400 pour un fichier illisible (une cellule de plus de "
    "131 072 caractères : la ligne est nommée), 413 au-delà des limites de lignes et "
    "d'adresses, 503 quand la Base Adresse Nationale ne répond pas (rien n'est renvoyé à moitié). "
    "Le CSV rendu est un fichier de données : chaque valeur y est telle quelle (un `id` qui "
    "commence par `=` n'est pas neutralisé) ; pour ouvrir le résultat dans un tableur, la "
    "page /verifier/lot donne un fichier dont aucune cellule n'est lue comme une formule."
)


def _coordinate(name: str, limit: int) -> dict:
    return {"type": "number", "minimum": -limit, "maximum": limit,
            "description": f"{name} WGS84 en degrés décimaux (virgule décimale acceptée)"}


def _location_parameter() -> dict:
    """Either lon and lat (and a precision), or an address: never both, never neither."""
    point = {"type": "object", "required": ["lon", "lat"], "not": {"required": ["address"]},
             "additionalProperties": False,  # another parameter: 400 parametre-inconnu
             "properties": {"lon": _coordinate("Longitude", 180),
                            "lat": _coordinate("Latitude", 90),
                            "precision": {"type": "string", "enum": list(PRECISIONS),
                                          "description": "Précision du point (point par "
                                                         "défaut)"}}}
    address = {"type": "object", "required": ["address"], "additionalProperties": False,
               "not": {"anyOf": [{"required": ["lon"]}, {"required": ["lat"]}]},
               "properties": {"address": {
                   "type": "string", "maxLength": MAX_QUERY_CHARS, "pattern": GEOCODABLE,
                   "description": "Adresse géocodée par la BAN : au plus "
                                  f"{MAX_QUERY_CHARS} caractères, dont 3 au moins une fois "
                                  "la ponctuation de tête retirée et les espaces réduits, "
                                  "le premier une lettre ou un chiffre (motif au sens de "
                                  "Python : \\w est Unicode). 400 `adresse-invalide` sinon, "
                                  "422 `adresse-introuvable` quand la BAN ne la trouve pas."}}}
    return {"name": "location", "in": "query", "required": True, "style": "form",
            "explode": True, "schema": {"oneOf": [point, address]},
            "description": "Soit `lon` et `lat` (et `precision`), soit `address` : pas les "
                           "deux (400 `parametres-incompatibles`) ; tout autre paramètre que "
                           "`policy` est refusé (400 `parametre-inconnu`)"}


def _batch_body() -> dict:
    """A CSV file, as the body or as the ``file`` field of a form."""
    return {"required": True, "content": {
        "text/csv": {},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "contentMediaType": "text/csv"}}},
            "encoding": {"file": {"contentType": "text/csv"}}},
    }}


def _eligibility_paths() -> dict:
    """The verdict for one point or address, and for a CSV file of them."""
    return {
        "/eligibility": {"get": {
            "summary": "Verdict pour un point (lon, lat) ou une adresse",
            "parameters": [_location_parameter(), policy_parameter()],
            "responses": {**ok(ref("Eligibility"), "Verdict"),
                          **error_responses(400, 422, 503)},
        }},
        "/eligibility/batch": {"post": {
            "summary": "Verdicts pour un CSV de coordonnées (id, lon, lat) ou d'adresses",
            "description": BATCH_DESCRIPTION,
            "parameters": [policy_parameter(),
                           query("format", {"type": "string", "enum": ["csv", "json"]},
                                 "Format de la réponse (sinon selon l'en-tête Accept)")],
            "requestBody": _batch_body(),
            "responses": {"200": {
                "description": "Verdicts, une ligne par ligne lue, dans l'ordre",
                "headers": {
                    "X-Fabriques-Erreurs": {"description": "lignes en erreur (CSV)",
                                            "schema": {"type": "string"}},
                    "X-Fabriques-A-Verifier": {
                        "description": "lignes de catégorie « à vérifier » (CSV)",
                        "schema": {"type": "string"}},
                    "X-Fabriques-Adresses-A-Verifier": {
                        "description": "adresses géocodées à vérifier : score faible, "
                                       "commune ou rue seulement (CSV)",
                        "schema": {"type": "string"}},
                },
                "content": {
                    "text/csv": {},
                    **json_body({"type": "object", "required": ["policy", "rows"],
                                 "properties": {"policy": {"type": "string"}, "rows": {
                                     "type": "array", "items": ref("BatchRow")}}}),
                }}, **error_responses(400, 406, 413, 503)},
        }},
    }


def _reference_paths() -> dict:
    """The policies on offer and the data versions in service."""
    policy = {"type": "object", "properties": {
        "name": {"type": "string"}, "qpv_vintage": {"type": "string"},
        "proximity_m": {"type": "number"}, "default": {"type": "boolean"}},
        "required": ["name", "title", "qpv_vintage", "proximity_m", "default"]}
    dataset = {"type": "object", "properties": {
        "source": {"type": "string"}, "vintage": {"type": "string"},
        "checksum": {"type": "string"}, "loaded_at": {"type": "string", "format": "date-time"}},
        "required": ["source", "vintage", "licence", "checksum", "complete_for", "loaded_at"]}
    return {
        "/policies": {"get": {"summary": "Politiques disponibles",
                              "responses": ok(list_of("policies", policy), "Politiques")}},
        "/datasets": {"get": {"summary": "Versions de données en service",
                              "responses": ok(list_of("datasets", dataset), "Versions")}},
    }


COMMON_ERRORS = (400, 414, 429, 503)
"""What any route may answer: a parameter holding a NUL character (400, naming it), a URL
over 4,000 characters (414), too many requests from the client (429, with ``Retry-After``
in seconds), the database down (503 ``base-indisponible``) or without the service's schema
(503 ``schema-absent``)."""


def _with_common_errors(paths: dict) -> dict:
    """Every operation of ``paths`` with the errors any route may answer."""
    for operations in paths.values():
        for operation in operations.values():
            operation["responses"] = {**error_responses(*COMMON_ERRORS),
                                      **operation["responses"]}
    return paths


def document() -> dict:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fabriques de Territoire — éligibilité", "version": "1",
                 "description": "Éligibilité territoriale d'un lieu au programme Fabriques de "
                                "Territoire : QPV, proximité, grands centres urbains. Un texte "
                                "ne contient jamais de caractère nul (%00) : un paramètre qui en "
                                "a un est refusé (400)."},
        "servers": [{"url": "/api/v1"}],
        "paths": _with_common_errors({**_eligibility_paths(), **_reference_paths(),
                                      **room_paths()}),
        "components": {"schemas": SCHEMAS},
    }


def documented_parameters() -> frozenset[str]:
    """Every query parameter the document names, the properties of an exploded object
    included (``lon``, ``lat``, ``address`` of ``location``)."""
    names: set[str] = set()

    def properties(schema: dict) -> None:
        names.update(schema.get("properties", {}))
        for key in ("oneOf", "anyOf", "allOf"):
            for part in schema.get(key, ()):
                properties(part)

    for operations in document()["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") == "query":
                    names.add(parameter["name"])
                    properties(parameter.get("schema", {}))
    return frozenset(names)
