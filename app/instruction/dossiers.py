"""A wave's dossiers for the instructors (and the ministry, read only).

``GET /instruction/dossiers``: the dossiers of a wave, filtered (state, category,
département, type, a check not passed), sorted, counted per state and category, 100 a page;
``GET /instruction/dossiers.csv``: the same selection for a French spreadsheet, ``.xlsx`` as a
workbook (codes as text cells);
``GET /instruction/dossiers/<numero>``: one dossier, its facts, checks and history;
``POST /instruction/dossiers/etat``: the dossiers ticked in the table moved to a state, with
a motivation, after a confirmation page that says which moves the rules allow (instructors);
``POST /instruction/dossiers/<numero>/avis``: a prefecture's avis;
``GET|POST /instruction/dossiers/import``: a Démarches Simplifiées export uploaded and
imported, the report on screen (instructors). A prefecture sees the
dossiers of its départements only (any other is "introuvable").
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.access import local_path, role_required
from app.db import calendar_file, calendar_waves, data_dir, get_engine, get_geocoder
from app.errors import error_page
from app.forms import first_error, keep_for_next_page, kept_from_last_post
from app.instruction.changes import changes
from app.instruction.forms import AVIS_TEXT_MAX, AvisForm, DossiersQuery, ImportForm, MoveForm
from app.instruction.kept import MOVE_KEPT, KeptMove, avis_sent, keep_avis
from app.instruction.recheck import kept_checks
from app.instruction.rules_said import wave_categories_rules
from app.instruction.waves import unknown_wave, waves_shown
from app.security import no_store
from geodata.checks import LocationError, check_point, map_features
from geodata.dossiers import selection
from geodata.dossiers.calendar import CalendarError
from geodata.dossiers.export import export_csv, export_xlsx
from geodata.dossiers.records import DS_CLOSED, DS_STATES, KINDS
from geodata.dossiers.selection import CHECKS, NO_AVIS, SORTS, check_value, counts
from geodata.dossiers.states import workflow
from geodata.eligibility import EligibilityError
from geodata.french import PARIS, agreed
from geodata.policy import (
    CATEGORIES,
    PolicyError,
    available_policies,
    load_policy,
    policy_title,
)
from geodata.spreadsheet import XLSX_MIMETYPE
from geodata.storage.accounts import prefecture_departements
from geodata.storage.dossier_nearby import nearby_said
from geodata.storage.dossiers import (
    NO_WAVE,
    MoveRefused,
    avis_stamp,
    dossier_events,
    dossier_waves,
    dossiers_by_wave,
    find_dossier,
    find_dossiers,
    give_avis,
    list_dossiers,
    move_dossiers,
    stored_policies,
)
from geodata.storage.jury import standing_decisions
from loaders.dossier_rules import BY_WAVE
from loaders.dossiers import import_dossiers
from loaders.errors import LoadError

__all__ = ["bp", "visible_dossier"]

bp = Blueprint("dossiers", __name__, template_folder="templates")
no_store(bp)

PER_PAGE = 100


def _selection(query: DossiersQuery):
    """The wave asked (by default the latest where the account sees dossiers: the wave at
    work), its dossiers and those the filters keep, sorted."""
    departements = current_user.departements if current_user.role == "prefecture" else None
    waves = [NO_WAVE if w is None else w
             for w in dossier_waves(get_engine(), departements=departements)]
    numbered = [w for w in waves if w != NO_WAVE]
    wave = query.vague.data or (numbered[-1] if numbered else waves[0] if waves else None)
    waves = waves_shown(waves, wave)  # a known wave without dossiers of the account's
    everything = [d for d in (list_dossiers(get_engine(), wave) if wave is not None else [])
                  if _may_see(d)]
    return waves, wave, everything, query.selection().apply(everything, query.tri.data or
                                                            "numero")


def _may_see(dossier) -> bool:
    """A prefecture sees the dossiers of its départements only; the others see them all."""
    return current_user.role != "prefecture" or \
        dossier.departement_code in current_user.departements


@bp.get("/instruction/dossiers")
@role_required("instructor", "ministry", "prefecture")
def index():
    query = DossiersQuery()
    if not query.validate():
        return error_page("Filtre invalide", first_error(query, query.ORDER)[1], 400)
    kept = kept_from_last_post(MOVE_KEPT)  # a change of state refused, or to change
    return _list_page(query, None if kept is None else KeptMove.from_session(kept))


def _list_page(query: DossiersQuery, kept: KeptMove | None = None):
    """The dossiers' list; with ``kept``, the change of state refused or to be changed is
    still ticked and typed, and the page says why."""
    waves, wave, everything, selected = _selection(query)
    if wave is not None and wave not in waves:  # as the jury's page: not an empty list
        return error_page("Vague inconnue", unknown_wave(wave, waves), 404)
    pages = max(1, math.ceil(len(selected) / PER_PAGE))
    page = min(query.page.data or 1, pages)
    counted = counts(everything)
    return render_template(
        "dossiers.html", waves=waves, wave=wave, no_wave=NO_WAVE, everything=everything,
        kept=selected,
        shown=selected[(page - 1) * PER_PAGE:page * PER_PAGE], page=page, pages=pages,
        counts=counted, asked=query.asked(), query=query,
        categories_rules=wave_categories_rules(everything, None if wave == NO_WAVE else wave),
        options=_options(waves, counted), states=workflow().labels,
        categories=selection.SHOWN_CATEGORIES, check_value=check_value, kinds=KINDS,
        avis_labels=workflow().avis, ds_states=DS_STATES, ds_closed=DS_CLOSED,
        may_move=current_user.has_role("instructor"), kept_move=kept,
        avis_asked=_avis_asked(),
        targets=[(state, workflow().target_label(state))
                 for state in workflow().instruction_targets])


def _avis_asked() -> dict[str, int]:
    """For a prefecture, the dossiers awaiting its avis by wave (every wave: it lands on
    the latest only); nothing for the other accounts."""
    if current_user.role != "prefecture":
        return {}
    asked = dossiers_by_wave(get_engine(), workflow().avis_asked, current_user.departements)
    return {NO_WAVE if wave is None else wave: n for wave, n in asked.items()}


def _options(waves, counted) -> dict[str, list]:
    """The filters' options, each with how many dossiers of the wave it keeps."""
    return {
        "waves": [(w, "sans vague" if w == NO_WAVE else w) for w in waves],
        "states": [(s, f"{label} ({counted['state'][s]})")
                   for s, label in workflow().labels.items()],
        "avis": [(a, f"{label} ({counted['avis'][a]})")
                 for a, label in [*workflow().avis.items(), (NO_AVIS, "Sans avis")]],
        "categories": [(c, f"{label} ({counted['shown_category'][c]})")
                       for c, label in selection.SHOWN_CATEGORIES.items()],
        "departements": [(d, f"{d} ({n})") for d, n in sorted(counted["departement"].items())],
        "kinds": [(k, f"{label} ({counted['kind'][k]})") for k, label in KINDS.items()],
        "checks": list(CHECKS.items()),
        "sorts": [(key, label) for key, (label, _) in SORTS.items()],
    }


@bp.get("/instruction/dossiers.csv", defaults={"kind": "csv"})
@bp.get("/instruction/dossiers.xlsx", defaults={"kind": "xlsx"})
@role_required("instructor", "ministry", "prefecture")
def export(kind: str):
    """The selected dossiers as CSV for a French spreadsheet, or as a workbook (xlsx)."""
    query = DossiersQuery()
    if not query.validate():
        return error_page("Filtre invalide", first_error(query, query.ORDER)[1], 400)
    waves, wave, _, kept = _selection(query)
    if wave is not None and wave not in waves:  # headers alone read as « no dossier yet »
        return error_page("Vague inconnue", unknown_wave(wave, waves), 404)
    name = f"dossiers-vague-{wave}.{kind}" if wave else f"dossiers.{kind}"
    decided = standing_decisions(get_engine(), kept)  # the jury's, for the minutes
    body = export_xlsx(kept, f"Vague {wave}" if wave else "Dossiers", decided) \
        if kind == "xlsx" else export_csv(kept, tableur=True, decisions=decided)
    return Response(body, mimetype=XLSX_MIMETYPE if kind == "xlsx" else "text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/instruction/dossiers/<int:number>")
@role_required("instructor", "ministry", "prefecture")
def dossier(number: int):
    return _dossier_page(visible_dossier(number), *avis_sent(number))  # an avis refused, once


def _dossier_page(found, sent: AvisForm | None = None, refused: str | None = None):
    """The dossier's page; after an avis refused, with what the prefecture sent (``sent``,
    kept in the form, or shown to copy when no avis can be given any more) and why."""
    rules = workflow()
    may_give = current_user.has_role("prefecture") and rules.avis_refusal(found.state) is None
    form = sent if sent is not None else AvisForm(avis=found.avis or "",
                                                     texte=found.avis_text or "")
    return render_template(
        "dossier.html", dossier=found, events=dossier_events(get_engine(), found.number),
        nearby=nearby_said(get_engine(), found),
        features=_map_features(found), policy_title=policy_title(found.policy),
        states=rules.labels, categories=CATEGORIES, kinds=KINDS, checks=CHECKS,
        check_value=check_value, paris=PARIS, avis_labels=rules.avis,
        avis_form=form if may_give else None, avis_sent=sent, avis_refused=refused,
        avis_seen=avis_stamp(found), ds_states=DS_STATES, ds_closed=DS_CLOSED,
        changes=changes, avis_text_max=AVIS_TEXT_MAX, kept_checks=kept_checks(found.number),
        move_from=url_for("dossiers.index", vague=found.wave or NO_WAVE,
                          recherche=str(found.number), coche=str(found.number),
                          _anchor="changer-etat-champs")
        if current_user.has_role("instructor") else None)


def _list_path(target: str | None) -> str | None:
    """``target`` if it is the dossiers' list on this site (its filters kept), else None."""
    path = local_path(target)
    return path if path and path.split("?")[0] == url_for("dossiers.index") else None


def _usual_policy() -> tuple[str, bool]:
    """The rules most stored dossiers were checked under, and True; those of each wave
    (``BY_WAVE``) and False when there is none: the import page's default, so that
    importing a wave again keeps its rules, and a first import takes its wave's."""
    used = Counter(stored_policies(get_engine()).values()).most_common(1)
    if used and used[0][0] in available_policies():
        return used[0][0], True
    return BY_WAVE, False


def _map_features(dossier) -> dict | None:
    """The verdict's small map at the dossier's place, with today's data (None: not
    located, or outside every territory)."""
    if dossier.lon is None:
        return None
    try:
        check = check_point(get_engine(), dossier.policy, dossier.lon, dossier.lat,
                            dossier.precision or "point", dossier.commune_code)
    except (LocationError, EligibilityError, PolicyError):
        return None
    return map_features(get_engine(), check)


def visible_dossier(number: int):
    """The dossier, if the account may see it; a 404 otherwise (its existence included)."""
    found = find_dossier(get_engine(), number)
    if found is None or not _may_see(found):
        abort(404, description=f"Aucun dossier n° {number}.")
    return found


@bp.post("/instruction/dossiers/<int:number>/avis")
@role_required("prefecture")
def avis(number: int):
    """A prefecture's avis on a dossier of its départements (its text is required)."""
    found = visible_dossier(number)
    form = AvisForm()
    if not form.validate():
        return _avis_refused(found, form, first_error(form, form.ORDER)[1], 400)
    try:
        recorded = give_avis(get_engine(), number, form.avis.data, form.texte.data,
                             current_user.email, seen=form.avis_vu.data,
                             departements=current_user.departements
                             if current_user.role == "prefecture" else None)
    except MoveRefused as refused:
        return _avis_refused(visible_dossier(number), form, refused.reasons[number], 409)
    label = workflow().avis[form.avis.data]
    flash(f"Avis « {label} » enregistré." if recorded else
          f"Avis « {label} » déjà enregistré avec ce texte : rien de changé.", "success")
    return redirect(url_for("dossiers.dossier", number=number))


def _avis_refused(found, form: AvisForm, why: str, status: int):
    """Back to the dossier's page (303), which says why and gives the text back; when the
    text is too long to keep in the session, that page as the answer (``status``)."""
    if keep_avis(found.number, form, why):
        return redirect(url_for("dossiers.dossier", number=found.number,
                                _anchor="avis-prefecture"), code=303)
    return _dossier_page(found, form, why), status


@bp.post("/instruction/dossiers/etat")
@role_required("instructor")
def move():
    """First the confirmation page (each move allowed or why not), then, confirmed, the
    moves: all or none, each an event signed by the account. A move refused, or to be
    changed (``confirme=modifier``), gives the list back with the dossiers still ticked,
    the state and the motivation as typed."""
    form = MoveForm()
    back = _list_path(form.retour.data) or url_for("dossiers.index",
                                                   vague=form.vague.data or None)
    numbers = form.numbers() if form.validate() else None
    if numbers is None:
        problem = first_error(form, form.ORDER)
        return _kept_list(form, back, "Aucun changement d'état : " + (
            problem[1] if problem else "numéro de dossier invalide"), 422)
    if form.confirme.data == "modifier":
        return _kept_list(form, back, None)
    rules, target = workflow(), form.vers.data
    if form.confirme.data != "oui":
        found = find_dossiers(get_engine(), numbers)
        moves = [(number, found.get(number), "dossier inconnu" if number not in found
                  else rules.instruction_refusal(found[number].state, target,
                                                 form.motivation.data,
                                                 has_avis=found[number].avis is not None))
                 for number in numbers]
        return render_template("dossiers_etat.html", form=form, moves=moves,
                               target=rules.labels[target], states=rules.labels,
                               refused=[m for m in moves if m[2]], back=back,
                               no_prefecture=_no_prefecture(moves, target))
    try:
        moved = move_dossiers(get_engine(), numbers, target, current_user.email,
                              form.motivation.data, instruction=True)
    except MoveRefused as refused:
        return _kept_list(form, back, "Aucun dossier n'a changé d'état : " + " ; ".join(
            f"dossier {n} : {why}" for n, why in refused.reasons.items()), 409)
    moved_text = agreed("dossier(s) passé(s)", len(moved))
    flash(f"{len(moved)} {moved_text} à « {rules.labels[target]} ».", "success")
    return redirect(back)


def _no_prefecture(moves, target: str) -> list[tuple[int, str | None]]:
    """The dossiers whose avis would be asked where no prefecture account can give it (no
    département, or none of an active account): (number, département)."""
    if target != workflow().avis_asked:
        return []
    seen = prefecture_departements(get_engine())
    return [(number, dossier.departement_code) for number, dossier, why in moves
            if dossier is not None and not why and dossier.departement_code not in seen]


def _kept_list(form: MoveForm, back: str, problem: str | None, status: int = 200):
    """The list at ``back`` (its filters, sort and page) by a redirection (303), the move
    sent kept in it; that list as the answer (``status``) when the move is too big to keep
    in the session."""
    query = DossiersQuery(formdata=MultiDict(parse_qsl(urlsplit(back).query)))
    if not query.validate():  # a list path made by hand: the wave's whole list
        back = url_for("dossiers.index", vague=form.vague.data or None)
        query = DossiersQuery(formdata=MultiDict({"vague": form.vague.data or ""}))
    numbers = [int(n) for n in form.numero.data or [] if n.isascii() and n.isdigit()]
    kept = KeptMove(frozenset(numbers), form.vers.data or "", form.motivation.data or "",
                    problem, back)
    if keep_for_next_page(MOVE_KEPT, kept.to_session()):
        return redirect(back, code=303)
    return _list_page(query, kept), status


@bp.route("/instruction/dossiers/import", methods=["GET", "POST"])
@role_required("instructor")
def upload():
    """The upload form; posted, the import and its report (nothing imported on an error)."""
    form = ImportForm()
    if not form.is_submitted():
        form.policy.data, kept = _usual_policy()  # a re-import keeps the wave's rules
        return _import_page(form, rules_kept=kept)
    if not form.validate():
        return _import_page(form, error=first_error(form, form.ORDER)[1]), 400
    upload_file = form.fichier.data
    suffix = Path(upload_file.filename or "").suffix.lower()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        upload_file.save(path)
        try:
            report = import_dossiers(
                get_engine(), get_geocoder(), path, data_dir=data_dir(current_app),
                wave=form.vague.data or None, policy_name=form.policy_name(),
                calendar_file=calendar_file(current_app),
                actor=current_user.email)
        except (LoadError, CalendarError, PolicyError) as error:
            message = str(error).replace(str(path), upload_file.filename or "fichier")
            return _import_page(form, error=f"{message}. Aucun dossier importé."), 400
    return _import_page(form, report=report, filename=upload_file.filename,
                        imported_waves=sorted({d.wave or "" for d in report.intake.dossiers}))


def _import_page(form: ImportForm, **shown):
    """The import page: its form (the wave chosen among the calendar's), and what ``shown``
    adds (``report`` and the waves it imported, ``error``, ``rules_kept``)."""
    chosen_under = "".join(
        f"Les vagues {policy.selected_waves} ont été instruites selon « {policy.title} ». "
        for policy in map(load_policy, available_policies()) if policy.selected_waves)
    return render_template("dossiers_import.html", form=form, waves=calendar_waves(current_app),
                           chosen_under=chosen_under.strip(), by_wave=BY_WAVE,
                           **{"report": None, "error": None, **shown})
