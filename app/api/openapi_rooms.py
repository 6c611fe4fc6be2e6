"""The paths of the other rooms' JSON in the OpenAPI document (``app.api.openapi``): the
public map (``app.carte.api``) and the networks and coverage (``app.reseaux.api``).

Parameters say what the server enforces: enums, numbers and their ranges, the ``bbox``
pattern. What a schema cannot say is in the descriptions: rules between parameters (an
emprise whose minimum is below its maximum, small enough for the zoom) and values that must
exist in the loaded data (a région, a département, a kind of place): those get a 400 or a 404.
"""

from __future__ import annotations

from app.api.openapi_schemas import (
    NUMBER,
    error_responses,
    in_path,
    list_of,
    ok,
    policy_parameter,
    query,
    ref,
)
from geodata.coverage import MAX_THRESHOLD_KM, MEASURES
from geodata.geocoder import GEOCODABLE, MAX_QUERY_CHARS
from geodata.networks import KIND_LABELS, MAX_DISTANCE_M
from geodata.policy import CATEGORIES, qpv_vintages
from geodata.storage.map_layers import LAYERS
from maps.vector import MAX_ZOOM

__all__ = ["room_paths"]

BBOX = f"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"


def _layer_parameters() -> list[dict]:
    """A layer, its view (bounding box and zoom) and the QPV vintage."""
    return [
        in_path("layer", {"type": "string", "enum": list(LAYERS)})
        | {"description": "departements (fond de carte), qpv, densite, metropoles"},
        query("bbox", {"type": "string", "pattern": BBOX},
              "minlon,minlat,maxlon,maxlat en degrés WGS84 : -180 ≤ minlon < maxlon ≤ 180, "
              "-90 ≤ minlat < maxlat ≤ 90, pas plus large qu'un écran au zoom demandé "
              "(400 sinon)", True),
        query("zoom", {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
              f"Niveau de zoom de la carte (0 à {MAX_ZOOM})", True),
        query("vintage", {"type": "string", "enum": [*qpv_vintages(), ""]},
              "Millésime des QPV (couche qpv) ; vide : celui de la politique par défaut"),
    ]


def _selection_parameters() -> list[dict]:
    """The selection of laureates the map shows."""
    return [
        policy_parameter(empty_is_default=True),
        query("wave", {"type": "string", "maxLength": 32},
              "Vague ; « unknown » : non publiée"),
        query("category", {"type": "string", "enum": [*CATEGORIES, ""]},
              "Catégorie de quota"),
        query("region", {"type": "string"}, "Code INSEE d'une région chargée (400 sinon)"),
        query("departement", {"type": "string"},
              "Code INSEE d'un département chargé (400 sinon)"),
        query("fnt", {"type": "string", "enum": ["true", "false", "unknown", ""]},
              "Fabrique Numérique de Territoire ; « unknown » : type non publié"),
        query("format", {"type": "string", "enum": ["geojson", "csv", ""]},
              "geojson (défaut) ou csv pour tableur (UTF-8 avec BOM, séparateur ;) : les "
              "colonnes de la carte, puis celles des données ouvertes qu'elles n'ont pas"),
    ]


def _map_paths() -> dict:
    """The public map's routes: layers by bounding box and zoom, the selected Fabriques."""
    geojson = {"application/geo+json": {"schema": ref("Features")}}
    return {
        "/couches/{layer}": {"get": {
            "summary": "Une couche de la carte publique dans une emprise, simplifiée pour le zoom",
            "description": "Les entités qui coupent l'emprise, simplifiées avec une tolérance "
                           "en mètres (une fraction de pixel au zoom demandé) dans le CRS "
                           "projeté de leur territoire, coordonnées arrondies à ce que le zoom "
                           "montre. GeoJSON RFC 7946 : des `MultiPolygon` valides, anneaux "
                           "extérieurs antihoraires, trous horaires ; les entités d'une couche "
                           "forment une couverture. `densite` demande un zoom d'au moins "
                           f"{LAYERS['densite'].min_zoom} (400 `zoom-insuffisant` sinon).",
            "parameters": _layer_parameters(),
            "responses": {
                "200": {"description": "GeoJSON (WGS84)", "content": geojson, "headers": {
                    "ETag": {"description": "version des données et requête",
                             "schema": {"type": "string"}},
                    "Cache-Control": {"description": "mise en cache publique",
                                      "schema": {"type": "string"}}}},
                "304": {"description": "Inchangée depuis l'ETag donné (If-None-Match)"},
                **error_responses(400),
            },
        }},
        "/fabriques": {"get": {
            "summary": "Les Fabriques lauréates de la sélection, avec leur catégorie",
            "description": "Chaque Fabrique une fois (une Fabrique décidée par le jury qui est "
                           "la même qu'une Fabrique de la liste publiée est servie sous "
                           "l'identifiant publié, avec la vague, le type, le SIRET et les "
                           "montants de la décision). Les clés anglaises de la carte restent ; "
                           "les clés françaises sont les colonnes des données ouvertes "
                           "(`fabriques laureats publier` : fabriques.csv et son schema.json).",
            "parameters": _selection_parameters(),
            "responses": {"200": {"description": "GeoJSON (géométrie nulle si la position est "
                                                 "inconnue) ou CSV", "content": {
                "application/geo+json": {"schema": {"allOf": [
                    ref("Features"),
                    {"properties": {"features": {"items": {"properties": {
                        "properties": ref("Fabrique")}}}}}]}},
                "text/csv": {}}}, **error_responses(400)},
        }},
        "/fabriques/proches": _nearest_path(),
    }


def _nearest_path() -> dict:
    """``/fabriques/proches``: the Fabriques nearest a place."""
    return {"get": {
        "summary": "Les Fabriques les plus proches d'un lieu",
        "description": "Le lieu : `lon` et `lat` (WGS84), ou `q` (code INSEE ou postal, "
                       "cherché parmi les communes chargées ; sinon une adresse, géocodée "
                       "par la BAN, et parmi les noms des communes quand la BAN est "
                       "injoignable, ce que dit `avertissement`). Distances en mètres, "
                       "mesurées dans la projection du territoire (Lambert-93 en "
                       "métropole), vers les Fabriques du même territoire.",
        "parameters": [
            _place_parameter(),
            {"name": "n", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}},
            policy_parameter()],
        "responses": {"200": {"description": "Le lieu trouvé et les Fabriques, la plus "
                                             "proche d'abord",
                              "content": {"application/json": {"schema": {
                                  "type": "object",
                                  "required": ["lieu", "avertissement", "fabriques"]}}}},
                      **error_responses(400, 422)},
    }}


def _place_parameter() -> dict:
    """Either ``lon`` and ``lat``, or ``q``: never both, never neither."""
    point = {"type": "object", "required": ["lon", "lat"], "not": {"required": ["q"]},
             "properties": {"lon": {"type": "number", "minimum": -180, "maximum": 180},
                            "lat": {"type": "number", "minimum": -90, "maximum": 90}}}
    query = {"type": "object", "required": ["q"],
             "not": {"anyOf": [{"required": ["lon"]}, {"required": ["lat"]}]},
             "properties": {"q": {"type": "string", "maxLength": MAX_QUERY_CHARS,
                                  "pattern": GEOCODABLE,
                                  "description": "commune, code postal ou adresse"}}}
    return {"name": "lieu", "in": "query", "required": True, "style": "form",
            "explode": True, "schema": {"oneOf": [point, query]},
            "description": "Soit `lon` et `lat` (WGS84), soit `q`"}


def _kilometres(maximum: float, exclusive_zero: bool) -> dict:
    """A distance in km (a decimal comma is accepted too), or empty for the default one."""
    low = {"exclusiveMinimum": 0} if exclusive_zero else {"minimum": 0}
    return {"anyOf": [{"type": "number", **low, "maximum": maximum}, {"const": ""}]}


def _rule_parameter() -> dict:
    """The rule of a network, with the distance the ``distance`` rule reads (only it)."""
    return {
        "name": "regle", "in": "query", "style": "form", "explode": True,
        "description": "`rule` : même EPCI (défaut ; la commune de la Fabrique doit être "
                       "membre d'un EPCI chargé, 400 sinon), `distance` avec `distance_km` "
                       f"(au plus {MAX_DISTANCE_M / 1000:g} km, 10 par défaut), ou "
                       "`declared` (le réseau déclaré de la Fabrique, 404 s'il n'y en a pas)",
        "schema": {"oneOf": [
            {"type": "object", "properties": {"rule": {"const": "epci"}}},
            {"type": "object", "required": ["rule"], "properties": {
                "rule": {"const": "distance"},
                "distance_km": _kilometres(MAX_DISTANCE_M / 1000, exclusive_zero=True)}},
            {"type": "object", "required": ["rule"], "properties": {
                "rule": {"const": "declared"}}},
        ]},
    }


def _kind_parameter() -> dict:
    return {"name": "kind", "in": "query", "style": "form", "explode": True,
            "schema": {"type": "array", "items": {"type": "string", "enum": list(KIND_LABELS)}},
            "description": "Types de lieux retenus (répétable ; un type sans lieu chargé : 400)"}


def _network_paths() -> dict:
    """Tiers-lieux networks around the Fabriques, and the networks a file declared."""
    network = ref("Network")
    return {
        "/reseaux/fabriques": {"get": {
            "summary": "Chercher une Fabrique (nom, commune ou identifiant)",
            "parameters": [query("q", {"type": "string"}, "Texte cherché")],
            "responses": ok(list_of("fabriques", ref("Place")), "Fabriques trouvées"),
        }},
        "/reseaux/fabriques/{fabrique}": {"get": {
            "summary": "Le réseau d'une Fabrique : ses lieux selon la règle, avec les comptes",
            "parameters": [in_path("fabrique", {"type": "string"}), _rule_parameter(),
                           _kind_parameter()],
            "responses": {**ok(network, "Réseau"), **error_responses(400, 404)},
        }},
        "/reseaux/declares": {"get": {
            "summary": "Les réseaux déclarés par un fichier importé",
            "responses": ok(list_of("networks", {"type": "object"}), "Réseaux déclarés"),
        }},
        "/reseaux/declares/{network_id}": {"get": {
            "summary": "Un réseau déclaré",
            "parameters": [in_path("network_id", {"type": "integer", "minimum": 0})],
            "responses": {**ok(network, "Réseau"), **error_responses(404)},
        }},
    }


def _coverage_paths() -> dict:
    """The territory's coverage: what lies farther than X km from every Fabrique."""
    coverage = {"type": "object", "required": ["threshold_m", "measure", "fabriques",
                                               "fabriques_without_location", "departements",
                                               "total", "communes"], "properties": {
        "threshold_m": {"type": "number"}, "measure": {"type": "string"},
        "fabriques": {"type": "integer", "description":
                      "Fabriques chargées ; 0 : couverture incalculable (tout est inconnu)"},
        "fabriques_without_location": {
            "type": "array", "items": {"type": "string"},
            "description": "Fabriques sans localisation ni commune connue : les communes de "
                           "leur territoire au-delà du seuil sont comptées inconnues"},
        "departements": {"type": "array", "items": ref("CoverageRow")},
        "total": ref("CoverageRow"), "communes": {"type": ["array", "null"]}}}
    return {
        "/reseaux/couverture": {"get": {
            "summary": "Territoires non pourvus : communes et population à plus de X km "
                       "de toute Fabrique, par département",
            "parameters": [
                query("distance_km", _kilometres(MAX_THRESHOLD_KM, exclusive_zero=False),
                      "Seuil X en km (défaut 20)"),
                query("measure", {"type": "string", "enum": list(MEASURES)},
                      "Distance depuis le contour de la commune (défaut) ou un point"),
                query("departement", {"type": "string"},
                      "Code d'un département chargé (404 sinon) : liste aussi ses communes "
                      "non pourvues"),
            ],
            "responses": {**ok(coverage, "Couverture"), **error_responses(400, 404)},
        }},
    }


def room_paths() -> dict:
    """The map's, the networks' and the coverage's paths."""
    return {**_map_paths(), **_network_paths(), **_coverage_paths()}
