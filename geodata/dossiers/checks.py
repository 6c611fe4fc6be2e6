"""Automatic checks of a dossier against a policy: its legal form and its funding request.

Each gives a ``Finding``: true, false or undetermined (None), with the reason in French. An
unknown or missing value is undetermined, never a refusal. The territorial check is the
engine's (``geodata.eligibility``), run on the dossier's location by the import.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from geodata.dossiers.records import FNT, Finding
from geodata.french import euros
from geodata.policy import Policy

__all__ = ["NOMENCLATURE_FILE", "funding_finding", "granted_within_rules", "legal_form_finding",
           "read_nomenclature"]

NOMENCLATURE_FILE = Path("reference/categories_juridiques_insee.csv")
"""The INSEE catégories juridiques, in the shared data folder (levels 1 to 3)."""


def read_nomenclature(data_dir: Path) -> dict[str, str] | None:
    """Code -> label of every catégorie juridique (all levels), or None without the file."""
    path = data_dir / NOMENCLATURE_FILE
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return {row["code"]: row["libelle"] for row in csv.DictReader(handle)}


def legal_form_finding(code: str | None, policy: Policy,
                       nomenclature: dict[str, str] | None) -> Finding:
    """Whether the catégorie juridique ``code`` (4 digits) makes a legal person the AMI
    admits, by the policy's prefixes."""
    code = (code or "").strip()
    if not code:
        return Finding(None, "forme juridique non renseignée : à vérifier")
    if nomenclature is None:
        return Finding(None, "nomenclature des catégories juridiques non disponible : "
                             f"code {code} à vérifier")
    label = nomenclature.get(code)
    if label is None or len(code) != 4:
        return Finding(None, f"code {code!r} absent de la nomenclature INSEE des catégories "
                             "juridiques (niveau 3) : à vérifier")
    rule = policy.legal_forms.rule_for(code)
    if rule is None:
        return Finding(None, f"{code} « {label} » : catégorie que la politique ne classe pas, "
                             "à examiner")
    eligible, prefix, reason = rule
    verdict = "admise" if eligible else "non admise"
    return Finding(eligible, f"{code} « {label} » : {verdict} ({reason}, codes {prefix}…)")


def funding_finding(amounts: Sequence[int | None], kind: str | None,
                    policy: Policy) -> Finding:
    """The yearly amounts asked for against the policy's funding rules: the total between
    the minimum and the maximum (plus the FNT bonus for an FNT), each year within the
    yearly cap (above it, an FNT's year is left to the instructor: the AMI does not say how
    the bonus spreads over the years)."""
    rules = policy.funding
    if len(amounts) != rules.years or any(amount is None for amount in amounts):
        missing = [str(i + 1) for i in range(rules.years)
                   if i >= len(amounts) or amounts[i] is None]
        return Finding(None, f"montant non renseigné pour l'année {', '.join(missing)}")
    total = sum(amounts)
    if kind is None:
        return Finding(None, f"total demandé {_euros(total)} : type de Fabrique inconnu, "
                             "plafond (avec ou sans bonus FNT) à vérifier")
    ceiling = rules.max_total_eur + (rules.fnt_bonus_eur if kind == FNT else 0)
    if not rules.min_total_eur <= total <= ceiling:
        return Finding(False, f"total demandé {_euros(total)} hors de l'intervalle "
                              f"{_euros(rules.min_total_eur)} – {_euros(ceiling)}")
    above = [i + 1 for i, amount in enumerate(amounts) if amount > rules.max_per_year_eur]
    if above and kind != FNT:
        return Finding(False, f"année {', '.join(map(str, above))} au-delà de "
                              f"{_euros(rules.max_per_year_eur)} par an")
    if above:
        return Finding(None, f"année {', '.join(map(str, above))} au-delà de "
                             f"{_euros(rules.max_per_year_eur)} : part du bonus FNT à vérifier")
    return Finding(True, f"total demandé {_euros(total)}, au plus "
                         f"{_euros(max(amounts))} par an : conforme")


def granted_within_rules(amounts: Sequence[int | None], kind: str | None, policy: Policy
                         ) -> tuple[tuple[int | None, ...], str | None]:
    """What a laureate decision grants of the yearly amounts asked, and what was capped
    (None: as asked). The State grants at most the rules: each year at most the yearly cap,
    but an FNT's or an unknown type's (the AMI does not say how the FNT bonus spreads over
    the years); in all at most the ceiling (plus the FNT bonus for an FNT or an unknown
    type), taken off the last known years first. An unknown amount stays unknown (the
    funding check says it is to be settled); the known ones are capped all the same (a year
    of 300 000 €, the others blank, was granted as asked)."""
    asked = tuple(amounts)
    rules = policy.funding
    yearly_cap = rules.max_per_year_eur if kind is not None and kind != FNT else None
    granted = [amount if amount is None or yearly_cap is None else min(amount, yearly_cap)
               for amount in asked]
    excess = sum(a for a in granted if a is not None) - rules.max_total_eur \
        - (0 if yearly_cap else rules.fnt_bonus_eur)
    for year in reversed(range(len(granted))):
        if granted[year] is None:
            continue
        taken = min(max(excess, 0), granted[year])
        granted[year] -= taken
        excess -= taken
    if tuple(granted) == asked:
        return asked, None
    years = [f"année {year} : {_euros(a)} → {_euros(g)}"
             for year, (a, g) in enumerate(zip(asked, granted, strict=True), start=1) if a != g]
    if None in asked:
        return tuple(granted), f"accordés au plus selon les règles : {' ; '.join(years)}"
    return tuple(granted), (f"{_euros(sum(asked))} demandés, {_euros(sum(granted))} accordés "
                            f"au plus selon les règles ({' ; '.join(years)})")


def _euros(amount: int) -> str:
    return euros(amount)
