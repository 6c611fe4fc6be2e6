"""A wave's dossiers as an instructor looks at them: filtered, sorted, counted.

Works on stored dossiers (``geodata.storage.dossier_models.Dossier`` rows, or anything with
the same attributes). A check is true, false or undetermined (None): the territorial one is
false for a non-eligible location, undetermined while "à vérifier", unless the dossier is
eligible whatever its undecided condition says. The pages tally apart
(``shown_category``) the « à vérifier » eligible whatever their undecided condition says,
whose category only is open, from the stored halves of their territorial check.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from geodata.dossiers.territory import category_to_settle
from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_UNDETERMINED,
    SHORT_CATEGORIES,
    available_policies,
)

__all__ = ["CHECKS", "NO_AVIS", "SHOWN_CATEGORIES", "SORTS", "TO_SETTLE", "DossierFilter",
           "check_value", "counts", "folded", "shown_category"]

CHECKS = {"territoire": "territoire", "forme_juridique": "forme juridique",
          "financement": "financement"}
"""The automatic checks, by key, with their French name."""
NO_AVIS = "aucun"
"""The avis filter's value for a dossier without a prefecture's avis."""
TO_SETTLE = "eligible-a-preciser"
"""How the pages show an « à vérifier » dossier eligible either way (never stored)."""
SHOWN_CATEGORIES = {**SHORT_CATEGORIES, TO_SETTLE: "éligible (catégorie à préciser)"}
SORTS = {
    "numero": ("numéro", lambda d: d.number),
    "raison_sociale": ("raison sociale", lambda d: ((d.company_name or "").casefold(), d.number)),
    "categorie": ("catégorie", lambda d: (d.category or "", d.number)),
    "etat": ("état", lambda d: (d.state, d.number)),
    "departement": ("département", lambda d: (d.departement_code or "~", d.number)),
}


def check_value(dossier, name: str, policies: list[str] | None = None) -> bool | None:
    """The value of one automatic check of ``dossier``: the territorial one passes for an
    « à vérifier » dossier eligible either way (only its category is open)."""
    if name == "territoire":
        if dossier.category == CATEGORY_UNDETERMINED:
            return True if category_to_settle(dossier, policies) else None
        if dossier.category is None:
            return None
        return dossier.category != CATEGORY_NOT_ELIGIBLE
    return (dossier.checks or {}).get(name, {}).get("value")


def shown_category(dossier, policies: list[str] | None = None) -> str | None:
    """The dossier's category as the pages show it: TO_SETTLE for an « à vérifier » one that
    can only fall in « en QPV » or « hors des grands centres urbains »."""
    return TO_SETTLE if category_to_settle(dossier, policies) else dossier.category


@dataclass(frozen=True)
class DossierFilter:
    """What an instructor asks for; None: any."""

    state: str | None = None
    category: str | None = None  # as shown (SHOWN_CATEGORIES): TO_SETTLE apart
    departement: str | None = None
    kind: str | None = None
    failing: str | None = None  # a check (CHECKS) that is false or undetermined
    avis: str | None = None  # the prefecture's avis, NO_AVIS: none given
    text: str | None = None  # in the number, the holder's or the project's name

    def keeps(self, dossier, policies: list[str] | None = None) -> bool:
        return ((self.state is None or dossier.state == self.state)
                and (self.text is None or _mentions(dossier, self.text))
                and (self.avis is None or (dossier.avis or NO_AVIS) == self.avis)
                and (self.category is None
                     or shown_category(dossier, policies) == self.category)
                and (self.departement is None or dossier.departement_code == self.departement)
                and (self.kind is None or dossier.kind == self.kind)
                and (self.failing is None
                     or check_value(dossier, self.failing, policies) is not True))

    def apply(self, dossiers: Iterable, sort: str = "numero") -> list:
        shipped = available_policies()
        return sorted((d for d in dossiers if self.keeps(d, shipped)), key=SORTS[sort][1])


def folded(text: str) -> str:
    """``text`` to compare as a person reads it: no case, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _mentions(dossier, text: str) -> bool:
    """Whether the dossier's number, holder or project holds ``text`` (« fabulerie »,
    « Efficience solidaire », « 12345 »)."""
    wanted = folded(text)
    return any(wanted in folded(value) for value in (
        str(dossier.number), dossier.company_name or "", dossier.project_name or ""))


def counts(dossiers: Sequence) -> dict[str, Counter]:
    """How many dossiers in each state, category (stored; as shown), département, type and
    avis (NO_AVIS: none)."""
    shipped = available_policies()
    return {
        "state": Counter(d.state for d in dossiers),
        "avis": Counter(d.avis or NO_AVIS for d in dossiers),
        "category": Counter(d.category for d in dossiers),
        "shown_category": Counter(shown_category(d, shipped) for d in dossiers),
        "departement": Counter(d.departement_code for d in dossiers if d.departement_code),
        "kind": Counter(d.kind for d in dossiers if d.kind),
    }
