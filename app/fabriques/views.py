"""``/fabriques/<id>``: a Fabrique's public page; ``POST /fabriques/<id>/livrables``: an
instructor records one of its deliverables. The page reads ``geodata.storage`` only: the
Fabrique as the map and the open data show it, the engine's verdict at its place, its
declared networks, its deliverables (never who recorded them)."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from app.access import role_required
from app.db import get_engine, wave_policy
from app.errors import error_page
from app.fabriques.forms import DeliverableForm
from geodata.checks import LocationError, check_point
from geodata.deliverables import LICENCE_URLS, LICENCES, DeliverableInput
from geodata.eligibility import EligibilityError
from geodata.policy import DEFAULT_POLICY, SHORT_CATEGORIES, Policy, load_policy
from geodata.publication import SOURCES
from geodata.storage.deliverables import deliverables_of, record_deliverables
from geodata.storage.laureates import laureate_by_id, same_as
from geodata.storage.networks import RESOURCE_ROLE, declared_networks

__all__ = ["bp"]

bp = Blueprint("fabriques", __name__, template_folder="templates")


def _explanation(engine, row: dict) -> str | None:
    """The engine's explanation of the category at the Fabrique's place, or None."""
    if row["lon"] is None:
        return None
    try:
        check = check_point(engine, row["policy"], row["lon"], row["lat"], row["precision"],
                            row["commune_code"])
    except (LocationError, EligibilityError):
        return None
    return check.verdict.explanation


def _wave_rules(row: dict, shown: Policy) -> Policy | None:
    """The rules the Fabrique's wave was decided under (the waves' calendar), when they are
    not those the page shows: a laureate of 2020 chosen under the AMI 2019's rules."""
    if not row["wave"]:
        return None
    rules = load_policy(wave_policy(current_app, row["wave"]))
    return None if rules.name == shown.name else rules


def _not_found(fabrique_id: str):
    shown = fabrique_id if len(fabrique_id) <= 40 else fabrique_id[:40] + "…"
    return error_page("Fabrique introuvable",
                      f"Aucune Fabrique lauréate n'a l'identifiant « {shown} ». La carte des "
                      "Fabriques les liste toutes.", 404)


def _page(fabrique_id: str, form: DeliverableForm, status: int = 200):
    engine = get_engine()
    policy = load_policy(DEFAULT_POLICY)
    row = laureate_by_id(engine, policy, fabrique_id)
    if row is None:
        published = same_as(engine, fabrique_id)
        if published is not None:
            return redirect(url_for("fabriques.fabrique", fabrique_id=published))
        return _not_found(fabrique_id)
    wave_rules = _wave_rules(row, policy)
    return render_template(
        "fabrique.html", fabrique=row, policy=policy, form=form, wave_rules=wave_rules,
        at_wave=wave_rules and laureate_by_id(engine, wave_rules, fabrique_id),
        explanation=_explanation(engine, row), short_categories=SHORT_CATEGORIES,
        networks=[(network, sum(role != RESOURCE_ROLE for _, _, role in network.members))
                  for network in declared_networks(engine, fabrique_id=fabrique_id)],
        deliverables=deliverables_of(engine, fabrique_id), licence_urls=LICENCE_URLS,
        licences=LICENCES,
        sources=SOURCES,
        can_record=current_user.is_authenticated and current_user.has_role("instructor"),
    ), status


PUBLISHED_NUMBER = re.compile(r"fabt-0*([1-9][0-9]{0,3})", re.IGNORECASE)
DECIDED_NUMBER = re.compile(r"ds-([0-9]{1,12})", re.IGNORECASE)


def as_published(fabrique_id: str) -> str:
    """An identifier as the service writes it: spaces around it dropped, « FABT-59 » and
    « fabt-059 » as « fabt-59 » (the ANCT's, numbers below 10 on two digits: « fabt-07 »),
    « DS-1234514 » as « ds-1234514 » (a laureate decided here)."""
    written = fabrique_id.strip()
    if found := PUBLISHED_NUMBER.fullmatch(written):
        return f"fabt-{int(found[1]):02d}"
    if found := DECIDED_NUMBER.fullmatch(written):
        return f"ds-{found[1]}"
    return written


@bp.get("/fabriques/<fabrique_id>")
def fabrique(fabrique_id: str):
    """A Fabrique's public page (an identifier copied with spaces around it, or written
    otherwise than the ANCT does: its page)."""
    published = as_published(fabrique_id)
    if published != fabrique_id and published:
        return redirect(url_for("fabriques.fabrique", fabrique_id=published))
    return _page(fabrique_id, DeliverableForm(formdata=None))


@bp.post("/fabriques/<fabrique_id>/livrables")
@role_required("instructor")
def record(fabrique_id: str):
    """Record a deliverable of the Fabrique (instructors and admins)."""
    engine = get_engine()
    if laureate_by_id(engine, load_policy(DEFAULT_POLICY), fabrique_id) is None:
        return _not_found(fabrique_id)
    form = DeliverableForm()
    if not form.validate():
        return _page(fabrique_id, form, 400)
    record_deliverables(engine, [DeliverableInput(fabrique_id, form.title.data,
                                                  form.url.data, form.licence.data)],
                        current_user.email)
    flash(f"Livrable « {form.title.data} » enregistré.", "success")
    return redirect(url_for("fabriques.fabrique", fabrique_id=fabrique_id) + "#livrables")
