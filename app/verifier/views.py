"""``/verifier``: one location checked (an address or coordinates) under a policy, its
verdict explained; ``/verifier/attestation``: the same verdict as a dated, printable record."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request

from app.db import get_engine, get_geocoder
from geodata.checks import (
    LocationError,
    check_address,
    check_point,
    map_features,
    parse_coordinate,
)
from geodata.eligibility import EligibilityError
from geodata.geocoder import GeocoderError
from geodata.policy import (
    CATEGORIES,
    DEFAULT_POLICY,
    PolicyError,
    available_policies,
    load_policy,
)
from geodata.storage.reference import loaded_versions

__all__ = ["bp"]

bp = Blueprint("verifier", __name__, template_folder="templates")


FORM_FIELDS = ("address", "lon", "lat", "policy")
COMPONENT_LABELS = {
    "commune": "Commune",
    "in_qpv": "Dans un QPV",
    "nearest_qpv": "QPV le plus proche",
    "near_qpv": "À proximité immédiate d'un QPV",
    "density_level": "Niveau de densité (INSEE)",
    "metropole": "Membre d'une métropole",
    "outside_large_urban_centre": "Hors des grands centres urbains",
    "category": "Catégorie de quota",
}
FAILURES = ((LocationError, 400), (PolicyError, 400), (EligibilityError, 422),
            (GeocoderError, 503))


def _checked_location():
    """The form's values, and the check they ask for (or the error that stops it)."""
    form = {name: request.args.get(name, "").strip() for name in FORM_FIELDS}
    form["policy"] = form["policy"] or DEFAULT_POLICY
    check, error, status = None, None, 200
    if form["address"] or form["lon"] or form["lat"]:
        try:
            if form["address"]:
                check = check_address(get_engine(), get_geocoder(), form["policy"],
                                      form["address"])
            else:
                check = check_point(get_engine(), form["policy"],
                                    parse_coordinate(form["lon"], "lon"),
                                    parse_coordinate(form["lat"], "lat"))
        except tuple(kind for kind, _ in FAILURES) as failure:
            error = str(failure)
            status = next(code for kind, code in FAILURES if isinstance(failure, kind))
    return form, check, error, status


@bp.get("/verifier")
def verifier():
    """Check one location: an address (BAN) or coordinates, under a chosen policy."""
    form, check, error, status = _checked_location()
    policies = [load_policy(name) for name in available_policies()]
    features = map_features(get_engine(), check) if check else None
    return render_template("verifier.html", form=form, policies=policies, check=check,
                           error=error, labels=COMPONENT_LABELS, categories=CATEGORIES,
                           features=features), status


@bp.get("/verifier/attestation")
def attestation():
    """A dated, printable record of one verdict, with the policy and the data versions."""
    form, check, error, status = _checked_location()
    if check is None and error is None:
        error, status = "indiquez une adresse ou des coordonnées", 400
    return render_template("attestation.html", form=form, check=check, error=error,
                           policy=load_policy(form["policy"]) if check else None,
                           versions=loaded_versions(get_engine()) or [], labels=COMPONENT_LABELS,
                           categories=CATEGORIES,
                           issued=datetime.now(ZoneInfo("Europe/Paris"))), status
