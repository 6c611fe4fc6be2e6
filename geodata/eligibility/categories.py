"""The quota category a policy gives a location, from the two halves of its classification,
and the categories an undetermined location could still fall in.

The QPV half is true when the location is in or near a QPV, false when it is neither, unknown
otherwise; the urban half is "outside large urban centres" (true, false, unknown). The
policy's precedence says which category a location that is both gets. A location with an
unknown half is « à vérifier »; the categories it could still fall in are those its unknown
halves give once known, either way: one in a large urban centre can never be « hors des
grands centres urbains », one outside them never « non éligible ». The quotas count it in
those lines' ranges only (``geodata.quotas``). One that could only fall in « en QPV » or
« hors des grands centres urbains » is eligible either way: only its category is open
(``eligible_either_way``).
"""

from __future__ import annotations

import numpy as np

from geodata.eligibility.plain_layers import FALSE, TRUE, UNKNOWN
from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
)

__all__ = ["ANY_CATEGORY", "ELIGIBLE", "categories", "eligible_either_way",
           "possible_categories", "possible_of_halves"]

ANY_CATEGORY = frozenset({CATEGORY_QPV, CATEGORY_OUTSIDE, CATEGORY_NOT_ELIGIBLE})
"""What a location of which nothing is known could fall in."""

ELIGIBLE = frozenset({CATEGORY_QPV, CATEGORY_OUTSIDE})
"""The categories of an eligible location."""

NAMES = np.array([CATEGORY_UNDETERMINED, CATEGORY_NOT_ELIGIBLE, CATEGORY_QPV, CATEGORY_OUTSIDE],
                 dtype=object)
UNDETERMINED, NOT_ELIGIBLE, QPV, OUTSIDE = range(4)


def categories(result) -> np.ndarray:
    """The category of each location of a classification (``engine.Classification``);
    « à vérifier » outside every territory."""
    codes = _codes(_qpv_half(result), result.outside, result.policy.precedence == "qpv")
    codes[result.territory == None] = UNDETERMINED  # noqa: E711
    return NAMES[codes]


def possible_categories(result) -> list[frozenset[str]]:
    """For each location, the categories it falls in once its unknown halves are known:
    its own category when it is decided; all three outside every territory."""
    nowhere = result.territory == None  # noqa: E711
    return _possible(np.where(nowhere, UNKNOWN, _qpv_half(result)),
                     np.where(nowhere, UNKNOWN, result.outside),
                     result.policy.precedence == "qpv")


def possible_of_halves(in_qpv: bool | None, near_qpv: bool | None, outside: bool | None,
                       precedence: str) -> frozenset[str]:
    """``possible_categories`` of one location from its three answers as a verdict keeps
    them (True, False, None for unknown), under the precedence of its rules."""
    code = {True: TRUE, False: FALSE, None: UNKNOWN}
    in_qpv, near_qpv, outside = (np.array([code[v]], dtype=np.int8)
                                 for v in (in_qpv, near_qpv, outside))
    return _possible(_either(in_qpv, near_qpv), outside, precedence == "qpv")[0]


def eligible_either_way(possible: frozenset[str] | None) -> bool:
    """Whether an « à vérifier » location that could still fall in ``possible`` (None: any)
    is eligible whatever its unknown half says, only its category being open."""
    return bool(possible) and possible <= ELIGIBLE


def _possible(qpv_half: np.ndarray, outside: np.ndarray, qpv_first: bool
              ) -> list[frozenset[str]]:
    found = np.zeros((len(qpv_half), len(NAMES)), dtype=bool)
    for qpv_value in (TRUE, FALSE):
        for outside_value in (TRUE, FALSE):
            codes = _codes(np.where(qpv_half == UNKNOWN, qpv_value, qpv_half),
                           np.where(outside == UNKNOWN, outside_value, outside), qpv_first)
            found[np.arange(len(codes)), codes] = True
    return [frozenset(NAMES[row]) for row in found]


def _qpv_half(result) -> np.ndarray:
    """In or near a QPV (TRUE), neither (FALSE), or unknown."""
    return _either(result.in_qpv, result.near_qpv)


def _either(in_qpv: np.ndarray, near_qpv: np.ndarray) -> np.ndarray:
    return np.where((in_qpv == TRUE) | (near_qpv == TRUE), TRUE,
                    np.where((in_qpv == FALSE) & (near_qpv == FALSE), FALSE, UNKNOWN))


def _codes(qpv_half: np.ndarray, outside: np.ndarray, qpv_first: bool) -> np.ndarray:
    """The category codes (``NAMES``) of the halves under a precedence."""
    category = np.full(len(qpv_half), UNDETERMINED, dtype=np.int8)
    category[(qpv_half == FALSE) & (outside == FALSE)] = NOT_ELIGIBLE
    if qpv_first:  # the QPV half wins whatever the urban half says
        category[(outside == TRUE) & (qpv_half == FALSE)] = OUTSIDE
        category[qpv_half == TRUE] = QPV
    else:  # outside wins whatever the QPV half says; in a QPV, unknown outside is undecided
        category[(qpv_half == TRUE) & (outside == FALSE)] = QPV
        category[outside == TRUE] = OUTSIDE
    return category
