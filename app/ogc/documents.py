"""The JSON documents of the OGC API (``app.ogc.views``): the landing page, the conformance
declaration, the collections (with the CRS each is served in, as Part 2 asks) and a page of
features in the CRS asked for, each with its links (absolute, with their media types, as
OGC API - Features Part 1 asks).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import url_for

from geodata.feature_collections import CollectionInfo
from geodata.features import Box, feature_texts
from geodata.features_crs import CRS84, SUPPORTED, OutputCrs
from geodata.storage.features import FeaturePage

__all__ = ["CONFORMANCE", "CRS84", "GEOJSON", "JSON", "OPENAPI", "SCHEMA",
           "collection_document", "collections_document", "conformance", "content_crs",
           "feature_text", "items_text", "landing"]

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
_CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CONFORMANCE = [_CONF + "core", _CONF + "oas30", _CONF + "geojson",
               "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"]
"""OGC API - Features - Part 1: Core, with GeoJSON and an OpenAPI 3.0 definition; Part 2:
Coordinate Reference Systems by Reference."""
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
                       "(CRS84) par défaut, ou sur demande (paramètre crs) en WGS84 latitude "
                       "d'abord (EPSG:4326), en Lambert-93 (EPSG:2154) ou dans le système "
                       "projeté d'un territoire d'outre-mer ; en lecture seule.",
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
    """One collection: its title, description, extent, and links to itself, its items and
    the JSON Schema of its features."""
    document = {
        "id": info.id, "title": info.title, "description": info.description,
        "itemType": "feature", "crs": list(SUPPORTED), "storageCrs": CRS84,
        "links": [
            _link("ogc.collection", "self", JSON, info.title, collection_id=info.id),
            _link("ogc.items", "items", GEOJSON, f"{info.title} (GeoJSON)",
                  collection_id=info.id),
            # the OGC's spelling, and GDAL 3.6's (which reads the fields' types from it)
            *(_link("ogc.collection_schema", rel, SCHEMA, f"{info.title} : schéma des objets",
                    collection_id=info.id) for rel in ("describedby", "describedBy")),
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


def content_crs(crs: OutputCrs) -> dict[str, str]:
    """The header naming the CRS of the coordinates of a response (Part 2: ``Content-Crs``,
    the URI in angle brackets)."""
    return {"Content-Crs": f"<{crs.uri}>"}


def _project(crs: OutputCrs):
    return None if crs.is_crs84 else crs.project


def items_text(info: CollectionInfo, page: FeaturePage, offset: int, limit: int,
               kept: dict[str, str], crs: OutputCrs) -> str:
    """A page of features in ``crs`` as a GeoJSON FeatureCollection (text): the features,
    how many matched and were returned, and the links to this page, its neighbours and the
    collection, which keep the parameters ``kept`` (``bbox``, ``bbox-crs``, ``crs``)."""
    query = {"limit": limit, **kept}
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
    features = feature_texts(page.ids, page.properties, page.geometries, _project(crs))
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "],"
            + json.dumps(members, ensure_ascii=False)[1:])


def feature_text(info: CollectionInfo, page: FeaturePage, kept: dict[str, str],
                 crs: OutputCrs) -> str:
    """One feature (the page's only one) in ``crs`` as a GeoJSON Feature (text), with its
    links (that to itself keeps the parameters ``kept``: ``crs``)."""
    (feature,) = feature_texts(page.ids, page.properties, page.geometries, _project(crs))
    links = [_link("ogc.item", "self", GEOJSON, "Cet objet", collection_id=info.id,
                   feature_id=page.ids[0], **kept),
             _link("ogc.collection", "collection", JSON, info.title, collection_id=info.id)]
    return feature[:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
