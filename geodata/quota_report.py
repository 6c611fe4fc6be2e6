"""Quota tables as people and tools read them: aligned French text (``render_text``),
JSON-ready dicts (``as_dict``) and spreadsheet rows (``CSV_COLUMNS``, ``csv_rows``), each line
with its range (``min``, ``max``) and its group named (région and département names given by
the caller, "région inconnue" when unknown). Shared by the ``fabriques quotas`` command and
the ministry's dashboard.

Pure: only the standard library and :mod:`geodata.quotas`; no database, no web framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from geodata.french import agreed, euros, number, percent
from geodata.policy import CATEGORY_QPV, CATEGORY_UNDETERMINED, SHORT_CATEGORIES
from geodata.quotas import (
    FNT,
    LONG_LABELS,
    TOTAL,
    YEARS,
    QuotaTable,
    group_label,
    range_text,
)
from geodata.spreadsheet import french_value

__all__ = ["CSV_COLUMNS", "LABELS", "as_dict", "csv_rows", "render_text"]

LABELS = {**SHORT_CATEGORIES, FNT: "  dont FNT", TOTAL: "total"}
"""Short French labels of the line kinds, for the text table."""
CSV_COLUMNS = (
    "politique", "regroupement", "groupe", "nom du groupe", "catégorie", "libellé",
    "minimum", "maximum", "dont FNT (décidées)", "cible", "reste au moins", "reste au plus",
    "part de la cible min (%)", "part de la cible max (%)", "montants accordés connus (€)",
    *(f"année {year} (€)" for year in range(1, YEARS + 1)),
    *(f"sans montant année {year}" for year in range(1, YEARS + 1)),
    "engagement maximal (€)", "sans montant connu", "type inconnu", "vague inconnue",
)
"""The columns of the quota export: one row per line, ``minimum`` and ``maximum`` its range,
the money and the unknowns those of the Fabriques decided in the line."""


def csv_rows(table: QuotaTable, names: Mapping[str, str] | None = None) -> list[list[str]]:
    """The table's lines as the export's rows (after CSV_COLUMNS)."""
    rows = []
    for line in table.lines:
        rows.append([french_value(value) for value in (
            table.policy_name, table.by_title.lower(), line.group,
            group_label(table.by, line.group, names), line.category,
            LONG_LABELS[line.category], line.min, line.max, line.fnt, line.target,
            line.remaining_min, line.remaining_max, _share(line.share_min),
            _share(line.share_max), line.funding_eur, *line.yearly_eur, *line.unknown_yearly,
            line.max_commitment_eur, line.unknown_funding, line.unknown_type,
            line.unknown_wave)])
    return rows


def as_dict(table: QuotaTable, names: Mapping[str, str] | None = None) -> dict[str, object]:
    """The table as JSON-ready dicts, each line with its French label, its group's name, and
    its range (``min``, ``max``)."""
    return {
        "policy": table.policy_name,
        "by": table.by,
        "candidates": table.candidates,
        "lines": [{name: list(value) if isinstance(value, tuple) else value
                   for name, value in asdict(line).items()}
                  | {"label": LONG_LABELS[line.category],
                     "group_name": group_label(table.by, line.group, names)}
                  for line in table.lines],
    }


def render_text(table: QuotaTable, names: Mapping[str, str] | None = None) -> str:
    """The table as aligned plain French text, with notes on ranges, overshoots, unknowns;
    groups are named with ``names`` (région or département names by code) when given."""
    title = f"Quotas des Fabriques de Territoire, politique « {table.policy_name} »"
    if table.by is not None:
        title += f", par {table.by_title.lower()}"
    out = [title]
    if table.candidates:
        out.append(f"Simulation : {table.candidates} "
                   f"{agreed('candidature(s) ajoutée(s)', table.candidates)} aux Fabriques.")
    header = (table.by_title, "Catégorie", "Min", "Max", "Cible", "Reste", "% cible",
              "Montants connus (€)", "Engagement max (€)", "Sans montant", "Type inconnu",
              "Vague inconnue")
    rows = [header]
    for line in table.lines:
        rows.append((
            group_label(table.by, line.group, names), LABELS[line.category], str(line.min),
            str(line.max), _optional(line.target),
            _span(line.remaining_min, line.remaining_max, _optional),
            _span(line.share_min, line.share_max, _percent),
            _euros(line.funding_eur), _euros(line.max_commitment_eur),
            str(line.unknown_funding), str(line.unknown_type), str(line.unknown_wave),
        ))
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    for row in rows:
        cells = [cell.ljust(width) if index < 2 else cell.rjust(width)
                 for index, (cell, width) in enumerate(zip(row, widths, strict=True))]
        out.append("  ".join(cells))
    if not table.lines:
        out.append("(aucune Fabrique)")
    out.extend(_notes(table, names))
    return "\n".join(out)




def _notes(table: QuotaTable, names: Mapping[str, str] | None) -> list[str]:
    notes = []
    for line in table.lines:
        if line.remaining_max is not None and line.remaining_max < 0:
            notes.append(f"Cible dépassée : {LABELS[line.category].strip()} : au moins "
                         f"{line.min} pour une cible de {line.target} "
                         f"({-line.remaining_max} de trop).")
        elif line.remaining_min is not None and line.remaining_min < 0:
            notes.append(f"Cible peut-être dépassée : {LABELS[line.category].strip()} : "
                         f"{range_text(line)} pour une cible de {line.target}.")
    totals = [line for line in table.lines if line.category == TOTAL]
    if totals:
        years = [f"année {year + 1} : {_known_sum([t.yearly_eur[year] for t in totals])}"
                 + (f" ({unknown} sans montant)"
                    if (unknown := sum(t.unknown_yearly[year] for t in totals)) else "")
                 for year in range(YEARS)]
        notes.append(f"Engagé par année : {' ; '.join(years)}.")
    undetermined = sum(line.min for line in table.lines
                       if line.category == CATEGORY_UNDETERMINED)
    if undetermined:
        notes.append(f"{undetermined} "
                     + agreed("Fabrique(s) à vérifier : (elle|chacune) peut tomber dans ",
                              undetermined)
                     + "les catégories que ce qui est connu d'elle n'exclut pas (dans un grand "
                     "centre urbain, jamais « hors des grands centres urbains »). « Min » "
                     "compte les Fabriques décidées, « Max » y ajoute celles qui peuvent "
                     "encore l'être.")
    for group in table.groups:
        where = ("" if table.by is None else f", {group_label(table.by, group, names)}"
                 if group is None  # « région inconnue », « vague inconnue »
                 else f", {table.by_title.lower()} {group_label(table.by, group, names)}")
        total, qpv = (table.line(kind, group) for kind in (TOTAL, CATEGORY_QPV))
        if total.unknown_type:
            untyped = total.unknown_type
            notes.append(f"{untyped} {agreed('Fabrique(s)', untyped)} de type inconnu{where} : "
                         "le nombre de FNT et l'engagement maximum peuvent être plus élevés.")
        if total.fnt > qpv.fnt:
            outside = total.fnt - qpv.fnt
            notes.append(f"{outside} FNT hors de la catégorie QPV{where}, non "
                         f"{agreed('comptée(s)', outside)} dans le minimum de la ligne "
                         "« dont FNT » (les FNT sont comptées dans la moitié QPV).")
    return notes


def _span(low, high, show) -> str:
    return show(low) if low == high else f"{show(low)} à {show(high)}"


def _optional(value: int | None) -> str:
    return "-" if value is None else str(value)


def _percent(share: float | None) -> str:
    return "-" if share is None else percent(share)


def _euros(amount: int | None) -> str:
    return "inconnu" if amount is None else number(amount)


def _known_sum(amounts: list[int | None]) -> str:
    """The sum of the groups' known amounts in euros; « inconnu » when no group knows one."""
    known = [amount for amount in amounts if amount is not None]
    return euros(sum(known)) if known else "inconnu"


def _share(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)
