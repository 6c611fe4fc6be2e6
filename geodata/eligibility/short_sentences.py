"""The short explanation of a verdict: the condition that decided, on one line.

The full explanation (``geodata.eligibility.sentences``) is a paragraph of about a kilobyte:
a million rows make a gigabyte. The short one says only what decided the category, from the
same facts, with the numbers written as the paragraph writes them (``geodata.french``):

- en QPV ou à proximité: « dans le QPV QN01352M : en QPV ou à sa proximité », « QPV
  QN01352M à 81,8 m ≤ 300 m : en QPV ou à sa proximité »;
- hors des grands centres urbains and non éligible: why no QPV is near, then the commune
  and its class: « aucun QPV à moins de 5 000 m ; Le Blanc (36018) hors grand centre
  urbain (densité 5) : hors des grands centres urbains »;
- à vérifier: the condition left open and why: « QPV indéterminé (les contours des QPV 2024
  ne sont pas tous chargés pour Occitanie (région 76)) ; … : à vérifier ».

A short explanation is two independent pieces, each built once per distinct value and
assembled per location (``geodata.eligibility.columns``): the QPV half (a *head*, then, when
a distance is said, the distance and a *tail*), which depends on the case that decided it
(``QPV_CASES``), a QPV code and, where outlines are missing, the commune; and the *suffix*:
the urban half (the commune and its class) and the category. The cases are told apart for
all locations at once, with array operations: no Python code runs per location.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geodata.eligibility.engine import (
    FALSE,
    HOSTING_TOLERANCE_M,
    TRUE,
    UNKNOWN,
    Classification,
    coarse,
)
from geodata.eligibility.sentences import outlines_here, per_commune
from geodata.french import NBSP, metres
from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
)

__all__ = ["QPV_CASES", "SHORT_LABELS", "ShortParts", "short_parts"]

SHORT_LABELS = {
    CATEGORY_QPV: "en QPV ou à sa proximité",
    CATEGORY_OUTSIDE: "hors des grands centres urbains",
    CATEGORY_NOT_ELIGIBLE: "non éligible",
    CATEGORY_UNDETERMINED: "à vérifier",
}
"""The last words of a short explanation: the category."""

QPV_CASES = (
    "coarse-far", "coarse", "inside", "near", "nearest-known", "nearest-beyond", "no-hosting",
    "none-in-radius", "none-within-proximity", "open-nearest", "open",
)
"""What the QPV half says, in the order the cases are tried (the first that holds)."""
NO_QPV_HALF = -1
"""The case of a location whose explanation leaves out the QPV half."""


@dataclass(frozen=True)
class ShortParts:
    """The short explanations of some positions: ``heads[group[j]]``, then when
    ``tails[group[j]]`` is not None the distance and that tail, then
    ``suffixes[suffix_group[j]]``."""

    group: np.ndarray
    heads: list[str]
    tails: list[str | None]
    suffix_group: np.ndarray
    suffixes: list[str]


def short_parts(result: Classification, positions: np.ndarray) -> ShortParts:
    """The short explanation of each position, in pieces (``ShortParts``)."""
    category = result.category[positions]
    qpv_half = _qpv_half(result, positions)
    outside = result.outside[positions]
    labels = np.zeros(len(positions), dtype=np.int64)
    for code, name in enumerate(SHORT_LABELS):
        labels[category == name] = code
    is_qpv, is_outside, is_not_eligible, is_open = (labels == code for code in range(4))
    open_qpv, open_urban = qpv_half == UNKNOWN, outside == UNKNOWN
    # "outside" precedence: a QPV nearby does not matter, so it is not said
    with_qpv = is_qpv | is_not_eligible | is_outside & (qpv_half == FALSE) \
        | is_open & (open_qpv | ~open_urban)
    with_urban = is_outside | is_not_eligible | is_open & (open_urban | ~open_qpv)
    case = np.where(with_qpv, _qpv_cases(result, positions), NO_QPV_HALF)
    group, heads, tails = _qpv_groups(result, positions, case)
    suffix_group, suffixes = _suffixes(result, positions, labels, with_qpv, with_urban)
    return ShortParts(group, heads, tails, suffix_group, suffixes)


def _qpv_half(result: Classification, positions: np.ndarray) -> np.ndarray:
    """TRUE (in or near a QPV), FALSE (neither) or UNKNOWN, per position."""
    in_qpv, near = result.in_qpv[positions], result.near_qpv[positions]
    return np.where((in_qpv == TRUE) | (near == TRUE), TRUE,
                    np.where((in_qpv == FALSE) & (near == FALSE), FALSE, UNKNOWN))


def _qpv_cases(result: Classification, positions: np.ndarray) -> np.ndarray:
    """The case of ``QPV_CASES`` each position's QPV half says (its position there)."""
    in_qpv, near = result.in_qpv[positions], result.near_qpv[positions]
    nearest = result.nearest[positions]
    rough = coarse(result.precision[positions])
    neither = (near == FALSE) & (in_qpv == FALSE)
    known = result.nearest_known[positions]
    conditions = (
        rough & (in_qpv == FALSE), rough, result.qpv[positions] >= 0, near == TRUE,
        neither & (nearest >= 0) & known, neither & (nearest >= 0),
        neither & result.no_hosting_commune[positions], neither & known, neither,
        nearest >= 0, np.ones(len(positions), dtype=bool),
    )
    return np.select(conditions, np.arange(len(QPV_CASES)), NO_QPV_HALF)


def _distinct(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The group of each key (dense, in order of first appearance) and each group's first
    position."""
    if not len(key):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    values, first, group = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank[group.ravel()], first[order]


def _qpv_groups(result: Classification, positions: np.ndarray, case: np.ndarray
                ) -> tuple[np.ndarray, list[str], list[str | None]]:
    """The QPV half of each position: its group, and each group's head and tail, built once
    per case, QPV and (where outlines are missing) commune."""
    qpv, nearest = result.qpv[positions], result.nearest[positions]
    code = np.where(case == QPV_CASES.index("inside"), qpv, nearest)
    code = np.where(np.isin(case, (0, 1, 6, 7, 8, 10, NO_QPV_HALF)), -1, code)
    commune = np.where(case >= QPV_CASES.index("open-nearest"), result.commune[positions], -1)
    codes_count = len(result.index.qpv.codes) + 1
    communes_count = len(result.index.communes.codes) + 1
    key = ((case + 1).astype(np.int64) * codes_count + code + 1) * communes_count + commune + 1
    group, first = _distinct(key)
    said = _Said.of(result)
    where = per_commune(result, "outlines-here", commune[first],
                        lambda c: outlines_here(result, c))
    heads, tails = [], []
    for k, row, place in zip(case[first].tolist(), code[first].tolist(), where.tolist(),
                             strict=True):
        head, tail = _qpv_fact(k, said.codes[row] if row >= 0 else "", place, said)
        heads.append(head)
        tails.append(tail)
    return group, heads, tails


@dataclass(frozen=True)
class _Said:
    """The policy's distances in French and the QPV codes."""

    proximity: str
    radius: str
    reach: str
    codes: np.ndarray

    @classmethod
    def of(cls, result: Classification) -> _Said:
        policy = result.policy
        return cls(proximity=metres(policy.proximity_m), radius=metres(policy.search_radius_m),
                   reach=metres(policy.proximity_m + HOSTING_TOLERANCE_M),
                   codes=result.index.qpv.codes)


def _qpv_fact(case: int, code: str, where: str | None, said: _Said) -> tuple[str, str | None]:
    """The QPV half of a case: where the nearest QPV is against D, or why it is not known
    (head, and the tail after the distance, None when no distance is said)."""
    proximity = said.proximity
    name = QPV_CASES[case] if case != NO_QPV_HALF else None
    if name is None:
        return "", None
    if name == "coarse-far":
        return f"lieu connu à la commune, aucun QPV à moins de {proximity} de son contour", None
    if name == "coarse":
        return "lieu connu seulement à la commune, QPV à vérifier avec l'adresse précise", None
    if name == "inside":
        return f"dans le QPV {code}", None
    if name == "near":
        return f"QPV {code} à ", f"{NBSP}m ≤ {proximity}"
    if name == "nearest-known":
        return f"QPV le plus proche {code} à ", f"{NBSP}m > {proximity}"
    if name == "nearest-beyond":  # no QPV within D, a closer one than this may lie beyond
        return (f"aucun QPV à {proximity} ou moins (QPV chargé le plus proche {code} à ",
                f"{NBSP}m)")
    if name == "no-hosting":
        return f"aucune commune à QPV à moins de {said.reach} (liste officielle)", None
    if name == "none-in-radius":
        return f"aucun QPV à moins de {said.radius}", None
    if name == "none-within-proximity":
        return f"aucun QPV à {proximity} ou moins", None
    why = f"QPV indéterminé ({where})"
    if name == "open-nearest":
        return f"QPV chargé le plus proche {code} à ", f"{NBSP}m, {why}"
    return why, None


def _suffixes(result: Classification, positions: np.ndarray, labels: np.ndarray,
              with_qpv: np.ndarray, with_urban: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """What follows the QPV half: the urban half when said (after `` ; `` when the QPV half
    is said too), then the category; each built once per commune and category."""
    commune = np.where(with_urban, result.commune[positions], -1)
    mode = with_urban * (1 + with_qpv.astype(np.int64))  # 0: unsaid, 1: alone, 2: after
    key = ((commune + 1) * 3 + mode) * len(SHORT_LABELS) + labels
    group, first = _distinct(key.astype(np.int64))
    urban = per_commune(result, "short-urban", commune[first],
                        lambda c: _urban_fact(result, c))
    mode = mode[first]
    said = np.where(mode > 0, _SEPARATORS[mode] + urban, "")
    return group, (said + _ENDS[labels[first]]).tolist()


_SEPARATORS = np.array(["", "", " ; "], dtype=object)
"""Before the urban half, by its mode: not said, said alone, said after the QPV half."""
_ENDS = np.array([f" : {label}" for label in SHORT_LABELS.values()], dtype=object)


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
        if index.metropole_of[commune] == UNKNOWN:
            return f"{place}, dans aucun EPCI de la liste chargée"
        if index.metropole_of[commune] == TRUE:
            return f"{place} dans {communes.metropoles[code]}"
        return f"{place} hors des 22 métropoles"
    level = int(index.density_level_of[commune]) if len(index.density_level_of) else 0
    if not level:
        return f"{place}, niveau de densité inconnu"
    large = level in policy.density_levels
    return f"{place} {'en' if large else 'hors'} grand centre urbain (densité {level})"
