"""The routes of the OGC API, under ``/ogc``: they read the query, ask
``geodata.storage.features`` and answer JSON or GeoJSON (``app.ogc.documents``).

Every route refuses a query parameter it does not define (400, as the standard asks) and
any format but JSON (``f=json``, the default). The items take ``datetime``, as Part 1
requires: it is checked, and since no feature served has a time, every feature matches it
(/req/core/fc-time-response). Features come in CRS84 unless ``crs`` names another CRS
served (``geodata.features_crs``, Part 2), with a ``Content-Crs`` header either way;
``bbox-crs`` names the CRS of ``bbox``. Errors take the service's one JSON shape
(``app.errors``), with a French message.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from app.db import get_engine
from app.errors import ApiError, error_response, http_json, register
from app.ogc import documents
from app.ogc.openapi import document as openapi_document
from app.ogc.schema import collection_schema as schema_document
from geodata.feature_collections import CollectionInfo
from geodata.features import (
    FeatureQueryError,
    parse_bbox,
    parse_datetime,
    parse_limit,
    parse_offset,
)
from geodata.features_crs import BboxIn, OutputCrs, parse_bbox_in, parse_crs
from geodata.storage.features import (
    collection_extent,
    collection_info,
    collections,
    feature_by_id,
    feature_page,
)

__all__ = ["OGC_PREFIX", "PAGING_ADVICE", "bp"]

OGC_PREFIX = "/ogc"

PAGING_ADVICE = ("Pour copier une collection entière, demandez des pages plus grandes : "
                 "limit=1000 (GDAL : -oo PAGE_SIZE=1000 ; QGIS : une taille de page de 1000 "
                 "dans la connexion).")
"""What a 429 under ``/ogc`` adds: GDAL 3.6 (Debian 12) asks 10 objects a request unless told,
and copies stop at the rate limit after a few hundred objects."""

bp = Blueprint("ogc", __name__, url_prefix=OGC_PREFIX)
register(bp)


@bp.errorhandler(FeatureQueryError)
def bad_query(error: FeatureQueryError):
    return error_response(ApiError(400, "parametre-invalide", str(error), error.parameter))


@bp.errorhandler(429)
def too_many_requests(error: HTTPException):
    return http_json(error, PAGING_ADVICE)


@bp.after_request
def readable_anywhere(response: Response) -> Response:
    """Public, read-only data: any web page may read it (no cookie is ever sent along), and
    the CRS of its coordinates."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    if "Content-Crs" in response.headers:
        response.headers["Access-Control-Expose-Headers"] = "Content-Crs"
    return response


def _answer(body: str | dict, media_type: str = documents.JSON,
            headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return Response(text, content_type=media_type, headers=headers)


def _query(*names: str) -> None:
    """Refuse a parameter other than ``names`` and ``f``, and a format other than JSON."""
    unknown = sorted(set(request.args) - {*names, "f"})
    if unknown:
        accepted = ", ".join((*names, "f"))
        raise ApiError(400, "parametre-inconnu", f"paramètre inconnu : {unknown[0][:40]!r} "
                       f"(acceptés ici : {accepted})", unknown[0][:40])
    if request.args.get("f", "json") != "json":
        raise ApiError(400, "format-inconnu", f"format inconnu : {request.args['f'][:40]!r} ; "
                       "seul f=json est servi", "f")
    for name in names:
        if len(request.args.getlist(name)) > 1:
            raise ApiError(400, "parametre-invalide", f"{name} donné plusieurs fois", name)


def _collection(collection_id: str) -> CollectionInfo:
    info = collection_info(get_engine(), collection_id)
    if info is None:
        known = ", ".join(c.id for c in collections(get_engine()))
        raise ApiError(404, "collection-inconnue", f"collection inconnue : "
                       f"{collection_id[:60]!r} (disponibles : {known})", "collectionId")
    return info


@bp.get("/", strict_slashes=False)
def landing():
    _query()
    return _answer(documents.landing())


@bp.get("/conformance")
def conformance():
    _query()
    return _answer(documents.conformance())


@bp.get("/api")
def api():
    _query()
    return _answer(openapi_document(collections(get_engine())), documents.OPENAPI)


@bp.get("/collections")
def collections_list():
    _query()
    engine = get_engine()
    return _answer(documents.collections_document(
        [(info, collection_extent(engine, info.id)) for info in collections(engine)]))


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    _query()
    info = _collection(collection_id)
    return _answer(documents.collection_document(info,
                                                 collection_extent(get_engine(), info.id)))


@bp.get("/collections/<collection_id>/schema")
def collection_schema(collection_id: str):
    _query()
    return _answer(schema_document(_collection(collection_id)), documents.SCHEMA)


def _kept(*names: str) -> dict[str, str]:
    """The parameters among ``names`` the query gives, as given: the links keep them."""
    return {name: request.args[name] for name in names if name in request.args}


def _output_crs() -> OutputCrs:
    return parse_crs(request.args.get("crs"), "crs")


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    _query("limit", "offset", "bbox", "bbox-crs", "crs", "datetime")
    info = _collection(collection_id)
    crs = _output_crs()
    parse_datetime(request.args.get("datetime"))  # checked; no feature has a time: all match
    boxes, area = _bbox()
    limit, offset = parse_limit(request.args.get("limit")), parse_offset(
        request.args.get("offset"))
    page = feature_page(get_engine(), info.id, boxes, offset, limit, area)
    return _answer(documents.items_text(info, page, offset, limit,
                                        _kept("bbox", "bbox-crs", "crs", "datetime"), crs),
                   documents.GEOJSON, documents.content_crs(crs))


def _bbox() -> BboxIn:
    """The query's ``bbox`` in CRS84, read in its ``bbox-crs``: (None, None) when absent."""
    text, crs = request.args.get("bbox"), request.args.get("bbox-crs")
    if crs is None:
        return BboxIn(parse_bbox(text))
    return parse_bbox_in(text, parse_crs(crs, "bbox-crs")) or BboxIn(None)


@bp.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str):
    _query("crs")
    info = _collection(collection_id)
    crs = _output_crs()
    page = feature_by_id(get_engine(), info.id, feature_id)
    if page is None:
        raise ApiError(404, "objet-inconnu", f"aucun objet {feature_id[:80]!r} dans la "
                       f"collection {info.id} (identifiant : {info.id_description})",
                       "featureId")
    return _answer(documents.feature_text(info, page, _kept("crs"), crs), documents.GEOJSON,
                   documents.content_crs(crs))
