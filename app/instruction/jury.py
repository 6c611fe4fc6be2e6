"""A wave's jury session, for the instructors who run it (and the ministry, read only).

``GET /instruction/jury?vague=N``: the quotas first (before and after the dossiers ticked,
against the programme's targets and the wave's cap), the dossiers "transmis au jury", the
decisions of the open session (each reversible), the closing form and the matches with the
published list to confirm; ``POST /instruction/jury/decisions``: the decision on the dossiers
ticked, after a confirmation page that shows the quotas it makes;
``POST /instruction/jury/annulation``, ``/cloture``, ``/correspondance``;
``GET /instruction/jury/courriers?vague=N`` and ``/instruction/dossiers/<n>/courrier``: the
decision letters, printable. The work is done by ``geodata.storage.jury``.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.access import role_required
from app.db import get_engine, wave_cap, wave_policy
from app.errors import error_page
from app.forms import first_error, keep_for_next_page, kept_from_last_post
from app.instruction.forms import CloseForm, DecisionForm, MatchForm, ReverseForm
from app.instruction.kept import JURY_KEPT, Selection
from app.instruction.rules_said import categories_rules, quota_rules
from app.instruction.waves import unknown_wave
from app.security import no_store
from geodata.dossiers.checks import granted_within_rules
from geodata.dossiers.jury import laureates_of_wave, possible_categories_of, selection_warnings
from geodata.dossiers.records import KINDS
from geodata.dossiers.selection import CHECKS, SHOWN_CATEGORIES, check_value
from geodata.dossiers.states import workflow
from geodata.french import PARIS, agreed
from geodata.policy import CATEGORY_UNDETERMINED, SHORT_CATEGORIES
from geodata.quota_report import LABELS
from geodata.quotas import quota_table, range_text, what_if
from geodata.storage.dossiers import (
    NO_WAVE,
    MoveRefused,
    dossier_events,
    dossier_waves,
    find_dossier,
    find_dossiers,
    list_dossiers,
)
from geodata.storage.jury import (
    DECIDED,
    JURY_STATE,
    JuryError,
    StaleDecisions,
    close_session,
    decide,
    decisions_of,
    decisions_stamp,
    jury_sessions,
    reverse_decisions,
)
from geodata.storage.jury_laureates import (
    automatic_matches,
    confirm_match,
    granted_amounts,
    pending_matches,
)
from geodata.storage.jury_quotas import (
    failing_checks,
    published_records,
    quota_records,
    standing,
)
from maps.charts import comparison_chart

__all__ = ["bp"]

bp = Blueprint("jury", __name__, template_folder="templates")
no_store(bp)
bp.add_app_template_global(granted_amounts)  # the letters' amounts: those the jury saw

VIEWERS = ("instructor", "ministry")


def _wave_asked() -> tuple[list, str | None]:
    """The waves with dossiers, and the one asked (by default, the first with dossiers
    "transmis au jury", else the first)."""
    waves = [w for w in dossier_waves(get_engine()) if w is not None]
    wave = request.values.get("vague") or None
    if wave == NO_WAVE:  # the list's « sans vague »: a jury decides on a wave's dossiers
        abort(404, description="Les dossiers sans vague n'ont pas de jury : importez-les de "
                               "nouveau en choisissant leur vague.")
    if wave is not None and wave not in waves:
        abort(404, description=unknown_wave(wave, waves))
    waiting = [w for w in dossier_waves(get_engine(), JURY_STATE) if w is not None]
    return waves, wave or next(iter(waiting or waves), None)


@bp.get("/instruction/jury")
@role_required(*VIEWERS)
def index():
    waves, wave = _wave_asked()  # with a form of this wave refused or to change, once
    return _session_page(waves, wave, Selection.from_session(kept_from_last_post(JURY_KEPT),
                                                             wave))


def _session_page(waves: list, wave: str | None, kept: Selection, status: int = 200):
    if wave is None:
        return render_template("jury.html", wave=None, waves=waves)
    rules = wave_policy(current_app, wave)
    now = standing(get_engine(), wave, rules)
    waiting = [d for d in list_dossiers(get_engine(), wave) if d.state == JURY_STATE]
    _, _, same = quota_records(get_engine(), now.policy, now.laureates, waiting)
    return render_template(
        "jury.html", wave=wave, waves=waves, sessions=now.sessions, current=now.current,
        published=published_records(get_engine(), now.policy,
                                    {d.number: same[d.number] for d in waiting
                                     if d.number in same}),
        decided=now.decided, waiting=waiting, before=quota_table(now.records, now.policy),
        policy=now.policy, cap=wave_cap(current_app, wave),
        quota_rules=quota_rules(now.policy.name, wave, rules),
        categories_rules=categories_rules((d.policy for d in waiting), wave, rules),
        wave_laureates=laureates_of_wave(now.records, wave), labels=LABELS, range_text=range_text,
        categories=SHOWN_CATEGORIES, kinds=KINDS, checks=CHECKS, check_value=check_value,
        states=workflow().labels, avis_labels=workflow().avis, decisions=_decision_labels(),
        paris=PARIS, pending=_of_wave(pending_matches(get_engine()), wave),
        automatic=_of_wave(automatic_matches(get_engine()), wave),
        possibles=lambda dossier: possible_categories_of(dossier)
        if (dossier.category or CATEGORY_UNDETERMINED) == CATEGORY_UNDETERMINED else None,
        may_act=current_user.has_role("instructor"), kept=kept,
        decisions_stamp=decisions_stamp(now.decided)), status


def _of_wave(pairs: list[tuple], wave: str) -> list[tuple]:
    """The matches whose decided laureate is of this wave (each wave's page has its own)."""
    return [pair for pair in pairs if pair[0].wave == wave]


def _decision_labels() -> dict[str, str]:
    rules = workflow()
    return {state: rules.labels[state] for state in rules.labels
            if state in rules.jury_decisions}


@bp.post("/instruction/jury/decisions")
@role_required("instructor")
def decisions():
    """The confirmation page (the quotas the decision makes), then the decision. A refused
    decision gives the session page back with the dossiers still ticked and the motivation
    still written (nothing typed is lost), as does « Modifier la sélection »."""
    form = DecisionForm()
    numbers = form.numbers() if form.validate() else None
    if numbers is None:
        problem = first_error(form, form.ORDER)
        return _refused(form, problem[1] if problem else "numéro de dossier invalide")
    if form.confirme.data == "modifier":
        return _kept_page(form, anchor="jury-selection")
    if form.confirme.data != "oui":
        return _confirmation(form, numbers)
    found = find_dossiers(get_engine(), numbers)
    wave = next((d.wave for d in found.values() if d.wave), form.vague.data)
    try:
        decide(get_engine(), numbers, form.vers.data, form.motivation.data,
               current_user.email, policy=wave_policy(current_app, wave),
               seen_session=form.session_seen())
    except MoveRefused as refused:
        return _refused(form, " ; ".join(f"dossier {n} : {why}"
                                         for n, why in refused.reasons.items()))
    flash(f"{len(numbers)} {agreed('dossier(s)', len(numbers))} : "
          f"« {_decision_labels()[form.vers.data]} ».", "success")
    return redirect(url_for(".index", vague=form.vague.data or None))


def _refused(form: DecisionForm, why: str):
    flash(f"Aucune décision enregistrée : {why}", "error")
    return _kept_page(form, 422)  # at the top, where the message is


def _kept_page(form: DecisionForm, status: int = 200, anchor: str | None = None):
    """The session page of the form's wave with what the form held."""
    return _wave_page(form.vague.data, Selection(
        frozenset(v.strip() for v in form.numero.data or []), form.vers.data or "laureat",
        form.motivation.data or ""), status, anchor)


def _wave_page(wave: str | None, kept: Selection, status: int, anchor: str | None):
    """The session page of ``wave`` by a redirection (303), ``kept`` in its forms, at
    ``anchor``; that page as the answer (``status``) when ``kept`` is too big to keep in
    the session (a wave no page shows gives the default page)."""
    waves = [w for w in dossier_waves(get_engine()) if w is not None]
    if wave not in waves:
        return redirect(url_for(".index"))
    if keep_for_next_page(JURY_KEPT, kept.to_session(wave)):
        return redirect(url_for(".index", vague=wave, _anchor=anchor), code=303)
    return _session_page(waves, wave, kept, status)


def _confirmation(form: DecisionForm, numbers: list[int]) -> str:
    """The page that shows the dossiers of a decision and the quotas it makes (chart and
    table), with the targets and the wave's cap it goes past."""
    found = find_dossiers(get_engine(), numbers)
    chosen = [found[n] for n in numbers if n in found]
    wave = next((d.wave for d in chosen if d.wave), form.vague.data)
    rules = wave_policy(current_app, wave)
    now = standing(get_engine(), wave, rules)
    current, policy, records = now.current, now.policy, now.records
    decision = _decision_labels()[form.vers.data]
    naming = form.vers.data == "laureat"
    others, laureates, same = now.naming(get_engine(), chosen if naming else [])
    failing = failing_checks(chosen) if naming else {}
    capped = {d.number: note for d in chosen if naming and (note := granted_within_rules(
        (d.amount_1, d.amount_2, d.amount_3), d.kind, now.policy)[1])}
    before, after, cap = quota_table(records, policy), what_if(others, laureates, policy), \
        wave_cap(current_app, wave)
    in_wave = {"before": laureates_of_wave(records, wave),
               "after": laureates_of_wave([*others, *laureates], wave)}
    chart = comparison_chart(before, after, chart_id="graphique-jury", title=(
        f"Quotas avant et après la décision « {decision} » pour {len(chosen)} "
        f"{agreed('dossier(s)', len(chosen))}, "
        f"{policy.title}"))
    return render_template(
        "jury_confirmation.html", form=form, chosen=chosen, decision=decision,
        unknown=[n for n in numbers if n not in found], before=before, after=after,
        chart=chart, labels=LABELS, cap=cap, wave_laureates=in_wave, policy=policy,
        range_text=range_text, warnings=selection_warnings(after, in_wave["after"], cap, wave)
        if naming else [],  # a refusal goes past nothing: no « Au-delà des cibles »
        same=same, failing=failing, capped=capped, current=current,
        quota_rules=quota_rules(policy.name, wave, rules),
        categories=SHOWN_CATEGORIES, kinds=KINDS)


@bp.post("/instruction/jury/annulation")
@role_required("instructor")
def reverse():
    form = ReverseForm()
    numbers = form.numbers() if form.validate() else None
    if numbers is None:
        problem = first_error(form, form.ORDER)
        return _not_reversed(form, problem[1] if problem else "numéro de dossier invalide")
    try:
        seen = {numbers[0]: form.decision_vue.data} \
            if form.decision_vue.data is not None and len(numbers) == 1 else None
        reverse_decisions(get_engine(), numbers, form.motivation.data, current_user.email,
                          seen)
    except MoveRefused as refused:
        return _not_reversed(form, " ; ".join(f"dossier {n} : {why}"
                                              for n, why in refused.reasons.items()),
                             next(iter(refused.reasons.values()), None))
    flash(agreed("Décision(s) annulée(s) : (le dossier|les dossiers) ", len(numbers))
          + ", ".join(map(str, numbers))
          + agreed(" (est|sont) de nouveau « transmis au jury ».", len(numbers)), "success")
    return redirect(url_for(".index", vague=form.vague.data or None))


def _not_reversed(form: ReverseForm, why: str, row_why: str | None = None):
    """The session page again, the motivation typed back in its row's field (the form has one
    dossier), the error next to it (``row_why``, else ``why``), focused: the focus brings the
    row into sight (an anchor too hid it above the screen of a phone)."""
    flash(f"Aucune décision annulée : {why}", "error")
    numbers = form.numbers() or []
    kept = Selection(reversal=(numbers[0], form.motivation.data or "", row_why or why)) \
        if len(numbers) == 1 else Selection()
    return _wave_page(form.vague.data, kept, 422, None)


@bp.post("/instruction/jury/cloture")
@role_required("instructor")
def close():
    form = CloseForm()
    back = url_for(".index", vague=form.vague.data or None)
    if not form.validate():
        return _not_closed(form, *first_error(form, form.ORDER))
    try:
        closed = close_session(get_engine(), form.vague.data, form.membres.data,
                               current_user.email, seen=form.decisions_vues.data or "")
    except StaleDecisions as error:  # the box ticked for other decisions: to tick again
        return _not_closed(form, "confirme", str(error), confirmed=False)
    except JuryError as error:
        return _not_closed(form, "membres", str(error))
    written, decided = closed.laureates, closed.decisions.get("laureat", 0)
    said = (f"Session de la vague {form.vague.data} close : "
            f"{decided} {agreed('lauréat(s) décidé(s)', decided)} ; la table des Fabriques "
            f"compte {written.written} {agreed('lauréat(s)', written.written)} des jurys (toutes "
            "sessions closes), déjà sur la carte et dans les quotas.")
    if decided:  # the open data files are written by the operator (fabriques laureats publier)
        said += agreed(" Les fichiers des données ouvertes des Fabriques (CSV et GeoJSON à "
                       "télécharger) ne comptent (ce lauréat|ces lauréats) qu'une fois "
                       "republiés par l'exploitant du service : prévenez-le.", decided)
    if written.without_commune:
        said += " Sans commune, non écrits (à localiser) : " + ", ".join(
            map(str, written.without_commune)) + "."
    flash(said, "success")
    return redirect(back)


def _not_closed(form: CloseForm, field: str, why: str, confirmed: bool | None = None):
    """The session page again, the members as typed and the box as ticked (kept across the
    redirection; ``confirmed``: ticked or not, whatever it was), the error on its field."""
    flash(f"Session non close : {why}", "error")
    ticked = form.confirme.data == "oui" if confirmed is None else confirmed
    return _wave_page(form.vague.data, Selection(
        members=form.membres.data or "", confirmed=ticked, close_error=(field, why)), 422,
        "cloture")


@bp.post("/instruction/jury/correspondance")
@role_required("instructor")
def match():
    form = MatchForm()
    back = url_for(".index", vague=form.vague.data or None)
    if not form.validate():
        flash(f"Réponse non enregistrée : {first_error(form, form.ORDER)[1]}", "error")
        return redirect(back)
    published = None if form.publie.data == "distinct" else form.publie.data
    try:
        confirm_match(get_engine(), form.laureat.data, published, current_user.email)
    except ValueError as error:
        flash(f"Réponse non enregistrée : {error}", "error")
        return redirect(back)
    flash(f"{form.laureat.data} : " + ("Fabrique distincte." if published is None
                                        else f"même Fabrique que {published}."), "success")
    return redirect(back)


@bp.get("/instruction/jury/courriers")
@role_required(*VIEWERS)
def letters():
    """The decision letters of a wave's decided dossiers, one printed page each."""
    _, wave = _wave_asked()
    if wave is None:
        abort(404, description="Aucune vague.")
    engine = get_engine()
    letters = [letter for s in jury_sessions(engine, wave)
               for letter in _session_letters(engine, s)]
    return render_template("courriers.html", letters=letters, wave=wave, kinds=KINDS,
                           categories=SHORT_CATEGORIES, paris=PARIS)


def _session_letters(engine, jury) -> list[tuple]:
    return [(dossier, event, jury) for dossier, event in decisions_of(engine, jury.id)]


@bp.get("/instruction/dossiers/<int:number>/courrier")
@role_required(*VIEWERS)
def letter(number: int):
    """One dossier's decision letter (404 while it has no standing decision)."""
    engine = get_engine()
    dossier = find_dossier(engine, number)
    if dossier is None:
        abort(404, description=f"Aucun dossier n° {number}.")
    decided = [e for e in dossier_events(engine, number) if e.jury_session_id is not None]
    if not decided or decided[-1].kind != DECIDED:
        return error_page("Pas de courrier", f"Le dossier n° {number} n'a pas de décision du "
                          "jury en vigueur.", 404)
    jury = next(s for s in jury_sessions(engine, dossier.wave)
                if s.id == decided[-1].jury_session_id)
    return render_template("courriers.html", letters=[(dossier, decided[-1], jury)],
                           wave=dossier.wave, kinds=KINDS, categories=SHORT_CATEGORIES,
                           paris=PARIS)
