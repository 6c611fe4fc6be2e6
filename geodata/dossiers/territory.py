"""What a dossier's stored territorial check leaves open: the categories an « à vérifier »
dossier could still fall in, and whether it is eligible either way (only its category open).

Reads the halves the check stored (``checks["territoire"]``) under the dossier's rules
(``geodata.eligibility.categories``); never runs the engine again. Pure: no database, no
web framework.
"""

from __future__ import annotations

from geodata.eligibility.categories import eligible_either_way, possible_of_halves
from geodata.policy import CATEGORY_UNDETERMINED, available_policies, load_policy

__all__ = ["category_to_settle", "possible_categories_of"]

MISSING = object()  # a half the territory check does not hold (a dossier not located)


def possible_categories_of(dossier, policies: list[str] | None = None
                           ) -> frozenset[str] | None:
    """The categories an « à vérifier » dossier could still fall in, from the halves of its
    territory check under its rules; None (any) when it was not located, or its rules are
    no longer shipped (``policies``: those shipped, read when None). One in a large urban
    centre is never « hors des grands centres urbains »."""
    territory = (dossier.checks or {}).get("territoire") or {}
    halves = [territory.get(key, MISSING)
              for key in ("in_qpv", "near_qpv", "outside_large_urban_centre")]
    shipped = available_policies() if policies is None else policies
    if MISSING in halves or dossier.policy not in shipped:
        return None
    return possible_of_halves(*halves, load_policy(dossier.policy).precedence)


def category_to_settle(dossier, policies: list[str] | None = None) -> bool:
    """An « à vérifier » dossier eligible whatever its undecided condition says: it can only
    fall in « en QPV » or « hors des grands centres urbains »."""
    return dossier.category == CATEGORY_UNDETERMINED \
        and eligible_either_way(possible_categories_of(dossier, policies))
