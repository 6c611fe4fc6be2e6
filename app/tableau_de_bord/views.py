"""The ministry's quota dashboard: progress of the laureates against the policy's targets.

- ``GET /tableau-de-bord?policy=&by=``: the overall chart and table (``maps.charts``,
  ``geodata.quotas``), the funding totals, and the table per wave, région or département
  (with a chart per group while there are few enough groups to read them);
- ``GET /tableau-de-bord/export.csv?policy=&by=``: the quota lines for a French spreadsheet
  (UTF-8 with BOM, ``;``, decimal commas);
- ``GET|POST /tableau-de-bord/simulation?policy=&wave=``: the candidates of a wave (the
  checks the instructors kept with it), each classified again under the policy, to select
  (all by default; the form posts the selection with its CSRF token), and the quotas
  "avant / après" with the selected candidates added (``quotas.what_if``).

Reserved to the ministry (and admins); nothing here is cached by the browser.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from wtforms import Form as BareForm

from app.access import role_required
from app.db import get_engine
from app.errors import error_page
from app.forms import first_error
from app.security import no_store
from app.tableau_de_bord.forms import DashboardForm, SimulationForm, SimulationQuery
from geodata.policy import Policy, load_policy
from geodata.quotas import (
    FNT,
    LINE_KINDS,
    LONG_LABELS,
    OVERALL,
    TOTAL,
    QuotaTable,
    quota_table,
    what_if,
)
from geodata.spreadsheet import spreadsheet_csv
from geodata.storage.candidates import group_names, wave_candidate_records
from geodata.storage.fabriques import laureate_records
from geodata.storage.history import waves
from maps.charts import CHART_LABELS, COMPACT_PLOT_WIDTH, comparison_chart, quota_chart

__all__ = ["CSV_COLUMNS", "MAX_GROUP_CHARTS", "bp", "csv_rows"]

bp = Blueprint("tableau_de_bord", __name__, template_folder="templates")
no_store(bp)

MAX_GROUP_CHARTS = 20
"""Above this many groups (départements: about a hundred), only the table is readable."""
GROUPING_LABELS = {"": "Ensemble", "wave": "Par vague", "region": "Par région",
                   "departement": "Par département"}
CSV_COLUMNS = (
    "politique", "regroupement", "groupe", "nom du groupe", "catégorie", "libellé", "nombre",
    "dont FNT", "cible", "reste", "part de la cible (%)", "montants accordés connus (€)",
    "engagement maximal (€)", "sans montant connu", "type inconnu", "vague inconnue",
)


def _refused(form: BareForm):
    """The French error page of the form's first error, None when the form is valid."""
    if form.validate():
        return None
    return error_page("Paramètre invalide", first_error(form)[1], 400)


def _group_label(group: str | None, names: dict[str, str]) -> str:
    if group is None:
        return "(inconnu)"
    return f"{group} — {names[group]}" if group in names else group


@bp.get("/tableau-de-bord")
@role_required("ministry")
def index():
    """Overall progress against the targets, funding, and the chosen grouping."""
    form = DashboardForm()
    if (refused := _refused(form)) is not None:
        return refused
    policy, by = load_policy(form.policy.data), form.by.data or None
    engine = get_engine()
    records = laureate_records(engine, policy)
    overall = quota_table(records, policy)
    grouped = quota_table(records, policy, by) if by else None
    names = group_names(engine, by)
    group_charts = []
    if grouped is not None and len(grouped.groups) <= MAX_GROUP_CHARTS:
        largest = max((line.count for line in grouped.lines), default=0)  # one scale for all
        for number, group in enumerate(grouped.groups, 1):
            title = (f"Fabriques par catégorie, {grouped.by_title.lower()} "
                     f"{_group_label(group, names)}")
            group_charts.append((group, quota_chart(
                grouped, group, f"graphique-groupe-{number}", title, scale_max=largest,
                plot_width=COMPACT_PLOT_WIDTH)))
    return render_template(
        "tableau_de_bord.html", policy=policy, by=by or "",
        groupings=GROUPING_LABELS, overall=overall, grouped=grouped, names=names,
        chart=quota_chart(overall, chart_id="graphique-ensemble"), group_charts=group_charts,
        group_label=_group_label, max_group_charts=MAX_GROUP_CHARTS, **_shared(policy),
    )


def _shared(policy: Policy) -> dict:
    """What every dashboard template reads: labels and the funding at the targets."""
    quotas, funding = policy.quotas, policy.funding
    return {
        "kinds": LINE_KINDS, "labels": CHART_LABELS, "long_labels": LONG_LABELS,
        "TOTAL": TOTAL, "FNT": FNT, "OVERALL": OVERALL,
        "commitment_at_targets": quotas.total * funding.max_total_eur
        + quotas.fnt * funding.fnt_bonus_eur,
    }


def _share(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}".replace(".", ",")


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)


def csv_rows(table: QuotaTable, names: dict[str, str]) -> list[list[str]]:
    """The table's lines as the export's rows (after the header)."""
    rows = []
    for line in table.lines:
        group = "(inconnu)" if line.group is None else line.group
        rows.append([
            table.policy_name, table.by_title.lower(), group, names.get(line.group or "", ""),
            line.category, LONG_LABELS[line.category], str(line.count), str(line.fnt),
            _blank(line.target), _blank(line.remaining), _share(line.share_of_target),
            str(line.funding_eur), str(line.max_commitment_eur), str(line.unknown_funding),
            str(line.unknown_type), str(line.unknown_wave),
        ])
    return rows


@bp.get("/tableau-de-bord/export.csv")
@role_required("ministry")
def export():
    """The quota lines of the chosen policy and grouping, for a French spreadsheet."""
    form = DashboardForm()
    if (refused := _refused(form)) is not None:
        return refused
    policy, by = load_policy(form.policy.data), form.by.data or None
    engine = get_engine()
    table = quota_table(laureate_records(engine, policy), policy, by)
    name = f"quotas-{policy.name}-{by or 'ensemble'}.csv"
    return Response(spreadsheet_csv(CSV_COLUMNS, csv_rows(table, group_names(engine, by))),
                    mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/tableau-de-bord/simulation", methods=["GET", "POST"])
@role_required("ministry")
def simulation():
    """A wave's candidates to select, and the quotas before and after adding them."""
    posted = request.method == "POST"
    form = SimulationForm() if posted else SimulationQuery()
    if (refused := _refused(form)) is not None:
        return refused
    policy = load_policy(form.policy.data)
    engine = get_engine()
    known_waves = waves(engine)
    wave = form.wave.data or (known_waves[-1] if known_waves else "")
    candidates = wave_candidate_records(engine, policy, wave) if wave else []
    if posted:
        chosen = set(form.candidat.data)
        selected = [c for c in candidates if str(c.check_id) in chosen]
    else:
        selected = list(candidates)
    laureates = laureate_records(engine, policy)
    before = quota_table(laureates, policy)
    after = what_if(laureates, [c.record for c in selected], policy)
    chart = comparison_chart(before, after, chart_id="graphique-simulation") if wave else None
    return render_template(
        "tableau_de_bord_simulation.html", policy=policy,
        waves=known_waves, wave=wave, candidates=candidates,
        selected={c.check_id for c in selected}, before=before, after=after, chart=chart,
        posted=posted, **_shared(policy),
    )
