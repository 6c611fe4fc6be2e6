"""The networks and the coverage as JSON, under ``/api/v1/reseaux`` (errors in the one JSON
shape of ``app.errors``)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.db import get_engine
from app.errors import API_PREFIX, ApiError, error_response, register
from app.reseaux.requests import (
    NOT_FOUND,
    coverage_facts,
    coverage_request,
    kinds,
    known_kinds,
    network_request,
    serialise_commune,
    serialise_coverage_row,
    serialise_member,
    serialise_network,
)
from geodata.coverage import CoverageError, totals
from geodata.networks import NetworkError, search
from geodata.storage.networks import declared_networks, network_for, place_layer

__all__ = ["bp"]

bp = Blueprint("reseaux_api", __name__, url_prefix=f"{API_PREFIX}/reseaux")
register(bp)


def _api_error(failure: Exception) -> ApiError:
    if isinstance(failure, NOT_FOUND):
        return ApiError(404, "introuvable", str(failure), failure.parameter)
    return ApiError(400, "parametre-invalide", str(failure), failure.parameter)


@bp.errorhandler(NetworkError)
@bp.errorhandler(CoverageError)
def _domain_error(failure):
    return error_response(_api_error(failure))


@bp.get("/fabriques")
def api_fabriques():
    found = search(place_layer(get_engine()), request.args.get("q", ""))
    return jsonify(fabriques=[serialise_member(m) for m in found])


@bp.get("/fabriques/<fabrique>")
def api_network(fabrique: str):
    view, _ = network_request(fabrique)
    return jsonify(serialise_network(view))


@bp.get("/declares")
def api_declared():
    return jsonify(networks=[{"id": n.id, "name": n.name, "kind": n.kind,
                              "fabrique": n.laureate_id, "source": n.source,
                              "members": len(n.members)}
                             for n in declared_networks(get_engine())])


@bp.get("/declares/<int:network_id>")
def api_declared_network(network_id: int):
    view = network_for(get_engine(), None, "declared", network_id=network_id,
                       kinds=kinds(known_kinds(place_layer(get_engine()))))
    return jsonify(serialise_network(view))


@bp.get("/couverture")
def api_coverage():
    distances, rows, far, form, threshold_m = coverage_request()
    facts = coverage_facts(distances)
    return jsonify(threshold_m=threshold_m, measure=form["measure"],
                   fabriques=facts["fabriques"],
                   fabriques_without_location=facts["unlocated"],
                   departements=[serialise_coverage_row(row) for row in rows],
                   total=serialise_coverage_row(totals(rows)),
                   communes=None if far is None else [serialise_commune(distances, int(p))
                                                      for p in far])


