"""One dossier checked again, and the ways forward of a dossier not located.

``POST /instruction/dossiers/<numero>/reverifier`` (instructors): the dossier's checks
done again with today's data under the rules it was checked with (``reverify_dossiers``
for this dossier alone): a dossier not located is looked up by its address again (the BAN
may have been unreachable at its import). The dossier's page links a dossier not located
to the checker, its address and reference filled in (``checker_link``), and lists the
checks kept with its reference (``kept_checks``).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_login import current_user

from app.access import role_required
from app.db import data_dir, get_engine, get_geocoder
from app.instruction.views import permalink
from geodata.dossiers.calendar import CalendarError
from geodata.policy import CATEGORIES, PolicyError
from geodata.storage.dossiers import NO_WAVE, find_dossier
from geodata.storage.history import HistoryEntry, dossier_checks
from loaders.dossiers import reverify_dossiers
from loaders.errors import LoadError

__all__ = ["bp", "checker_link", "kept_checks", "not_located_why"]

bp = Blueprint("recheck", __name__)
bp.add_app_template_global(permalink, "permalink")  # the kept checks' links to the checker

NOT_LOCATED = "Non localisé : "
"""How a dossier's territory check begins when the dossier has no place
(``loaders.dossiers.territory_finding``)."""


@bp.app_template_global()
def not_located_why(dossier) -> str | None:
    """Why the dossier has no place (« Base Adresse Nationale injoignable », « adresse
    introuvable »...), « raison inconnue » if the check does not say; None when located."""
    if dossier.lon is not None:
        return None
    said = (dossier.checks.get("territoire") or {}).get("explanation") or ""
    why = said.removeprefix(NOT_LOCATED).rstrip(".") if said.startswith(NOT_LOCATED) else ""
    return why or "raison inconnue"


@bp.app_template_global()
def checker_link(dossier) -> str:
    """The checker (commune fall-back, map click) with the dossier's address, rules and
    reference filled in, so that the check can be kept with the dossier."""
    return url_for("verifier.verifier", address=dossier.address or None,
                   policy=dossier.policy, dossier=str(dossier.number))


def kept_checks(number: int) -> list[HistoryEntry] | None:
    """The checks kept with the dossier's number as reference, newest first, that the
    account sees in the history (an instructor's own, everyone's for the ministry); None
    for an account without the history (a prefecture)."""
    if current_user.has_role("ministry"):
        return dossier_checks(get_engine(), str(number))
    if current_user.has_role("instructor"):
        return dossier_checks(get_engine(), str(number), current_user.id)
    return None


@bp.post("/instruction/dossiers/<int:number>/reverifier")
@role_required("instructor")
def reverify(number: int):
    """Check one dossier again (its place looked up again if it has none), then its page."""
    found = find_dossier(get_engine(), number)
    if found is None:
        flash(f"Aucun dossier n° {number}.", "error")
        return redirect(url_for("dossiers.index"))
    try:
        stored, not_located, _notes = reverify_dossiers(
            get_engine(), get_geocoder(), data_dir=data_dir(current_app),
            wave=found.wave or NO_WAVE, policy_name=found.policy, actor=current_user.email,
            numbers={number})
    except (CalendarError, PolicyError, LoadError) as error:
        flash(f"Dossier {number} non vérifié de nouveau : {error}.", "error")
        return redirect(url_for("dossiers.dossier", number=number))
    after = find_dossier(get_engine(), number)
    if number in not_located:
        flash(f"Dossier {number} vérifié de nouveau, toujours non localisé : "
              f"{not_located[number]}. Réessayez plus tard, ou vérifiez son lieu dans le "
              "vérificateur (commune, clic sur la carte).", "warning")
    else:
        changed = "vérifications changées" if number in stored.updated else \
            "vérifications inchangées"
        flash(f"Dossier {number} vérifié de nouveau avec les données du jour : {changed} "
              f"({CATEGORIES.get(after.category, after.category)}).", "success")
    return redirect(url_for("dossiers.dossier", number=number))
