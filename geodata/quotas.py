"""Quota counting: how many Fabriques in each half of the programme, against the policy.

The AMI funds ``quotas.total`` Fabriques: ``quotas.qpv`` in or near a QPV, among which
``quotas.fnt`` Fabriques Numériques de Territoire (FNT), and
``quotas.outside_large_urban_centres`` outside large urban centres. This module counts
records per quota category, overall or per wave, région or département, with what remains
to reach each target (negative when a target is overshot), the granted amounts that are
known and the policy's maximum commitment. Unknown values (wave, FNT or not, granted
amount) are counted and shown, never guessed nor dropped.

Pure: only the standard library and :mod:`geodata.policy`; no database, no web framework.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from geodata.policy import (
    CATEGORIES,
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    SHORT_CATEGORIES,
    Policy,
)

__all__ = [
    "FNT",
    "GROUPINGS",
    "LINE_KINDS",
    "OVERALL",
    "TOTAL",
    "FabriqueRecord",
    "QuotaError",
    "QuotaLine",
    "QuotaTable",
    "as_dict",
    "check_records",
    "quota_table",
    "render_text",
    "what_if",
]

FNT = "fnt"
"""Line kind of the Fabriques Numériques de Territoire counted against the FNT target: the
records with ``fnt=True`` in the QPV category (the policy counts the FNT within the QPV half);
an FNT of another category is counted in its own category and named in the notes."""
TOTAL = "total"
"""Line kind of all the records of a group, whatever their category."""
LINE_KINDS = (
    CATEGORY_QPV, FNT, CATEGORY_OUTSIDE, CATEGORY_NOT_ELIGIBLE, CATEGORY_UNDETERMINED, TOTAL
)
"""The lines of each group, in display order: the four categories, FNT and the total."""
GROUPINGS = ("wave", "region", "departement")
"""The record attributes a table can be grouped by."""
OVERALL = "ensemble"
"""The group name of an ungrouped table's lines."""

LABELS = {**SHORT_CATEGORIES, FNT: "  dont FNT", TOTAL: "total"}
LONG_LABELS = {**CATEGORIES, FNT: "Fabriques Numériques de Territoire", TOTAL: "total"}
GROUP_TITLES = {None: "Ensemble", "wave": "Vague", "region": "Région", "departement": "Département"}
UNKNOWN_GROUP = "(inconnu)"


class QuotaError(ValueError):
    """Records that cannot be counted: unknown category, duplicate id, malformed value."""


@dataclass(frozen=True)
class FabriqueRecord:
    """One Fabrique as the quota counting sees it; ``None`` means unknown."""

    id: str
    category: str
    wave: str | None = None
    fnt: bool | None = None
    region: str | None = None
    departement: str | None = None
    funding_eur: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise QuotaError(f"identifiant de Fabrique vide ou invalide : {self.id!r}")
        if self.category not in CATEGORIES:
            expected = ", ".join(CATEGORIES)
            raise QuotaError(
                f"Fabrique {self.id!r} : catégorie inconnue {self.category!r} "
                f"(attendues : {expected})"
            )
        if self.fnt is not None and not isinstance(self.fnt, bool):
            raise QuotaError(f"Fabrique {self.id!r} : fnt doit valoir True, False ou None, "
                             f"pas {self.fnt!r}")
        amount = self.funding_eur
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)
                                   or amount < 0):
            raise QuotaError(f"Fabrique {self.id!r} : montant accordé invalide {amount!r} "
                             "(entier positif ou nul en euros, None si inconnu)")
        for name in GROUPINGS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise QuotaError(f"Fabrique {self.id!r} : {GROUP_TITLES[name].lower()} vide "
                                 f"ou invalide {value!r} (None si inconnue)")


@dataclass(frozen=True)
class QuotaLine:
    """One group's count for one line kind, against its target, with its money.

    ``category`` is a policy category, FNT (the ``fnt=True`` records of the QPV category)
    or TOTAL. ``target``, ``remaining`` (negative past the target) and ``share_of_target``
    are None where there is no target: per group, and for the non-eligible and to-check
    lines. ``funding_eur`` sums the known granted amounts; ``max_commitment_eur`` is
    ``count * max_total_eur + fnt * fnt_bonus_eur``, without the FNT bonus of the records
    of unknown type. The ``unknown_*`` fields count the records of the line whose granted
    amount, type (FNT or not) or wave is unknown.
    """

    group: str | None
    category: str
    count: int
    fnt: int
    target: int | None
    remaining: int | None
    share_of_target: float | None
    funding_eur: int
    max_commitment_eur: int
    unknown_funding: int
    unknown_type: int
    unknown_wave: int


@dataclass(frozen=True)
class QuotaTable:
    """Quota lines of one policy, overall (``by=None``) or per wave, région or département."""

    policy_name: str
    by: str | None
    lines: tuple[QuotaLine, ...]
    candidates: int = 0

    @property
    def by_title(self) -> str:
        """The French title of the grouping column."""
        return GROUP_TITLES[self.by]

    @property
    def groups(self) -> tuple[str | None, ...]:
        """The groups, in display order (unknown group last)."""
        return tuple(dict.fromkeys(line.group for line in self.lines))

    def line(self, category: str, group: str | None = OVERALL) -> QuotaLine:
        """The line of one kind for one group (the overall line by default)."""
        for line in self.lines:
            if line.group == group and line.category == category:
                return line
        raise KeyError((group, category))


def check_records(records: Iterable[FabriqueRecord]) -> tuple[FabriqueRecord, ...]:
    """The records as a tuple, after checking that no id appears twice."""
    seen: set[str] = set()
    checked = []
    for record in records:
        if not isinstance(record, FabriqueRecord):
            raise QuotaError(f"enregistrement invalide : {record!r} n'est pas un FabriqueRecord")
        if record.id in seen:
            raise QuotaError(f"Fabrique {record.id!r} : identifiant en double")
        seen.add(record.id)
        checked.append(record)
    return tuple(checked)


def quota_table(
    records: Iterable[FabriqueRecord], policy: Policy, by: str | None = None
) -> QuotaTable:
    """Count the records per line kind, overall or grouped by ``by`` (one of GROUPINGS)."""
    if by is not None and by not in GROUPINGS:
        raise QuotaError(f"regroupement inconnu : {by!r} (possibles : {', '.join(GROUPINGS)})")
    checked = check_records(records)
    if by is None:
        groups: dict[str | None, list[FabriqueRecord]] = {OVERALL: list(checked)}
        targets = _targets(policy)
    else:
        groups = {}
        for record in checked:
            groups.setdefault(getattr(record, by), []).append(record)
        targets = {}
    lines = []
    for group in sorted(groups, key=lambda name: (name is None, name or "")):
        members = groups[group]
        for kind in LINE_KINDS:
            if kind == TOTAL:
                selected = members
            elif kind == FNT:
                selected = [record for record in members
                            if record.fnt and record.category == CATEGORY_QPV]
            else:
                selected = [record for record in members if record.category == kind]
            lines.append(_line(group, kind, selected, targets.get(kind), policy))
    return QuotaTable(policy_name=policy.name, by=by, lines=tuple(lines))


def what_if(
    current: Iterable[FabriqueRecord],
    candidates: Iterable[FabriqueRecord],
    policy: Policy,
    by: str | None = None,
) -> QuotaTable:
    """The table once a wave's candidates are added to the current Fabriques."""
    candidates = tuple(candidates)
    table = quota_table((*current, *candidates), policy, by)
    return replace(table, candidates=len(candidates))


def as_dict(table: QuotaTable) -> dict[str, object]:
    """The table as JSON-ready dicts, each line with its French label."""
    return {
        "policy": table.policy_name,
        "by": table.by,
        "candidates": table.candidates,
        "lines": [asdict(line) | {"label": LONG_LABELS[line.category]} for line in table.lines],
    }


def render_text(table: QuotaTable) -> str:
    """The table as aligned plain French text, with notes on overshoots and unknowns."""
    title = f"Quotas des Fabriques de Territoire, politique « {table.policy_name} »"
    if table.by is not None:
        title += f", par {table.by_title.lower()}"
    out = [title]
    if table.candidates:
        out.append(f"Simulation : {table.candidates} candidature(s) ajoutée(s) aux Fabriques.")
    header = (table.by_title, "Catégorie", "Nombre", "Cible", "Reste", "% cible",
              "Montants connus (€)", "Engagement max (€)", "Sans montant", "Type inconnu",
              "Vague inconnue")
    rows = [header]
    for line in table.lines:
        rows.append((
            _group_name(line.group), LABELS[line.category], str(line.count),
            _optional(line.target), _optional(line.remaining),
            _percent(line.share_of_target),
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
    out.extend(_notes(table))
    return "\n".join(out)


def _targets(policy: Policy) -> dict[str, int]:
    quotas = policy.quotas
    return {CATEGORY_QPV: quotas.qpv, FNT: quotas.fnt, TOTAL: quotas.total,
            CATEGORY_OUTSIDE: quotas.outside_large_urban_centres}


def _line(group: str | None, kind: str, members: list[FabriqueRecord], target: int | None,
          policy: Policy) -> QuotaLine:
    count = len(members)
    fnt = sum(1 for record in members if record.fnt)
    known = [record.funding_eur for record in members if record.funding_eur is not None]
    return QuotaLine(
        group=group,
        category=kind,
        count=count,
        fnt=fnt,
        target=target,
        remaining=None if target is None else target - count,
        share_of_target=count / target if target else None,
        funding_eur=sum(known),
        max_commitment_eur=count * policy.funding.max_total_eur
        + fnt * policy.funding.fnt_bonus_eur,
        unknown_funding=count - len(known),
        unknown_type=sum(1 for record in members if record.fnt is None),
        unknown_wave=sum(1 for record in members if record.wave is None),
    )


def _notes(table: QuotaTable) -> list[str]:
    notes = []
    for line in table.lines:
        if line.remaining is not None and line.remaining < 0:
            notes.append(f"Cible dépassée : {LABELS[line.category].strip()} : {line.count} "
                         f"pour une cible de {line.target} ({-line.remaining} de trop).")
    for group in table.groups:
        where = "" if table.by is None else f", {table.by_title.lower()} {_group_name(group)}"
        total, qpv = (table.line(kind, group) for kind in (TOTAL, CATEGORY_QPV))
        if total.unknown_type:
            notes.append(f"{total.unknown_type} Fabrique(s) de type inconnu{where} : le nombre "
                         "de FNT et l'engagement maximum peuvent être plus élevés.")
        if total.fnt > qpv.fnt:
            notes.append(f"{total.fnt - qpv.fnt} FNT hors de la catégorie QPV{where}, non "
                         "comptée(s) dans la ligne « dont FNT » (les FNT sont comptées dans la "
                         "moitié QPV).")
    return notes


def _group_name(group: str | None) -> str:
    return UNKNOWN_GROUP if group is None else group


def _optional(value: int | None) -> str:
    return "-" if value is None else str(value)


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f} %".replace(".", ",")


def _euros(amount: int) -> str:
    return f"{amount:,}".replace(",", " ")
