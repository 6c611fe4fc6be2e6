"""Quota counting: how many Fabriques in each half of the programme, against the policy.

The AMI funds ``quotas.total`` Fabriques: ``quotas.qpv`` in or near a QPV, among which
``quotas.fnt`` Fabriques Numériques de Territoire (FNT), and
``quotas.outside_large_urban_centres`` outside large urban centres. This module counts
records per quota category, overall or per wave, région or département, against each target.

An undetermined record ("à vérifier": the published list places Fabriques at their
commune's centroid) is never counted as zero: each line is a range. ``min`` counts the
records decided in the line; ``max`` adds those that could still fall in it (the
undetermined records for the QPV, outside and not-eligible lines, but for those a known half
rules out: one in a large urban centre is never « hors des grands centres urbains », one
outside them never « non éligible »; for the FNT line, the QPV records of unknown type and
the undetermined records that are FNT or of unknown type and could be in a QPV). The
"à vérifier" and total lines are exact (``min == max``). Each bound is reachable on its own,
not all at once: one undetermined record falls in one category only. What remains to reach a
target is a range too, ``target - max`` to ``target - min`` (negative: overshot).

The money (known granted amounts, year by year, and the policy's maximum commitment) and the
unknowns (wave, type, amount) are those of the records decided in the line (``min``).
Unknown values are counted and shown, never guessed nor dropped.

The renderings (text, JSON-ready dicts, spreadsheet rows) live in :mod:`geodata.quota_report`.

Pure: only the standard library and :mod:`geodata.policy`; no database, no web framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from geodata.dossiers.calendar import wave_order
from geodata.french import number
from geodata.policy import (
    CATEGORIES,
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    Policy,
)

__all__ = [
    "FNT",
    "GROUPINGS",
    "LINE_KINDS",
    "LONG_LABELS",
    "OVERALL",
    "TOTAL",
    "YEARS",
    "FabriqueRecord",
    "QuotaError",
    "QuotaLine",
    "QuotaTable",
    "check_records",
    "group_label",
    "quota_table",
    "range_text",
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
YEARS = 3
"""The years of a Fabrique's grant: one amount per year (``FabriqueRecord.yearly_eur``)."""
RANGED = (CATEGORY_QPV, CATEGORY_OUTSIDE, CATEGORY_NOT_ELIGIBLE)
"""The categories an undetermined record could still fall in."""

LONG_LABELS = {**CATEGORIES, FNT: "Fabriques Numériques de Territoire", TOTAL: "total"}
GROUP_TITLES = {None: "Ensemble", "wave": "Vague", "region": "Région", "departement": "Département"}
UNKNOWN_GROUPS = {None: "ensemble", "wave": "vague inconnue", "region": "région inconnue",
                  "departement": "département inconnu"}
"""How an unknown group is named, with the gender of its noun."""


class QuotaError(ValueError):
    """Records that cannot be counted: unknown category, duplicate id, malformed value."""


@dataclass(frozen=True)
class FabriqueRecord:
    """One Fabrique as the quota counting sees it; ``None`` means unknown.

    ``funding_eur`` is the whole amount granted (or asked, for a candidate); ``yearly_eur``
    the amount granted for each of the YEARS years, each None when unknown. ``possible``:
    the categories an undetermined record could still fall in, when a half of its
    classification is known (``geodata.eligibility.categories``); None: any of them.
    """

    id: str
    category: str
    wave: str | None = None
    fnt: bool | None = None
    region: str | None = None
    departement: str | None = None
    funding_eur: int | None = None
    yearly_eur: tuple[int | None, ...] = (None,) * YEARS
    possible: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise QuotaError(f"identifiant de Fabrique vide ou invalide : {self.id!r}")
        if self.category not in CATEGORIES:
            expected = ", ".join(CATEGORIES)
            raise QuotaError(
                f"Fabrique {self.id!r} : catégorie inconnue {self.category!r} "
                f"(attendues : {expected})"
            )
        if self.possible is not None and not (isinstance(self.possible, frozenset)
                                              and self.possible <= set(RANGED)):
            raise QuotaError(f"Fabrique {self.id!r} : catégories possibles invalides "
                             f"{self.possible!r} (parmi : {', '.join(RANGED)})")
        if self.fnt is not None and not isinstance(self.fnt, bool):
            raise QuotaError(f"Fabrique {self.id!r} : fnt doit valoir True, False ou None, "
                             f"pas {self.fnt!r}")
        if not isinstance(self.yearly_eur, tuple) or len(self.yearly_eur) != YEARS:
            raise QuotaError(f"Fabrique {self.id!r} : {YEARS} montants annuels attendus, "
                             f"pas {self.yearly_eur!r}")
        for amount in (self.funding_eur, *self.yearly_eur):
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
    """One group's range for one line kind, against its target, with its money.

    ``category`` is a policy category, FNT or TOTAL. ``min`` counts the records decided in
    the line, ``max`` adds those that could still fall in it (see the module). ``target``,
    ``remaining_min`` (``target - max``), ``remaining_max`` (``target - min``; negative past
    the target), ``share_min`` and ``share_max`` are None where there is no target: per
    group, and for the non-eligible and to-check lines. The other fields describe the
    ``min`` decided records: ``fnt`` of them are FNT; ``funding_eur`` sums their known
    granted amounts (None when none of them is known); ``yearly_eur`` sums the known
    amounts of each year (None likewise) and ``unknown_yearly`` counts the records without
    an amount that year;
    ``max_commitment_eur`` sums, for each decided record, its granted amount when known,
    else the most the rules allow (``max_total_eur``, plus ``fnt_bonus_eur`` for an FNT;
    without the bonus for a record of unknown type): never less than what was granted;
    ``unknown_*`` count the records whose granted amount, type (FNT or not) or wave is
    unknown.
    """

    group: str | None
    category: str
    min: int
    max: int
    fnt: int
    target: int | None
    remaining_min: int | None
    remaining_max: int | None
    share_min: float | None
    share_max: float | None
    funding_eur: int | None
    yearly_eur: tuple[int | None, ...]
    unknown_yearly: tuple[int, ...]
    max_commitment_eur: int
    unknown_funding: int
    unknown_type: int
    unknown_wave: int

    @property
    def possible(self) -> int:
        """The records that could still fall in the line: ``max - min``."""
        return self.max - self.min

    @property
    def exact(self) -> bool:
        """True when nothing undetermined could change the count."""
        return self.min == self.max


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
    order = wave_order if by == "wave" else str  # waves: « 2 » before « 10 »
    for group in sorted(groups, key=lambda name: (name is None, order(name or ""))):
        members = groups[group]
        undetermined = [r for r in members if r.category == CATEGORY_UNDETERMINED]
        for kind in LINE_KINDS:
            if kind == TOTAL:
                decided, possible = members, 0
            elif kind == FNT:
                decided = [r for r in members if r.fnt and r.category == CATEGORY_QPV]
                possible = sum(1 for r in members if r.fnt is None and r.category
                               == CATEGORY_QPV) + sum(1 for r in undetermined
                                                      if r.fnt is not False
                                                      and _could_be(r, CATEGORY_QPV))
            else:
                decided = [r for r in members if r.category == kind]
                possible = sum(1 for r in undetermined if _could_be(r, kind))
            lines.append(_line(group, kind, decided, possible, targets.get(kind), policy))
    return QuotaTable(policy_name=policy.name, by=by, lines=tuple(lines))


def what_if(
    current: Iterable[FabriqueRecord],
    candidates: Iterable[FabriqueRecord],
    policy: Policy,
    by: str | None = None,
) -> QuotaTable:
    """The table once candidates (a jury's selection) are added to the current Fabriques;
    an undetermined candidate widens the ranges, as an undetermined laureate does."""
    candidates = tuple(candidates)
    table = quota_table((*current, *candidates), policy, by)
    return replace(table, candidates=len(candidates))


def group_label(by: str | None, group: str | None,
                names: Mapping[str, str] | None = None) -> str:
    """A group as people read it: its name when ``names`` has it (régions, départements),
    else its value (a wave); an unknown group is "région inconnue", "vague inconnue"..."""
    if group is None:
        return UNKNOWN_GROUPS[by]
    return (names or {}).get(group, group)


def range_text(line: QuotaLine) -> str:
    """The range in French words: "12" when exact, else "de 12 à 239"."""
    if line.exact:
        return number(line.min)
    return f"de {number(line.min)} à {number(line.max)}"


def _could_be(record: FabriqueRecord, category: str) -> bool:
    """Whether an undetermined record could still fall in ``category``."""
    return category in (RANGED if record.possible is None else record.possible)


def _targets(policy: Policy) -> dict[str, int]:
    quotas = policy.quotas
    return {CATEGORY_QPV: quotas.qpv, FNT: quotas.fnt, TOTAL: quotas.total,
            CATEGORY_OUTSIDE: quotas.outside_large_urban_centres}


def _line(group: str | None, kind: str, members: list[FabriqueRecord], possible: int,
          target: int | None, policy: Policy) -> QuotaLine:
    low = len(members)
    high = low + possible
    fnt = sum(1 for record in members if record.fnt)
    known = [record.funding_eur for record in members if record.funding_eur is not None]
    years = [[record.yearly_eur[year] for record in members
              if record.yearly_eur[year] is not None] for year in range(YEARS)]
    # No amount known among Fabriques is no amount at all, not 0 € (a line without any
    # Fabrique sums to 0 €): the published list has none, and « 0 € engagés » read as fact.
    funding = sum(known) if known or not low else None
    yearly = tuple(sum(amounts) if amounts or not low else None for amounts in years)
    return QuotaLine(
        group=group,
        category=kind,
        min=low,
        max=high,
        fnt=fnt,
        target=target,
        remaining_min=None if target is None else target - high,
        remaining_max=None if target is None else target - low,
        share_min=low / target if target else None,
        share_max=high / target if target else None,
        funding_eur=funding,
        yearly_eur=yearly,
        unknown_yearly=tuple(low - len(amounts) for amounts in years),
        max_commitment_eur=sum(
            record.funding_eur if record.funding_eur is not None
            else policy.funding.max_total_eur + (policy.funding.fnt_bonus_eur if record.fnt
                                                 else 0)
            for record in members),
        unknown_funding=low - len(known),
        unknown_type=sum(1 for record in members if record.fnt is None),
        unknown_wave=sum(1 for record in members if record.wave is None),
    )

