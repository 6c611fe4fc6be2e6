"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

A test checks every documented response against the real ones (openapi-core).
"""

from __future__ import annotations

from geodata.eligibility.columns import COLUMNS
from geodata.eligibility.engine import PRECISIONS
from geodata.policy import CATEGORIES
from geodata.storage.map_layers import LAYERS

__all__ = ["document"]

BAN_TYPES = ["housenumber", "street", "locality", "municipality"]
"""The kinds of place the BAN geocoder answers with."""


def _nullable(kind: str, **extra) -> dict:
    """A value of ``kind`` or null."""
    return {"type": [kind, "null"], **extra}


def _ref(name: str) -> dict:
    """A reference to one of the document's schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    """An object of ``properties``, all of them required unless ``required`` says which."""
    return {"type": "object", "required": list(properties) if required is None else required,
            "properties": properties}


def _list_of(key: str, items: dict) -> dict:
    """An object holding one required list, ``key``, of ``items``."""
    return _object({key: {"type": "array", "items": items}})


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


def _json(schema: dict) -> dict:
    """A JSON body of ``schema``."""
    return {"application/json": {"schema": schema}}


def _ok(schema: dict, description: str) -> dict:
    """A 200 response with a JSON body."""
    return {"200": {"description": description, "content": _json(schema)}}


def _error_responses(*statuses: int) -> dict:
    """The error responses (one JSON shape for all) of ``statuses``."""
    return {str(s): {"description": "Erreur", "content": _json(_ref("Error"))} for s in statuses}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    """A query parameter."""
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


def _in_path(name: str, kind: str) -> dict:
    """A path parameter of type ``kind``."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


POLICY_PARAMETER = _query("policy", {"type": "string"}, "Politique (défaut : current)")
BATCH_DESCRIPTION = (
    "CSV UTF-8 ou Latin-1, séparateur virgule ou point-virgule, virgule décimale acceptée. "
    "Colonnes : `id`, puis `lon` et `lat` (WGS84, `precision` facultative), ou une colonne "
    "`adresse` (`address`), avec `ville`, `code_postal` (`postcode`) et `code_insee` "
    "(`citycode`) facultatives, géocodée par la BAN ; un fichier peut mêler les deux. Les "
    "colonnes produites sont celles du contrat, suivies pour un fichier d'adresses de "
    "`geocoded_label`, `geocoding_score`, `geocoding_type` et `geocoding_warning`. Aucune "
    "ligne n'est perdue : une ligne illisible ou une adresse introuvable garde son numéro de "
    "ligne et la raison dans `error`. 503 quand le géocodeur ne répond pas (rien n'est "
    "renvoyé à moitié)."
)


FABRIQUE = {
    "type": "object",
    "required": ["id", "name", "commune_code", "commune_name", "departement_code",
                 "region_code", "wave", "kind", "fnt", "precision", "category",
                 "category_label", "policy"],
    "properties": {
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
"""A Fabrique de Territoire as the public map lists it."""

FEATURES = _object({"type": {"const": "FeatureCollection"}, "features": {
    "type": "array", "items": _object({"type": {"const": "Feature"},
                                       "geometry": {"type": ["object", "null"]},
                                       "properties": {"type": "object"}})}})


def _map_paths() -> dict:
    """The public map's routes: layers by bounding box and zoom, the selected Fabriques."""
    geojson = {"application/geo+json": {"schema": _ref("Features")}}
    selection = [
        POLICY_PARAMETER,
        _query("wave", {"type": "string"}, "Vague ; « unknown » : non publiée"),
        _query("category", {"type": "string", "enum": list(CATEGORIES)}, "Catégorie de quota"),
        _query("region", {"type": "string"}, "Code INSEE de la région"),
        _query("departement", {"type": "string"}, "Code INSEE du département"),
        _query("fnt", {"type": "string", "enum": ["true", "false", "unknown"]},
               "Fabrique Numérique de Territoire ; « unknown » : type non publié"),
        _query("format", {"type": "string", "enum": ["geojson", "csv"]},
               "geojson (défaut) ou csv (UTF-8 avec BOM, séparateur ;)"),
    ]
    return {
        "/couches/{layer}": {"get": {
            "summary": "Une couche de la carte publique dans une emprise, simplifiée pour le zoom",
            "description": "Les entités qui coupent l'emprise, simplifiées avec une tolérance "
                           "en mètres (une fraction de pixel au zoom demandé) dans le CRS "
                           "projeté de leur territoire, coordonnées arrondies à ce que le zoom "
                           "montre. `densite` demande un zoom d'au moins "
                           f"{LAYERS['densite'].min_zoom} (400 `zoom-insuffisant` sinon).",
            "parameters": [
                {"name": "layer", "in": "path", "required": True,
                 "schema": {"type": "string", "enum": list(LAYERS)},
                 "description": "departements (fond de carte), qpv, densite, metropoles"},
                _query("bbox", {"type": "string"},
                       "minlon,minlat,maxlon,maxlat en degrés WGS84", True),
                _query("zoom", {"type": "integer", "minimum": 0, "maximum": 20},
                       "Niveau de zoom de la carte (0 à 20)", True),
                _query("vintage", {"type": "string"}, "Millésime des QPV (couche qpv)"),
            ],
            "responses": {
                "200": {"description": "GeoJSON (WGS84)", "content": geojson, "headers": {
                    "ETag": {"description": "version des données et requête",
                             "schema": {"type": "string"}},
                    "Cache-Control": {"description": "mise en cache publique",
                                      "schema": {"type": "string"}}}},
                "304": {"description": "Inchangée depuis l'ETag donné (If-None-Match)"},
                **_error_responses(400),
            },
        }},
        "/fabriques": {"get": {
            "summary": "Les Fabriques lauréates de la sélection, avec leur catégorie",
            "parameters": selection,
            "responses": {"200": {"description": "GeoJSON (géométrie nulle si la position est "
                                                 "inconnue) ou CSV", "content": {
                "application/geo+json": {"schema": {"allOf": [
                    _ref("Features"),
                    {"properties": {"features": {"items": {"properties": {
                        "properties": _ref("Fabrique")}}}}}]}},
                "text/csv": {}}}, **_error_responses(400)},
        }},
    }


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
    "fabrique": {"oneOf": [_ref("Place"), {"type": "null"}]},
    "epci": {"type": ["object", "null"]},
    "distance_m": _nullable("number"),
    "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    "members": {"type": "array", "items": _ref("Place")},
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


def _network_paths() -> dict:
    """Tiers-lieux networks around the Fabriques, and the networks a file declared."""
    network = _ref("Network")
    rule = [
        _query("rule", {"type": "string", "enum": ["epci", "distance"]},
               "Règle : même EPCI (défaut) ou distance"),
        _query("distance_km", {"type": "string"}, "Distance en km (règle distance)"),
        _query("kind", {"type": "string"}, "Type de lieu retenu (répétable)"),
    ]
    return {
        "/reseaux/fabriques": {"get": {
            "summary": "Chercher une Fabrique (nom, commune ou identifiant)",
            "parameters": [_query("q", {"type": "string"}, "Texte cherché")],
            "responses": _ok(_list_of("fabriques", _ref("Place")), "Fabriques trouvées"),
        }},
        "/reseaux/fabriques/{fabrique}": {"get": {
            "summary": "Le réseau d'une Fabrique : ses lieux selon la règle, avec les comptes",
            "parameters": [_in_path("fabrique", "string"), *rule],
            "responses": {**_ok(network, "Réseau"), **_error_responses(400, 404)},
        }},
        "/reseaux/declares": {"get": {
            "summary": "Les réseaux déclarés par un fichier importé",
            "responses": _ok(_list_of("networks", {"type": "object"}), "Réseaux déclarés"),
        }},
        "/reseaux/declares/{network_id}": {"get": {
            "summary": "Un réseau déclaré",
            "parameters": [_in_path("network_id", "integer")],
            "responses": {**_ok(network, "Réseau"), **_error_responses(404)},
        }},
    }


def _coverage_paths() -> dict:
    """The territory's coverage: what lies farther than X km from every Fabrique."""
    coverage = _object({"threshold_m": {"type": "number"}, "measure": {"type": "string"},
                        "departements": {"type": "array", "items": _ref("CoverageRow")},
                        "total": _ref("CoverageRow"), "communes": {"type": ["array", "null"]}})
    return {
        "/reseaux/couverture": {"get": {
            "summary": "Territoires non pourvus : communes et population à plus de X km "
                       "de toute Fabrique, par département",
            "parameters": [
                _query("distance_km", {"type": "string"}, "Seuil X en km (défaut 20)"),
                _query("measure", {"type": "string", "enum": ["contour", "point"]},
                       "Distance depuis le contour de la commune (défaut) ou un point"),
                _query("departement", {"type": "string"},
                       "Code du département : liste aussi ses communes non pourvues"),
            ],
            "responses": {**_ok(coverage, "Couverture"), **_error_responses(400, 404)},
        }},
    }


def _eligibility_paths() -> dict:
    """The verdict for one point or address, and for a CSV file of them."""
    return {
        "/eligibility": {"get": {
            "summary": "Verdict pour un point (lon, lat) ou une adresse",
            "parameters": [
                _query("lon", {"type": "string"}, "Longitude WGS84"),
                _query("lat", {"type": "string"}, "Latitude WGS84"),
                _query("address", {"type": "string"}, "Adresse, géocodée par la BAN"),
                _query("precision", {"type": "string"}, "Précision du point"),
                POLICY_PARAMETER,
            ],
            "responses": {**_ok(_ref("Eligibility"), "Verdict"),
                          **_error_responses(400, 404, 405, 422, 503)},
        }},
        "/eligibility/batch": {"post": {
            "summary": "Verdicts pour un CSV de coordonnées (id, lon, lat) ou d'adresses",
            "description": BATCH_DESCRIPTION,
            "parameters": [POLICY_PARAMETER,
                           _query("format", {"type": "string", "enum": ["csv", "json"]},
                                  "Format de la réponse")],
            "requestBody": {"required": True, "content": {
                "text/csv": {},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "contentMediaType": "text/csv"}}}},
            }},
            "responses": {"200": {
                "description": "Verdicts, une ligne par ligne lue, dans l'ordre",
                "headers": {
                    "X-Fabriques-Erreurs": {"description": "lignes en erreur (CSV)",
                                            "schema": {"type": "string"}},
                    "X-Fabriques-A-Verifier": {
                        "description": "adresses classées à vérifier (CSV)",
                        "schema": {"type": "string"}},
                },
                "content": {
                    "text/csv": {},
                    **_json(_object({"policy": {"type": "string"}, "rows": {
                        "type": "array", "items": _ref("BatchRow")}})),
                }}, **_error_responses(400, 413, 503)},
        }},
    }


def _reference_paths() -> dict:
    """The policies on offer and the data versions in service."""
    policy = _object({"name": {"type": "string"}, "qpv_vintage": {"type": "string"},
                      "proximity_m": {"type": "number"}, "default": {"type": "boolean"}},
                     required=["name", "title", "qpv_vintage", "proximity_m", "default"])
    dataset = _object({"source": {"type": "string"}, "vintage": {"type": "string"},
                       "checksum": {"type": "string"},
                       "loaded_at": {"type": "string", "format": "date-time"}},
                      required=["source", "vintage", "licence", "checksum", "complete_for",
                                "loaded_at"])
    return {
        "/policies": {"get": {"summary": "Politiques disponibles",
                              "responses": _ok(_list_of("policies", policy), "Politiques")}},
        "/datasets": {"get": {"summary": "Versions de données en service",
                              "responses": _ok(_list_of("datasets", dataset), "Versions")}},
    }


SCHEMAS = {"Eligibility": ELIGIBILITY, "BatchRow": BATCH_ROW, "Error": ERROR,
           "Fabrique": FABRIQUE, "Features": FEATURES, "Place": PLACE, "Network": NETWORK,
           "CoverageRow": COVERAGE_ROW}
"""The schemas the paths refer to (``_ref``)."""


def document() -> dict:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fabriques de Territoire — éligibilité", "version": "1",
                 "description": "Éligibilité territoriale d'un lieu au programme Fabriques de "
                                "Territoire : QPV, proximité, grands centres urbains."},
        "servers": [{"url": "/api/v1"}],
        "paths": {**_eligibility_paths(), **_reference_paths(), **_map_paths(),
                  **_network_paths(), **_coverage_paths()},
        "components": {"schemas": SCHEMAS},
    }
