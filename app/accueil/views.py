"""``/`` (what the service is for, and the way to each audience's page), ``/donnees`` (the
data in service), ``/sante``, and the pages every public service owes its users, linked
from every page's footer: ``/aide`` (what the verdicts mean; ``/aide/api``, the API's, is
the API room's), ``/accessibilite`` (the accessibility statement, RGAA), ``/mentions-legales``,
``/donnees-personnelles``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from app.accueil.inventory import coverage, kind, rows_text
from app.db import get_engine
from geodata.policy import CATEGORIES, DEFAULT_POLICY, available_policies, load_policy
from geodata.storage.database import DatabaseUnreachable, unreachable_status
from geodata.storage.jury_laureates import JURY_SOURCE
from geodata.storage.laureates import fabrique_count, fabriques_counted
from geodata.storage.reference import loaded_versions, scope_names, titled

__all__ = ["bp"]

bp = Blueprint("accueil", __name__, template_folder="templates")


@bp.get("/")
def home():
    """What the service does and for whom, each audience led to its page; the data in
    service in one line (a database that does not answer is the 503 page of ``app.errors``,
    never "not created yet")."""
    versions = loaded_versions(get_engine())
    # each Fabrique once, as the map counts them (not the sum of the sources' rows: a
    # laureate decided by a jury may be a published Fabrique)
    laureates = fabrique_count(get_engine()) if versions else 0
    return render_template("home.html", versions=versions, laureates=laureates)


@bp.get("/donnees")
def donnees():
    """The dataset versions in service, in French: source, kind, vintage, coverage, rows;
    and how the published list and the juries' laureates make the Fabriques in service (the
    number the home page, the map, the API and the dashboard give)."""
    versions = loaded_versions(get_engine())
    return render_template("donnees.html", versions=versions, titled=titled,
                           jury_source=JURY_SOURCE, rows_text=rows_text, kind=kind,
                           coverage=coverage, names=scope_names(get_engine()) if versions else {},
                           fabriques=fabriques_counted(get_engine()) if versions else None)


@bp.get("/sante")
def health():
    """200 when the database answers with its schema, else 503: "base injoignable" when it
    does not answer, "base absente" or "connexion refusée" when its server refuses the
    connection (a database to create, a login to correct: waiting will not help), "schéma
    absent" when it answers without the schema."""
    try:
        versions = loaded_versions(get_engine())
    except DatabaseUnreachable as error:
        return jsonify(status=unreachable_status(error), datasets=None), 503
    status = 200 if versions is not None else 503
    return jsonify(
        status="ok" if versions is not None else "schéma absent",
        datasets=len(versions or []),
    ), status


@bp.app_context_processor
def operator():
    """Who answers the users (``CONTACT_EMAIL``) and who hosts the service (``HOSTING``),
    for the footer and the information pages."""
    return {"contact_email": current_app.config.get("CONTACT_EMAIL") or None,
            "hosting": current_app.config.get("HOSTING") or None}


@bp.get("/aide")
def aide():
    """What the checker answers and the words it uses, with each policy's own figures."""
    return render_template("aide.html", categories=CATEGORIES,
                           policies=[load_policy(name) for name in available_policies()],
                           quotas=load_policy(DEFAULT_POLICY).quotas)


@bp.get("/accessibilite")
def accessibilite():
    return render_template("accessibilite.html")


@bp.get("/mentions-legales")
def mentions_legales():
    return render_template("mentions_legales.html")


@bp.get("/donnees-personnelles")
def donnees_personnelles():
    return render_template("donnees_personnelles.html")
