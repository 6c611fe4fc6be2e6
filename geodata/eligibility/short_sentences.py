"""The short explanation of a verdict: the condition that decided, on one line.

The full explanation (``geodata.eligibility.sentences``) is a paragraph of about a kilobyte:
a million rows make a gigabyte. The short one says only what decided the category, from the
same facts, with the numbers written as the paragraph writes them (``geodata.french``):

- en QPV ou à proximité: « dans le QPV QN01352M : en QPV ou à sa proximité », « QPV
  QN01352M à 81,8 m ≤ 300 m : en QPV ou à sa proximité »;
- hors des grands centres urbains and non éligible: why no QPV is near, then the commune
  and its class: « aucun QPV à moins de 5 000 m ; Le Blanc (36018) hors grand centre
  urbain (densité 5) : hors des grands centres urbains »;
- à vérifier: the condition left open and why: « QPV indéterminé (aucun contour de QPV 2024
  n'est chargé pour Occitanie (région 76)) ; … : à vérifier ».

As for the paragraph, the text is built once per group of locations sharing every fact
(``geodata.eligibility.columns``): a *head*, then, when a distance is said, the distance and
a *tail*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geodata.eligibility.engine import (
    COARSE_PRECISIONS,
    FALSE,
    HOSTING_TOLERANCE_M,
    TRUE,
    UNKNOWN,
    Classification,
)
from geodata.eligibility.sentences import outlines_here, per_commune
from geodata.french import NBSP, metres
from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
)

__all__ = ["SHORT_LABELS", "short_parts"]

SHORT_LABELS = {
    CATEGORY_QPV: "en QPV ou à sa proximité",
    CATEGORY_OUTSIDE: "hors des grands centres urbains",
    CATEGORY_NOT_ELIGIBLE: "non éligible",
    CATEGORY_UNDETERMINED: "à vérifier",
}
"""The last words of a short explanation: the category."""


def short_parts(result: Classification, positions: np.ndarray
                ) -> tuple[list[str], list[str | None]]:
    """For each position: its short explanation up to the distance to the nearest QPV when
    one is said (then the text after that distance), else all of it (and None)."""
    policy = result.policy
    said = _Said(
        proximity=metres(policy.proximity_m), radius=metres(policy.search_radius_m),
        reach=metres(policy.proximity_m + HOSTING_TOLERANCE_M), codes=result.index.qpv.codes,
        urban=per_commune(result, "short-urban", result.commune[positions],
                           lambda commune: _urban_fact(result, commune)).tolist())
    heads, tails = [], []
    for j, i in enumerate(positions.tolist()):
        head, tail = _short(result, i, j, said)
        heads.append(head)
        tails.append(tail)
    return heads, tails


@dataclass(frozen=True)
class _Said:
    """What every short explanation of a call may say: the policy's distances in French,
    the QPV codes, and the urban half of each position's commune."""

    proximity: str
    radius: str
    reach: str
    codes: np.ndarray
    urban: list[str]


def _short(result: Classification, i: int, j: int, said: _Said) -> tuple[str, str | None]:
    in_qpv, near = result.in_qpv[i], result.near_qpv[i]
    qpv_half = TRUE if TRUE in (in_qpv, near) else FALSE if in_qpv == near == FALSE else UNKNOWN
    outside, category = result.outside[i], result.category[i]
    if category == CATEGORY_QPV:
        halves = ("qpv",)
    elif category == CATEGORY_OUTSIDE:
        halves = ("qpv", "urban") if qpv_half == FALSE else ("urban",)  # "outside" precedence
    elif category == CATEGORY_NOT_ELIGIBLE:
        halves = ("qpv", "urban")
    else:  # what is left open
        halves = tuple(half for half, answer in (("qpv", qpv_half), ("urban", outside))
                       if answer == UNKNOWN) or ("qpv", "urban")
    head, tail = _qpv_fact(result, i, said) if "qpv" in halves else ("", None)
    rest = f" ; {said.urban[j]}" if "urban" in halves else ""
    label = f" : {SHORT_LABELS[category]}"
    if tail is not None:
        return head, tail + rest + label
    return (head + rest if head else rest[3:]) + label, None


def _qpv_fact(result: Classification, i: int, said: _Said) -> tuple[str, str | None]:
    """The QPV half: where the nearest QPV is against D, or why it is not known (head, and
    the tail after the distance, None when no distance is said)."""
    codes, proximity = said.codes, said.proximity
    in_qpv, near = result.in_qpv[i], result.near_qpv[i]
    qpv, nearest = int(result.qpv[i]), int(result.nearest[i])
    if result.precision[i] in COARSE_PRECISIONS:
        if in_qpv == FALSE:
            return (f"lieu connu à la commune, aucun QPV à moins de {proximity} de son "
                    "contour"), None
        return "lieu connu seulement à la commune, QPV à vérifier avec l'adresse précise", None
    if qpv >= 0:
        return f"dans le QPV {codes[qpv]}", None
    if near == TRUE:
        return f"QPV {codes[nearest]} à ", f"{NBSP}m ≤ {proximity}"
    if near == FALSE and in_qpv == FALSE:
        if nearest >= 0 and result.nearest_known[i]:
            return f"QPV le plus proche {codes[nearest]} à ", f"{NBSP}m > {proximity}"
        if nearest >= 0:  # no QPV within D, a closer one than this may lie beyond
            return (f"aucun QPV à {proximity} ou moins (QPV chargé le plus proche "
                    f"{codes[nearest]} à "), f"{NBSP}m)"
        if result.no_hosting_commune[i]:
            return f"aucune commune à QPV à moins de {said.reach} (liste officielle)", None
        if result.nearest_known[i]:
            return f"aucun QPV à moins de {said.radius}", None
        return f"aucun QPV à {proximity} ou moins", None
    commune = int(result.commune[i])
    where = per_commune(result, "outlines-here", np.array([commune]),
                         lambda c: outlines_here(result, c))[0]
    why = f"QPV indéterminé ({where})"
    if nearest >= 0:
        return f"QPV chargé le plus proche {codes[nearest]} à ", f"{NBSP}m, {why}"
    return why, None


def _urban_fact(result: Classification, commune: int) -> str:
    """The urban half of the locations of a commune (-1: none known): the commune and its
    class under the policy, or what is unknown."""
    policy, index = result.policy, result.index
    if commune < 0:
        return "commune inconnue"
    communes = index.communes
    code = str(communes.codes[commune])
    place = f"{communes.names[commune]!s} ({code})"
    if policy.urban_definition == "metropole":
        if index.metropole_of is None:
            return f"{place}, métropoles non chargées"
        if index.metropole_of[commune]:
            return f"{place} dans {communes.metropoles[code]}"
        return f"{place} hors des 22 métropoles"
    level = int(index.density_level_of[commune]) if len(index.density_level_of) else 0
    if not level:
        return f"{place}, niveau de densité inconnu"
    large = level in policy.density_levels
    return f"{place} {'en' if large else 'hors'} grand centre urbain (densité {level})"
