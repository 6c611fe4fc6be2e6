"""The JSON documents of the OGC API (``app.ogc.views``): the landing page, the conformance
declaration, the collections and a page of features, each with its links (absolute, with
their media types, as OGC API - Features Part 1 asks).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import url_for

from geodata.feature_collections import CollectionInfo
from geodata.features import Box, feature_texts
from geodata.storage.features import FeaturePage

__all__ = ["CONFORMANCE", "CRS84", "GEOJSON", "JSON", "OPENAPI", "collection_document",
           "collections_document", "conformance", "feature_text", "items_text", "landing"]

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CONFORMANCE = [_CONF + "core", _CONF + "oas30", _CONF + "geojson"]
"""OGC API - Features - Part 1: Core, with GeoJSON and an OpenAPI 3.0 definition."""
TITLE = "Fabriques de Territoire — OGC API Features"


def _link(endpoint: str, rel: str, media_type: str, title: str, **values) -> dict:
    return {"href": url_for(endpoint, _external=True, **values), "rel": rel,
            "type": media_type, "title": title}


def landing() -> dict:
    """The landing page: what the service is, and links to its definition, its conformance
    and its collections."""
    return {
        "title": TITLE,
        "description": "Les données du service Fabriques de Territoire (ANCT) pour les "
                       "logiciels SIG : quartiers prioritaires de chaque millésime chargé, "
                       "communes et leurs classes, Fabriques lauréates et leur catégorie "
                       "selon chaque politique, tiers-lieux et sites publics. En WGS84 "
                       "(CRS84), en lecture seule.",
        "links": [
            _link("ogc.landing", "self", JSON, "Cette page"),
            _link("ogc.api", "service-desc", OPENAPI, "Définition de l'API (OpenAPI 3.0)"),
            _link("ogc.conformance", "conformance", JSON, "Classes de conformité"),
            _link("ogc.collections_list", "data", JSON, "Les collections"),
        ],
    }


def conformance() -> dict:
    """The conformance classes the API implements."""
    return {"conformsTo": CONFORMANCE}


def collection_document(info: CollectionInfo, extent: Box | None) -> dict:
    """One collection: its title, description, extent, and links to itself and its items."""
    document = {
        "id": info.id, "title": info.title, "description": info.description,
        "itemType": "feature", "crs": [CRS84],
        "links": [
            _link("ogc.collection", "self", JSON, info.title, collection_id=info.id),
            _link("ogc.items", "items", GEOJSON, f"{info.title} (GeoJSON)",
                  collection_id=info.id),
        ],
    }
    if extent is not None:
        document["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
    return document


def collections_document(served: list[tuple[CollectionInfo, Box | None]]) -> dict:
    """Every collection (with its extent), and a link to this list."""
    return {"links": [_link("ogc.collections_list", "self", JSON, "Les collections")],
            "collections": [collection_document(info, extent) for info, extent in served]}


def _page_link(info: CollectionInfo, rel: str, title: str, arguments: dict) -> dict:
    return _link("ogc.items", rel, GEOJSON, title, collection_id=info.id, **arguments)


def items_text(info: CollectionInfo, page: FeaturePage, offset: int, limit: int,
               bbox: str | None) -> str:
    """A page of features as a GeoJSON FeatureCollection (text): the features, how many
    matched and were returned, and the links to this page, its neighbours and the
    collection."""
    query = {"limit": limit} | ({"bbox": bbox} if bbox is not None else {})
    links = [_page_link(info, "self", "Cette page", {**query, "offset": offset} if offset
                        else query)]
    if offset + len(page.ids) < page.matched:
        links.append(_page_link(info, "next", "Page suivante",
                                {**query, "offset": offset + limit}))
    if offset > 0:
        previous = max(offset - limit, 0)
        links.append(_page_link(info, "prev", "Page précédente",
                                {**query, "offset": previous} if previous else query))
    links.append(_link("ogc.collection", "collection", JSON, info.title,
                       collection_id=info.id))
    members = {"numberMatched": page.matched, "numberReturned": len(page.ids),
               "timeStamp": datetime.now(UTC).isoformat(timespec="seconds")
               .replace("+00:00", "Z"), "links": links}
    features = feature_texts(page.ids, page.properties, page.geometries)
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "],"
            + json.dumps(members, ensure_ascii=False)[1:])


def feature_text(info: CollectionInfo, page: FeaturePage) -> str:
    """One feature (the page's only one) as a GeoJSON Feature (text), with its links."""
    (feature,) = feature_texts(page.ids, page.properties, page.geometries)
    links = [_link("ogc.item", "self", GEOJSON, "Cet objet", collection_id=info.id,
                   feature_id=page.ids[0]),
             _link("ogc.collection", "collection", JSON, info.title, collection_id=info.id)]
    return feature[:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
