"""What the networks pages and their JSON share: the query string read by the forms of
``app.reseaux.forms`` into a network view or a coverage table, and their serialisation.

A form's first error is raised as the domain's error naming the parameter, so that pages and
JSON answer it as they answer the domain's own errors."""

from __future__ import annotations

from app.db import get_engine
from app.forms import QueryForm, first_error
from app.reseaux.forms import CoverageForm, KindsForm, NetworkForm
from geodata.coverage import (
    CoverageError,
    UnknownDepartementError,
    by_departement,
    check_threshold_km,
    uncovered,
)
from geodata.networks import KIND_LABELS, NetworkError, NetworkView, UnknownFabriqueError
from geodata.storage.networks import commune_distances, network_for, place_layer
from geodata.storage.reference import place_names

__all__ = ["NOT_FOUND", "coverage_facts", "coverage_request", "known_kinds", "kinds",
           "network_request", "serialise_commune", "serialise_coverage_row", "serialise_member",
           "serialise_network"]

NOT_FOUND = (UnknownFabriqueError, UnknownDepartementError)


def _checked(form: QueryForm, error: type[ValueError], order: tuple[str, ...] | None = None):
    """The form, valid; else its first error raised as ``error`` naming the parameter."""
    if not form.validate():
        parameter, message = first_error(form, order)
        raise error(message, parameter)
    return form


def known_kinds(layer) -> list[str]:
    """The kinds of the loaded places, in display order."""
    present = set(layer.kinds)
    return [k for k in KIND_LABELS if k in present] + sorted(present - set(KIND_LABELS))


def kinds(known: list[str]) -> list[str] | None:
    """The place kinds asked for (all when none is given); an unknown kind is an error."""
    return _checked(KindsForm(known), NetworkError).kinds()


def _network_form() -> NetworkForm:
    """The query string of a network, read against the kinds of the loaded places."""
    return NetworkForm(known_kinds(place_layer(get_engine())))


def network_request(fabrique: str | None,
                    form: NetworkForm | None = None) -> tuple[NetworkView, dict]:
    """The network the query string (read by ``form``) asks for, and the form's values."""
    form = _checked(_network_form() if form is None else form, NetworkError, NetworkForm.ORDER)
    view = network_for(get_engine(), fabrique or None, form.rule_asked(),
                       distance_m=form.distance_m(), kinds=form.kinds(),
                       network_id=form.network_id())
    return view, {**form.data, "fabrique": fabrique or "", "rule": form.rule_asked(),
                  "kind": form.kind.data or form.known}


def coverage_request(form: CoverageForm | None = None):
    """Coverage per département for the query string's threshold, measure, département."""
    form = _checked(CoverageForm() if form is None else form, CoverageError)
    threshold_km = form.threshold_km()
    threshold_m = check_threshold_km(threshold_km)
    distances = commune_distances(get_engine(), form.measure.data)
    names = place_names(get_engine())["departement"]
    rows = by_departement(distances, threshold_m, names)
    departement = form.departement.data or None
    if departement is not None and departement not in {row.code for row in rows}:
        raise UnknownDepartementError(f"département inconnu : {departement!r}",
                                      "departement")
    far = uncovered(distances, threshold_m, departement) if departement else None
    values = {"distance_km": f"{threshold_km:g}", "measure": form.measure.data,
              "departement": departement or ""}
    return distances, rows, far, values, threshold_m


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


def coverage_facts(distances) -> dict:
    """What the coverage rests on: the Fabriques loaded, and those placed nowhere."""
    return {"fabriques": distances.fabriques, "unlocated": list(distances.unlocated)}


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


