"""``/verifier``: one location checked (an address or coordinates) under a policy, its
verdict explained; ``/verifier/attestation``: the same verdict as a dated, printable record."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template

from app.db import get_engine, get_geocoder
from app.forms import first_error
from app.verifier.forms import LocationForm
from geodata.checks import LocationError, check_location, map_features
from geodata.eligibility import EligibilityError
from geodata.geocoder import GeocoderError
from geodata.policy import CATEGORIES, PolicyError, load_policy
from geodata.storage.reference import loaded_versions

__all__ = ["bp"]

bp = Blueprint("verifier", __name__, template_folder="templates")


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
    form = LocationForm()
    if not form.location_given():
        return form.data, None, None, 200
    if not form.validate():
        return form.data, None, first_error(form)[1], 400
    try:
        check = check_location(get_engine(), get_geocoder(), form.policy.data,
                               **form.location())
    except tuple(kind for kind, _ in FAILURES) as failure:
        status = next(code for kind, code in FAILURES if isinstance(failure, kind))
        return form.data, None, str(failure), status
    return form.data, check, None, 200


@bp.get("/verifier")
def verifier():
    """Check one location: an address (BAN) or coordinates, under a chosen policy."""
    form, check, error, status = _checked_location()
    features = map_features(get_engine(), check) if check else None
    return render_template("verifier.html", form=form, check=check,
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
