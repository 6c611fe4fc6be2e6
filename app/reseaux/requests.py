"""What the networks pages and their JSON share: the query string read into a network view
or a coverage table, and their serialisation."""

from __future__ import annotations

from flask import request

from app.db import get_engine
from geodata.coverage import (
    DEFAULT_THRESHOLD_KM,
    MEASURES,
    CoverageError,
    UnknownDepartementError,
    by_departement,
    check_threshold_km,
    uncovered,
)
from geodata.networks import KIND_LABELS, NetworkError, NetworkView, UnknownFabriqueError
from geodata.storage.networks import commune_distances, network_for, place_layer
from geodata.storage.reference import place_names

__all__ = ["DEFAULT_DISTANCE_KM", "NOT_FOUND", "coverage_request", "known_kinds", "kinds",
           "network_request", "serialise_commune", "serialise_coverage_row",
           "serialise_member", "serialise_network"]

DEFAULT_DISTANCE_KM = 10.0
NOT_FOUND = (UnknownFabriqueError, UnknownDepartementError)


def _number(name: str, default: float) -> float:
    """A decimal number from the query string (comma allowed), or the default when absent."""
    text = request.args.get(name, "").strip().replace(",", ".")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise NetworkError(f"nombre attendu pour {name} : {text!r}", name) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise NetworkError(f"nombre fini attendu pour {name}", name)
    return value


def known_kinds(layer) -> list[str]:
    """The kinds of the loaded places, in display order."""
    present = set(layer.kinds)
    return [k for k in KIND_LABELS if k in present] + sorted(present - set(KIND_LABELS))


def kinds(known: list[str]) -> list[str] | None:
    """The place kinds asked for (all when none is given); an unknown kind is an error."""
    asked = request.args.getlist("kind")
    unknown = [kind for kind in asked if kind not in known]
    if unknown:
        raise NetworkError(f"type de lieu inconnu : {unknown[0]!r} (types : "
                           f"{', '.join(known)})", "kind")
    return asked or None


def network_request(fabrique: str | None) -> tuple[NetworkView, dict]:
    """The network the query string asks for, and the form's values."""
    rule = request.args.get("rule", "epci")
    layer = place_layer(get_engine())
    known = known_kinds(layer)
    form = {"fabrique": fabrique or "", "rule": rule,
            "distance_km": request.args.get("distance_km", f"{DEFAULT_DISTANCE_KM:g}"),
            "kind": request.args.getlist("kind") or known, "q": request.args.get("q", "")}
    network_id = request.args.get("network", "").strip()
    if network_id and not network_id.isdigit():
        raise NetworkError(f"numéro de réseau invalide : {network_id!r}", "network")
    if network_id:
        form["rule"] = rule = "declared"
    distance_km = _number("distance_km", DEFAULT_DISTANCE_KM) if rule == "distance" else None
    view = network_for(get_engine(), fabrique or None, rule,
                       distance_m=distance_km * 1000 if distance_km is not None else None,
                       kinds=kinds(known), network_id=int(network_id) if network_id else None)
    return view, form


def coverage_request():
    """Coverage per département for the query string's threshold, measure, département."""
    threshold_km = _number("distance_km", DEFAULT_THRESHOLD_KM)
    threshold_m = check_threshold_km(threshold_km)
    measure = request.args.get("measure", "contour")
    if measure not in MEASURES:
        raise CoverageError(f"mesure inconnue : {measure!r} (contour ou point)", "measure")
    distances = commune_distances(get_engine(), measure)
    names = place_names(get_engine())["departement"]
    rows = by_departement(distances, threshold_m, names)
    departement = request.args.get("departement", "").strip() or None
    if departement is not None and departement not in {row.code for row in rows}:
        raise UnknownDepartementError(f"département inconnu : {departement!r}",
                                      "departement")
    far = uncovered(distances, threshold_m, departement) if departement else None
    form = {"distance_km": f"{threshold_km:g}", "measure": measure,
            "departement": departement or ""}
    return distances, rows, far, form, threshold_m


def serialise_member(member) -> dict:
    return {"kind": member.kind, "kind_label": member.kind_label,
            "id": member.external_id, "name": member.name,
            "commune_code": member.commune_code, "commune_name": member.commune_name,
            "lon": member.lon, "lat": member.lat, "precision": member.precision,
            "distance_m": None if member.distance_m is None else round(member.distance_m, 1),
            "role": member.role}


def serialise_network(view: NetworkView) -> dict:
    return {"name": view.name, "rule": view.rule,
            "fabrique": serialise_member(view.centre) if view.centre else None,
            "epci": {"code": view.epci[0], "name": view.epci[1]} if view.epci else None,
            "distance_m": view.distance_m, "counts": view.counts(),
            "members": [serialise_member(m) for m in view.members],
            "missing": [{"kind": kind, "id": key} for kind, key in view.missing]}


def serialise_coverage_row(row) -> dict:
    return {"code": row.code, "name": row.name, "communes": row.communes,
            "population": row.population, "uncovered_communes": row.uncovered_communes,
            "uncovered_population": row.uncovered_population,
            "unknown_communes": row.unknown_communes,
            "share": None if row.share is None else round(row.share, 4)}


def serialise_commune(distances, position: int) -> dict:
    return {"code": distances.codes[position], "name": distances.names[position],
            "departement": distances.departements[position],
            "population": int(distances.populations[position]),
            "distance_m": None if distances.distances[position] == float("inf")
            else round(float(distances.distances[position]), 1),
            "nearest_fabrique": distances.nearest[position]}


