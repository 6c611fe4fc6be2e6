"""The Fabriques as the map and its downloads filter them: a ``Selection`` of wave, quota
category, région, département and FT/FNT type, checked against what exists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from geodata.policy import CATEGORIES

__all__ = ["FNT_VALUES", "UNKNOWN", "Selection", "SelectionError", "parse_selection"]

UNKNOWN = "unknown"
"""Filter value selecting the Fabriques whose wave, or FT/FNT type, is not published."""
FNT_VALUES = {"true": True, "false": False, UNKNOWN: None}


class SelectionError(ValueError):
    """A filter value that names nothing, with the parameter at fault."""

    def __init__(self, message: str, parameter: str):
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Selection:
    """Filters on the Fabriques; None lets everything through."""

    wave: str | None = None
    category: str | None = None
    region: str | None = None
    departement: str | None = None
    fnt: str | None = None

    def matches(self, row: Mapping) -> bool:
        """True if the Fabrique ``row`` passes every filter."""
        if self.wave is not None and row["wave"] != (None if self.wave == UNKNOWN
                                                     else self.wave):
            return False
        if self.fnt is not None and row["fnt"] is not FNT_VALUES[self.fnt]:
            return False
        return all(getattr(self, name) is None or row[column] == getattr(self, name)
                   for name, column in (("category", "category"), ("region", "region_code"),
                                        ("departement", "departement_code")))

    def as_params(self) -> dict[str, str]:
        """The API query parameters of this selection (unset filters left out)."""
        return {name: value for name, value in vars(self).items() if value is not None}


def parse_selection(values: Mapping[str, str | None], known: Mapping[str, set]) -> Selection:
    """A selection from raw values keyed wave, category, region, departement, fnt.

    ``known`` holds the région and département codes that exist (``places``). Empty
    values mean no filter; anything else that names nothing raises ``SelectionError``.
    """
    clean = {name: (values.get(name) or "").strip() or None
             for name in ("wave", "category", "region", "departement", "fnt")}
    if clean["departement"] is not None:  # « 2a » is Corse-du-Sud as « 2A » is
        clean["departement"] = clean["departement"].upper()
    if clean["wave"] is not None and len(clean["wave"]) > 32:
        raise SelectionError("vague invalide : 32 caractères au plus", "wave")
    if clean["category"] is not None and clean["category"] not in CATEGORIES:
        raise SelectionError(f"catégorie inconnue : {clean['category']!r} (attendues : "
                             f"{', '.join(CATEGORIES)})", "category")
    for name, label in (("region", "région inconnue"), ("departement", "département inconnu")):
        if clean[name] is not None and clean[name] not in known[name]:
            raise SelectionError(f"{label} : {clean[name]!r} (code INSEE attendu)", name)
    if clean["fnt"] is not None and clean["fnt"] not in FNT_VALUES:
        raise SelectionError(f"fnt vaut {', '.join(FNT_VALUES)}", "fnt")
    return Selection(**clean)
