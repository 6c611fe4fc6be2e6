"""``/verifier``: one location checked (an address or coordinates) under a policy, its
verdict explained; ``/verifier/attestation``: the same verdict as a dated, printable record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, current_app, render_template, request, url_for

from app.db import get_engine, get_geocoder, postcodes
from app.forms import first_error
from app.security import basemap
from app.verifier.forms import AttestationForm, LocationForm
from app.verifier.glossary import linked_to_glossary
from geodata.checks import (
    CommuneChoice,
    CommuneUnknown,
    LocationError,
    check_location,
    datasets_used,
    map_features,
)
from geodata.eligibility import EligibilityError
from geodata.eligibility.categories import eligible_either_way, possible_of_halves
from geodata.eligibility.engine import COARSE_PRECISIONS
from geodata.french import PARIS
from geodata.geocoder import GeocoderError
from geodata.policy import (
    CATEGORIES,
    CATEGORY_UNDETERMINED,
    PolicyError,
    available_policies,
    load_policy,
)
from geodata.storage.map_layers import COMMUNE_OUTLINES, LAYERS
from geodata.storage.reference import titled

__all__ = ["bp"]

bp = Blueprint("verifier", __name__, template_folder="templates")
bp.add_app_template_filter(linked_to_glossary, "glossaire")


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
FAILURES = ((CommuneChoice, 200), (CommuneUnknown, 503), (LocationError, 400),
            (PolicyError, 400), (EligibilityError, 422), (GeocoderError, 503))


@dataclass
class Problem:
    """Why no verdict: the message, the fields in error, the communes to choose from, or
    the checks to choose between (label, address of the page)."""

    message: str
    fields: tuple[str, ...] = ()
    choices: list = field(default_factory=list)
    alternatives: list[tuple[str, str]] = field(default_factory=list)


def _address_or_coordinates(form: LocationForm) -> Problem:
    """Both an address and coordinates were typed (the one ignored without a word, a person
    who typed coordinates after an address got the address's error again): which to check."""
    kept = {name: value for name, value in request.args.items()
            if name not in ("address", "lon", "lat", "commune")}
    coordinates = f"{form.lon.data or '?'} ; {form.lat.data or '?'}"
    return Problem("Une adresse et des coordonnées ont été données : choisissez ce qu'il faut "
                   "vérifier", ("address", "lon", "lat"), alternatives=[
                       (f"L'adresse « {form.address.data[:120]} »",
                        url_for(request.endpoint, address=form.address.data, **kept)),
                       (f"Les coordonnées (longitude ; latitude : {coordinates})",
                        url_for(request.endpoint, lon=form.lon.data, lat=form.lat.data,
                                **kept))])


def _fields_of(failure: Exception) -> tuple[str, ...]:
    """The form fields a failure puts in error."""
    if isinstance(failure, PolicyError):
        return ("policy",)
    if isinstance(failure, EligibilityError):
        return ("lon", "lat")
    parameter = getattr(failure, "parameter", "address")
    return ("address",) if parameter == "commune" else (parameter,)


def _checked_location(form: LocationForm):
    """The form's values, and the check they ask for (or the problem that stops it)."""
    if not form.location_given():
        return form.data, None, None, 200
    if not form.validate():
        name, message = first_error(form, ("address", "lon", "lat"))
        shown = "address" if name == "commune" else name  # the commune stands for an address
        return form.data, None, Problem(message, (shown,)), 400
    if form.address.data and (form.lon.data or form.lat.data):
        return form.data, None, _address_or_coordinates(form), 400
    try:
        check = check_location(get_engine(), get_geocoder(), form.policy.data,
                               commune_fallback=True, postcodes=postcodes(), **form.location())
    except tuple(kind for kind, _ in FAILURES) as failure:
        status = next(code for kind, code in FAILURES if isinstance(failure, kind))
        if isinstance(failure, CommuneUnknown) and failure.parameter == "commune":
            status = 400
        return form.data, None, Problem(str(failure), _fields_of(failure),
                                        getattr(failure, "choices", [])), status
    return form.data, check, None, 200


@bp.app_template_global()
def qpv_unmeasured(row: dict) -> str:
    """Why a verdict names no nearest QPV without proving there is none (the certificate
    said « aucun QPV à moins de 5 000 m » for a place known by its commune only)."""
    if row["precision"] in COARSE_PRECISIONS:
        return ("lieu connu seulement par sa commune : la distance à un QPV n'est pas "
                "mesurée")
    return "les contours des QPV chargés ne couvrent pas tout le rayon de recherche"


VERDICT_HEADINGS = {"qpv": "Territoire éligible", "hors-grands-centres-urbains":
                    "Territoire éligible", "non-eligible": "Territoire non éligible"}
TO_SETTLE_HEADING = ("Territoire éligible : catégorie à préciser (QPV ou hors des grands "
                     "centres urbains)")


@bp.app_template_global()
def only_category_open(row: dict) -> bool:
    """An « à vérifier » verdict eligible whatever its undecided condition says: only its
    category (QPV or « hors des grands centres urbains ») is open."""
    if row["category"] != CATEGORY_UNDETERMINED:
        return False
    halves = (row["in_qpv"], row["near_qpv"], row["outside_large_urban_centre"])
    return eligible_either_way(possible_of_halves(*halves,
                                                  load_policy(row["policy"]).precedence))


@bp.app_template_global()
def verdict_heading(row: dict, categories: dict) -> str:
    """The verdict's heading: eligible or not first (the word an applicant looks for), then
    the category; « Éligibilité à vérifier » when a condition is undetermined, unless the
    place is eligible either way."""
    if only_category_open(row):
        return TO_SETTLE_HEADING
    if row["category"] not in VERDICT_HEADINGS:
        return "Éligibilité à vérifier"
    return f"{VERDICT_HEADINGS[row['category']]} : {categories[row['category']]}"


@bp.get("/verifier")
def verifier():
    """Check one location: an address (BAN) or coordinates, under a chosen policy."""
    form, check, problem, status = _checked_location(LocationForm())
    features = map_features(get_engine(), check) if check else None
    return render_template("verifier.html", form=form, check=check,
                           problem=problem, labels=COMPONENT_LABELS, categories=CATEGORIES,
                           policy=load_policy(check.verdict.row["policy"]) if check else None,
                           features=features, communes=COMMUNE_OUTLINES,
                           communes_zoom=LAYERS[COMMUNE_OUTLINES].min_zoom,
                           qpv_vintages={name: load_policy(name).qpv_vintage
                                         for name in available_policies()},
                           basemap=basemap(current_app)), status


@bp.get("/verifier/attestation")
def attestation():
    """A dated, printable record of one verdict, with the policy and the datasets used."""
    form, check, problem, status = _checked_location(AttestationForm())
    if check is None and problem is None:
        problem, status = Problem("indiquez une adresse ou des coordonnées"), 400
    location = {name: form[name] for name in ("address", "lon", "lat", "commune", "policy")
                if form.get(name)}
    return render_template("attestation.html", form=form, check=check, problem=problem,
                           recheck_url=url_for("verifier.verifier", _external=True, **location),
                           policy=load_policy(form["policy"]) if check else None,
                           versions=datasets_used(get_engine(), check) if check else [],
                           labels=COMPONENT_LABELS, categories=CATEGORIES, titled=titled,
                           issued=datetime.now(PARIS)), status
