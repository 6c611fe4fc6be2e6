"""The ministry's quota dashboard: progress of the laureates against the policy's targets.

- ``GET /tableau-de-bord?policy=&by=``: first the headline figures (each target's range,
  "de X à Y sur 150"), then the overall chart and table (``maps.charts``,
  ``geodata.quotas``), the funding committed year by year, and the table per wave, région or
  département, named (with a chart per group while there are few enough groups to read them);
- ``GET /tableau-de-bord/export.csv?policy=&by=``: the quota lines (min and max) for a French
  spreadsheet (UTF-8 with BOM, ``;``, decimal commas).

An undetermined laureate ("à vérifier") is never drawn as zero: each line is a range from the
decided Fabriques to those that could still fall in it. The what-if of a selection of
candidates belongs to the jury's session page (``geodata.quotas.what_if``).

Reserved to the ministry (and admins); nothing here is cached by the browser.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from wtforms import Form as BareForm

from app.access import role_required
from app.db import calendar_waves, get_engine
from app.errors import error_page
from app.forms import first_error
from app.security import no_store
from app.tableau_de_bord.forms import DashboardForm
from geodata.policy import (
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    available_policies,
    load_policy,
)
from geodata.quota_report import CSV_COLUMNS, csv_rows
from geodata.quotas import FNT, LINE_KINDS, LONG_LABELS, OVERALL, TOTAL, group_label, quota_table
from geodata.spreadsheet import spreadsheet_csv
from geodata.storage.candidates import group_names
from geodata.storage.jury_quotas import programme_records
from maps.charts import CHART_LABELS, COMPACT_PLOT_WIDTH, quota_chart

__all__ = ["HEADLINE", "MAX_GROUP_CHARTS", "bp"]

bp = Blueprint("tableau_de_bord", __name__, template_folder="templates")
no_store(bp)

MAX_GROUP_CHARTS = 20
"""Above this many groups (départements: about a hundred), only the table is readable."""
GROUPING_LABELS = {"": "Ensemble", "wave": "Par vague", "region": "Par région",
                   "departement": "Par département"}
EXPORT_NAMES = {"": "ensemble", "wave": "par-vague", "region": "par-region",
                "departement": "par-departement"}
"""How the export's file is named for each grouping: in French, as the other downloads."""
HEADLINE = {CATEGORY_QPV: "En QPV ou à proximité",
            FNT: "dont Fabriques Numériques de Territoire (FNT)",
            CATEGORY_OUTSIDE: "Hors des grands centres urbains", TOTAL: "Total des lauréates"}
"""The targets the page opens with, and how their figures are titled."""
EXACT_KINDS = (CATEGORY_UNDETERMINED, TOTAL)
"""The lines whose count is exact, neither decided Fabriques nor a range (as the CLI says)."""


def _refused(form: BareForm):
    """The French error page of the form's first error, None when the form is valid."""
    if form.validate():
        return None
    return error_page("Paramètre invalide", first_error(form)[1], 400)


@bp.get("/tableau-de-bord")
@role_required("ministry")
def index():
    """The targets' ranges first, then the chart, the table, funding and the grouping."""
    form = DashboardForm()
    if (refused := _refused(form)) is not None:
        return refused
    policy, by = load_policy(form.policy.data), form.by.data or None
    engine = get_engine()
    records = programme_records(engine, policy)
    overall = quota_table(records, policy)
    grouped = quota_table(records, policy, by) if by else None
    names = group_names(engine, by)
    def group_title(group: str | None) -> str:
        label = group_label(by, group, names)
        return f"vague {label}" if by == "wave" and group is not None else label

    group_charts = []
    if grouped is not None and len(grouped.groups) <= MAX_GROUP_CHARTS:
        # Each group on its own scale: on the largest group's (some 400), a wave of 6
        # Fabriques was bars of 1 to 3 px; the page says so above the charts.
        for number, group in enumerate(grouped.groups, 1):
            title = f"Fabriques par catégorie, {group_title(group)}"
            group_charts.append((group, quota_chart(
                grouped, group, f"graphique-groupe-{number}", title,
                plot_width=COMPACT_PLOT_WIDTH)))
    quotas, funding = policy.quotas, policy.funding
    wave_quotas = {w.number: w.quota for w in calendar_waves(current_app)
                   if w.quota is not None} if by == "wave" else {}
    return render_template(
        "tableau_de_bord.html", policy=policy, by=by or "",
        groupings=GROUPING_LABELS, overall=overall, grouped=grouped, names=names,
        headline=HEADLINE, undetermined=overall.line(CATEGORY_UNDETERMINED),
        chart=quota_chart(overall, chart_id="graphique-ensemble"), group_charts=group_charts,
        group_label=lambda group: group_label(by, group, names), group_title=group_title,
        max_group_charts=MAX_GROUP_CHARTS, wave_quotas=wave_quotas,
        other_rules=[other for other in map(load_policy, available_policies())
                     if other.name != policy.name and other.selected_waves],
        kinds=LINE_KINDS, labels=CHART_LABELS, long_labels=LONG_LABELS,
        TOTAL=TOTAL, FNT=FNT, OVERALL=OVERALL, exact_kinds=EXACT_KINDS,
        commitment_at_targets=quotas.total * funding.max_total_eur
        + quotas.fnt * funding.fnt_bonus_eur,
    )


@bp.get("/tableau-de-bord/export.csv")
@role_required("ministry")
def export():
    """The quota lines (min and max) of the chosen policy and grouping, for a spreadsheet."""
    form = DashboardForm()
    if (refused := _refused(form)) is not None:
        return refused
    policy, by = load_policy(form.policy.data), form.by.data or None
    engine = get_engine()
    table = quota_table(programme_records(engine, policy), policy, by)
    name = f"quotas-{policy.name}-{EXPORT_NAMES[by or '']}.csv"
    return Response(spreadsheet_csv(CSV_COLUMNS, csv_rows(table, group_names(engine, by))),
                    mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
