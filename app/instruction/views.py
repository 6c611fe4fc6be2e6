"""The instructors' history of checks: keep a verdict with its dossier, list it, export it.

``POST /instruction/historique`` checks the location again on the server (a verdict sent by
the browser is never trusted) and keeps it; ``GET /instruction/historique`` lists the
person's checks (everyone's, with who, for the ministry and admins), newest first;
``GET /instruction/historique.csv`` exports them for a French spreadsheet (UTF-8 with BOM,
";" separators, decimal commas), ``GET /instruction/historique.xlsx`` as a workbook (codes
as text cells, that a spreadsheet keeps: « 02361 », not 2361). Nothing here is shown to
someone not logged in.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user

from app.access import role_required
from app.db import get_engine, get_geocoder, postcodes
from app.forms import first_error
from app.instruction.forms import DossierForm, HistoryQuery
from app.security import no_store
from geodata.checks import LocationError, check_location
from geodata.eligibility import EligibilityError
from geodata.eligibility.sentences import PRECISION_LABELS
from geodata.french import PARIS
from geodata.geocoder import GeocoderError
from geodata.policy import (
    CATEGORIES,
    CATEGORY_PHRASES,
    SHORT_CATEGORIES,
    PolicyError,
    policy_title,
)
from geodata.spreadsheet import XLSX_MIMETYPE, french_value, spreadsheet_csv, spreadsheet_xlsx
from geodata.storage.history import (
    CheckFilter,
    DossierError,
    authors,
    count_checks,
    list_checks,
    record_check,
    waves,
)
from geodata.storage.models import CheckRecord

__all__ = ["CSV_COLUMNS", "bp", "permalink"]

bp = Blueprint("instruction", __name__, template_folder="templates")
no_store(bp)

PER_PAGE = 50
FAILURES = (LocationError, PolicyError, EligibilityError, GeocoderError, DossierError)
CSV_COLUMNS = (
    "date (heure de Paris)", "compte", "dossier", "projet", "vague", "FNT",
    "montant demandé (€)", "règles", "lieu saisi", "adresse trouvée", "score du géocodage",
    "longitude", "latitude", "précision", "code commune", "commune", "catégorie", "verdict",
    "en QPV", "QPV", "QPV le plus proche", "distance au QPV (m)", "proximité immédiate",
    "hors des grands centres urbains", "versions des données", "lien",
)


def permalink(record: CheckRecord, external: bool = False) -> str:
    """The /verifier page of a kept check's location and policy (checked again today)."""
    if record.geocoded_label is not None:
        return url_for("verifier.verifier", address=record.query, policy=record.policy,
                       _external=external)
    return url_for("verifier.verifier", lon=repr(record.lon), lat=repr(record.lat),
                   policy=record.policy, _external=external)


def _not_kept(form: DossierForm, message: str):
    """Back to the checker, its form filled again, saying why nothing was kept."""
    flash(f"Vérification non enregistrée : {message}", "error")
    return redirect(url_for("verifier.verifier", **form.location_typed()))


@bp.post("/instruction/historique")
@role_required("instructor")
def record():
    """Check the location again and keep it with the dossier's fields (then redirect)."""
    form = DossierForm()
    if not form.validate():
        return _not_kept(form, first_error(form, form.ERROR_ORDER)[1])
    try:
        location = form.location()
        check = check_location(get_engine(), get_geocoder(), form.policy.data,  # as shown
                               commune_fallback=True, postcodes=postcodes(), **location)
        query = location.get("address") or f"{location['lon']!r}, {location['lat']!r}"
        dossier = form.dossier()
        record_check(get_engine(), current_user.id, check, form.policy.data, query, dossier)
    except FAILURES as failure:
        return _not_kept(form, str(failure))
    reference = " ".join((dossier["dossier_ref"] or "").split())
    flash("Vérification enregistrée dans l'historique"
          + (f" du dossier {reference}." if reference else "."), "success")
    return redirect(url_for("instruction.index"))


def _scope() -> int | None:
    """Whose checks the person sees: their own, or everyone's (ministry, admin)."""
    return None if current_user.has_role("ministry") else current_user.id


def _paris_midnight(day: date | None, days: int = 0) -> datetime | None:
    return None if day is None else datetime.combine(day + timedelta(days=days), time(),
                                                     tzinfo=PARIS)


def _query() -> tuple[HistoryQuery, CheckFilter, str | None]:
    """The page's filters, what they keep, and why they are refused (then: none kept)."""
    form = HistoryQuery()
    if not form.validate():
        error = first_error(form, form.ORDER)[1]
        return HistoryQuery(formdata={}), CheckFilter(), error
    author = form.auteur.data if _scope() is None else None  # the ministry's choice only
    selection = CheckFilter(
        wave=form.vague.data or None, category=form.categorie.data or None, author=author,
        since=_paris_midnight(form.du.data), until=_paris_midnight(form.au.data, days=1),
        dossier=form.dossier.data or None)
    return form, selection, None


@bp.get("/instruction/historique")
@role_required("instructor", "ministry")
def index():
    """The kept checks, newest first, 50 a page, filtered."""
    user_id = _scope()
    form, selection, error = _query()
    engine = get_engine()
    total = count_checks(engine, user_id, selection)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, form.page.data or 1), pages)
    entries = list_checks(engine, user_id, PER_PAGE, (page - 1) * PER_PAGE, selection)
    return render_template("historique.html", entries=entries, total=total, page=page,
                           pages=pages, everyone=user_id is None, categories=CATEGORY_PHRASES,
                           permalink=permalink, paris=PARIS, policy_title=policy_title,
                           form=form, error=error,
                           asked=form.asked(), waves=waves(engine),
                           authors=authors(engine) if user_id is None else [],
                           filtered=selection != CheckFilter())


def _row(entry) -> list:
    r = entry.record
    row = r.result
    versions = ", ".join(f"{v['source']} ({v['vintage']}, {v['checksum']})"
                         for v in r.dataset_versions)
    values = (
        r.checked_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S"), entry.email,
        r.dossier_ref, r.project_name, r.wave, r.fnt, r.funding_eur,
        policy_title(r.policy) or r.policy, r.query,
        r.geocoded_label, r.geocoding_score, r.lon, r.lat,
        PRECISION_LABELS.get(r.precision, r.precision), r.commune_code,
        row.get("commune_name"), SHORT_CATEGORIES.get(r.category, r.category),
        CATEGORIES.get(r.category, r.category),
        row.get("in_qpv"), row.get("qpv_code"), row.get("nearest_qpv_code"),
        row.get("distance_to_qpv_m"), row.get("near_qpv"), row.get("outside_large_urban_centre"),
        versions, permalink(r, external=True),
    )
    return list(values)


@bp.get("/instruction/historique.csv", defaults={"kind": "csv"})
@bp.get("/instruction/historique.xlsx", defaults={"kind": "xlsx"})
@role_required("instructor", "ministry")
def export(kind: str):
    """Every kept check of the page's scope and filters, as CSV for a French spreadsheet or
    as a workbook (xlsx: codes as text cells)."""
    _form, selection, _error = _query()
    rows = (_row(entry) for entry in list_checks(get_engine(), _scope(), limit=None,
                                                 selection=selection))
    if kind == "xlsx":
        body = spreadsheet_xlsx(CSV_COLUMNS, rows, "Vérifications")
    else:
        body = spreadsheet_csv(CSV_COLUMNS, ([french_value(v) for v in row] for row in rows))
    return Response(
        body, mimetype=XLSX_MIMETYPE if kind == "xlsx" else "text/csv",
        headers={"Content-Disposition":
                 f"attachment; filename=historique-verifications.{kind}"},
    )
