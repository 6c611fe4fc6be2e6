"""The OpenAPI 3.0 definition of the OGC API (``/ogc/api``), as its conformance class
``oas30`` asks: every route, its parameters with the limits the server applies, and for each
collection served its own items paths with the schema of its features (their fields and
what they mean, from ``geodata.feature_collections``).
"""

from __future__ import annotations

from flask import url_for

from app.ogc.documents import GEOJSON, JSON, OPENAPI, SCHEMA
from geodata.feature_collections import CollectionInfo
from geodata.features import DEFAULT_LIMIT, MAX_LIMIT
from geodata.features import MAX_OFFSET as OFFSET_LIMIT
from geodata.features_crs import CRS84, SUPPORTED
from geodata.publication import LICENCE, Column

__all__ = ["LINK", "document", "feature_schema", "property_schema"]

LINK = {"type": "object", "required": ["href", "rel"], "properties": {
    "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
    "title": {"type": "string"}}}
"""A link, as every document of the API writes them."""


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _body(schema: dict, media_type: str = JSON) -> dict:
    return {"content": {media_type: {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    """The errors an operation may answer (any may answer 414, 429 and 503)."""
    return {str(status): {"description": "Erreur", **_body(_ref("schemas", "Error"))}
            for status in (*statuses, 414, 429, 503)}


def _get(summary: str, description: str, parameters: list, response: dict,
         *errors: int) -> dict:
    return {"get": {"summary": summary, "description": description,
                    "parameters": [_ref("parameters", "f"), *parameters],
                    "responses": {"200": response, **_errors(400, *errors)}}}


def property_schema(column: Column) -> dict:
    """A property of a feature as a JSON schema (OpenAPI 3.0: ``nullable``), here and in
    each collection's schema (``app.ogc.schema``)."""
    constraints = column.constraints or {}
    schema = {"type": column.type, "description": column.description}
    if not constraints.get("required"):
        schema["nullable"] = True
    if "enum" in constraints:
        schema["enum"] = [*constraints["enum"], *([None] if schema.get("nullable") else [])]
    for key in ("minimum", "maximum"):
        if key in constraints:
            schema[key] = constraints[key]
    return schema


def _geometry(kind: str, nullable: bool) -> dict:
    """A GeoJSON geometry of ``kind`` (null allowed for a Fabrique without position)."""
    return {"type": "object", "nullable": nullable, "required": ["type", "coordinates"],
            "properties": {"type": {"type": "string", "enum": [kind]},
                           "coordinates": {"type": "array", "items": {}}}}


def feature_schema(info: CollectionInfo, link: dict | None = None) -> dict:
    """The schema of a feature of ``info``: here, ``link`` a reference to the Link schema;
    standing alone (``app.ogc.schema``), the Link schema itself."""
    link = link or _ref("schemas", "Link")
    return {"type": "object", "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string", "description": info.id_description},
                "geometry": _geometry(info.geometry, nullable=info.geometry == "Point"),
                "properties": {"type": "object", "required": [c.name for c in info.fields],
                               "properties": {c.name: property_schema(c) for c in info.fields}},
                "links": {"type": "array", "items": link}}}


def _collection_paths(info: CollectionInfo) -> dict:
    name = "Feature_" + info.id.replace("-", "_")
    page = {"type": "object",
            "required": ["type", "features", "numberMatched", "numberReturned", "links"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                           "features": {"type": "array", "items": _ref("schemas", name)},
                           "numberMatched": {"type": "integer", "minimum": 0},
                           "numberReturned": {"type": "integer", "minimum": 0},
                           "timeStamp": {"type": "string", "format": "date-time"},
                           "links": {"type": "array", "items": _ref("schemas", "Link")}}}
    headers = {"Content-Crs": _ref("headers", "Content-Crs")}
    return {
        f"/collections/{info.id}/items": _get(
            f"{info.title} : les objets", f"{info.description} Les objets qui coupent la bbox "
            "(bords compris), dans un ordre stable, par pages (lien next).",
            [_ref("parameters", "limit"), _ref("parameters", "offset"),
             _ref("parameters", "bbox"), _ref("parameters", "bbox-crs"),
             _ref("parameters", "crs"), _ref("parameters", "datetime")],
            {"description": "Une page d'objets", "headers": headers, **_body(page, GEOJSON)},
            404),
        f"/collections/{info.id}/items/{{featureId}}": _get(
            f"{info.title} : un objet", f"Un objet par son identifiant : {info.id_description}.",
            [_ref("parameters", "featureId"), _ref("parameters", "crs")],
            {"description": "L'objet", "headers": headers,
             **_body(_ref("schemas", name), GEOJSON)}, 404),
    }, name, feature_schema(info)


def _parameters(served: list[CollectionInfo]) -> dict:
    return {
        "f": {"name": "f", "in": "query", "required": False,
              "schema": {"type": "string", "enum": ["json"], "default": "json"},
              "description": "Format de la réponse : json (GeoJSON pour les objets)"},
        "limit": {"name": "limit", "in": "query", "required": False, "style": "form",
                  "explode": False, "schema": {"type": "integer", "minimum": 1,
                                               "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                  "description": f"Objets par page, {DEFAULT_LIMIT} par défaut ; au-delà de "
                                 f"{MAX_LIMIT}, {MAX_LIMIT} sont servis"},
        "offset": {"name": "offset", "in": "query", "required": False, "schema": {
            "type": "integer", "minimum": 0, "maximum": OFFSET_LIMIT, "default": 0},
            "description": "Rang du premier objet de la page parmi ceux qui correspondent"},
        "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form",
                 "explode": False, "schema": {"type": "array", "minItems": 4, "maxItems": 6,
                                              "items": {"type": "number"}},
                 "description": "minlon,minlat,maxlon,maxlat en degrés WGS84 (CRS84), ou 6 "
                                "nombres avec les hauteurs (ignorées) ; minlon > maxlon : "
                                "la boîte traverse l'antiméridien. Avec bbox-crs, dans ce "
                                "système et l'ordre de ses axes (EPSG:4326 : minlat,minlon,"
                                "maxlat,maxlon ; projeté : minx,miny,maxx,maxy en mètres)"},
        "bbox-crs": {"name": "bbox-crs", "in": "query", "required": False, "schema": {
            "type": "string", "format": "uri", "enum": list(SUPPORTED), "default": CRS84},
            "description": "Système de coordonnées de bbox (URI), CRS84 par défaut"},
        "crs": {"name": "crs", "in": "query", "required": False, "schema": {
            "type": "string", "format": "uri", "enum": list(SUPPORTED), "default": CRS84},
            "description": "Système de coordonnées des géométries servies (URI), CRS84 par "
                           "défaut ; EPSG:4326 : latitude d'abord ; systèmes projetés : "
                           "est, nord en mètres (arrondis au millimètre)"},
        "datetime": {"name": "datetime", "in": "query", "required": False, "style": "form",
                     "explode": False, "schema": {"type": "string"},
                     "description": "Instant RFC 3339 (2024-01-31T12:00:00Z) ou intervalle "
                                    "début/fin, .. pour un bout ouvert. Aucun objet de ces "
                                    "collections n'est daté : la valeur est vérifiée, et tous "
                                    "les objets y répondent, comme la norme le veut pour des "
                                    "objets sans information temporelle"},
        "collectionId": {"name": "collectionId", "in": "path", "required": True,
                         "schema": {"type": "string", "enum": [i.id for i in served]}},
        "featureId": {"name": "featureId", "in": "path", "required": True,
                      "schema": {"type": "string"}},
    }


def _schemas() -> dict:
    links = {"type": "array", "items": _ref("schemas", "Link")}
    return {
        "Link": LINK,
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["status", "code", "message", "parameter"],
            "properties": {"status": {"type": "integer"}, "code": {"type": "string"},
                           "message": {"type": "string", "description": "En français"},
                           "parameter": {"type": "string", "nullable": True}}}}},
        "LandingPage": {"type": "object", "required": ["links"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"}, "links": links}},
        "ConfClasses": {"type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": {"type": "array", "items": {"type": "string"}}}},
        "Collection": {"type": "object", "required": ["id", "links"], "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "description": {"type": "string"}, "links": links,
            "extent": {"type": "object"}, "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
            "storageCrs": {"type": "string"}}},
        "Collections": {"type": "object", "required": ["links", "collections"], "properties": {
            "links": links, "collections": {"type": "array",
                                            "items": _ref("schemas", "Collection")}}},
    }


def document(served: list[CollectionInfo]) -> dict:
    """The OpenAPI 3.0 document of the API, for the collections ``served``."""
    schemas = _schemas()
    paths = {
        "/": _get("Page d'accueil", "Liens vers la définition, la conformité et les données.",
                  [], {"description": "Page d'accueil",
                       **_body(_ref("schemas", "LandingPage"))}),
        "/conformance": _get("Classes de conformité", "Les classes d'OGC API - Features "
                             "mises en œuvre.", [], {"description": "Conformité",
                                                     **_body(_ref("schemas", "ConfClasses"))}),
        "/api": _get("Ce document", "La définition de l'API en OpenAPI 3.0.", [],
                     {"description": "Définition", **_body({"type": "object"}, OPENAPI)}),
        "/collections": _get("Les collections", "Chaque collection, son emprise et ses liens.",
                             [], {"description": "Collections",
                                  **_body(_ref("schemas", "Collections"))}),
        "/collections/{collectionId}": _get(
            "Une collection", "Sa description, son emprise, le lien vers ses objets.",
            [_ref("parameters", "collectionId")],
            {"description": "Collection", **_body(_ref("schemas", "Collection"))}, 404),
        "/collections/{collectionId}/schema": _get(
            "Le schéma des objets d'une collection", "Le schéma d'un objet de la collection, "
            "tel que components/schemas/Feature_<collection> le donne ici (la propriété id en "
            "moins), seul : les types de ses champs pour GDAL et QGIS (lien describedby).",
            [_ref("parameters", "collectionId")],
            {"description": "Schéma", **_body({"type": "object"}, SCHEMA)}, 404),
    }
    for info in served:
        items, name, schema = _collection_paths(info)
        paths.update(items)
        schemas[name] = schema
    return {
        "openapi": "3.0.3",
        "info": {"title": "Fabriques de Territoire — OGC API Features", "version": "1.0",
                 "description": "Quartiers prioritaires, communes et leurs classes, Fabriques "
                                "lauréates, tiers-lieux et sites publics, en GeoJSON (WGS84 "
                                "par défaut, Lambert-93 ou systèmes d'outre-mer sur demande).",
                 "license": {"name": LICENCE["title"], "url": LICENCE["path"]}},
        "servers": [{"url": url_for("ogc.landing", _external=True).rstrip("/")}],
        "paths": paths,
        "components": {"parameters": _parameters(served), "schemas": schemas,
                       "headers": {"Content-Crs": {
                           "description": "Système des coordonnées de la réponse : son URI "
                                          "entre chevrons", "required": True,
                           "schema": {"type": "string"}}}},
    }
