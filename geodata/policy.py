"""Eligibility policies: the programme's rules as data, one TOML file per policy.

The AMI never fixed a distance for "immediate proximity" nor a definition of "large urban
centre", and the QPV list changed on 1 January 2024: each policy file says which reading
it applies (QPV vintage, proximity distance, what a large urban centre is, which half wins
when a location meets both), with the quota targets and the funding rules.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "CATEGORIES",
    "CATEGORY_PHRASES",
    "CATEGORY_NOT_ELIGIBLE",
    "CATEGORY_OUTSIDE",
    "CATEGORY_QPV",
    "CATEGORY_UNDETERMINED",
    "DEFAULT_POLICY",
    "POLICY_DIR",
    "SHORT_CATEGORIES",
    "Funding",
    "LegalForms",
    "Policy",
    "PolicyError",
    "Quotas",
    "available_policies",
    "load_policy",
    "policy_title",
    "qpv_vintages",
]

POLICY_DIR = Path(__file__).with_name("policies")
DEFAULT_POLICY = "current"
URBAN_DEFINITIONS = {"density_grid", "metropole"}

CATEGORY_QPV = "qpv"
CATEGORY_OUTSIDE = "hors-grands-centres-urbains"
CATEGORY_NOT_ELIGIBLE = "non-eligible"
CATEGORY_UNDETERMINED = "a-verifier"
CATEGORIES = {
    CATEGORY_QPV: "en QPV ou à sa proximité immédiate",
    CATEGORY_OUTSIDE: "hors des grands centres urbains",
    CATEGORY_NOT_ELIGIBLE: "ni en QPV ni à proximité, dans un grand centre urbain",
    CATEGORY_UNDETERMINED: "à vérifier : une condition n'a pas pu être décidée",
}
"""The quota category a policy assigns to a location, with its French label."""
CATEGORY_PHRASES = {**CATEGORIES,
                    CATEGORY_UNDETERMINED: "à vérifier, une condition n'a pas pu être décidée"}
"""The labels as they read after « Catégorie : » (not a second colon in the sentence); the
labels themselves are stored in result files and read back."""
SHORT_CATEGORIES = {
    CATEGORY_QPV: "QPV ou proximité",
    CATEGORY_OUTSIDE: "hors grands centres urbains",
    CATEGORY_NOT_ELIGIBLE: "non éligible",
    CATEGORY_UNDETERMINED: "à vérifier",
}
"""The same categories in a few words, for tables."""
PRECEDENCES = {"qpv", "outside_large_urban_centres"}


class PolicyError(ValueError):
    """A policy that does not exist or whose file is malformed."""


@dataclass(frozen=True)
class Quotas:
    """Targets: how many Fabriques in each half of the programme, FNT among the QPV half."""

    total: int
    outside_large_urban_centres: int
    qpv: int
    fnt: int


@dataclass(frozen=True)
class Funding:
    """Funding rules of one Fabrique, in euros."""

    years: int
    min_total_eur: int
    max_total_eur: int
    max_per_year_eur: int
    fnt_bonus_eur: int


@dataclass(frozen=True)
class LegalForms:
    """Who may apply, by prefix of the INSEE catégorie juridique: ``(prefix, label)`` pairs.
    The longest prefix that matches a code decides; a code none matches is undetermined."""

    eligible: tuple[tuple[str, str], ...]
    excluded: tuple[tuple[str, str], ...]

    def rule_for(self, code: str) -> tuple[bool, str, str] | None:
        """``(eligible, prefix, label)`` of the longest prefix of ``code``, or None."""
        rules = [(True, prefix, label) for prefix, label in self.eligible] + \
            [(False, prefix, label) for prefix, label in self.excluded]
        matching = [rule for rule in rules if code.startswith(rule[1])]
        return max(matching, key=lambda rule: len(rule[1])) if matching else None


@dataclass(frozen=True)
class Policy:
    """One reading of the AMI's rules."""

    name: str
    title: str
    qpv_vintage: str
    proximity_m: float
    search_radius_m: float
    precedence: str
    urban_definition: str
    density_levels: tuple[int, ...]
    quotas: Quotas
    funding: Funding
    legal_forms: LegalForms
    selected_waves: str | None = None  # the waves whose laureates were chosen under it

    def describe_urban_rule(self) -> str:
        """How this policy defines a large urban centre, in French."""
        if self.urban_definition == "metropole":
            return "commune membre d'une des 22 métropoles"
        levels = ", ".join(str(level) for level in self.density_levels)
        return f"commune de niveau {levels} de la grille communale de densité de l'INSEE"

    def describe_precedence(self) -> str:
        """Which category wins when a place is in both halves, in French."""
        if self.precedence == "qpv":
            return "priorité au QPV"
        return "priorité hors des grands centres urbains"


def available_policies(folder: Path = POLICY_DIR) -> list[str]:
    """Names of the policy files shipped with the service (those of ``folder``)."""
    return sorted(path.stem for path in folder.glob("*.toml"))


def qpv_vintages() -> list[str]:
    """The QPV vintages the shipped policies use."""
    return sorted({load_policy(name).qpv_vintage for name in available_policies()})


@cache
def load_policy(name: str = DEFAULT_POLICY, folder: Path = POLICY_DIR) -> Policy:
    """Read and check one policy file (once: policies ship with the code).

    ``name`` must be one of ``available_policies(folder)``, compared as a string before any
    path is built: a path, an alias or an over-long value never opens a file.
    """
    known = available_policies(folder)
    if not isinstance(name, str) or name not in known:
        raise PolicyError(f"politique inconnue : {_shown(name)} (disponibles : {', '.join(known)})")
    path = folder / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        urban = data["large_urban_centre"]
        policy = Policy(
            name=data["name"],
            title=data["title"],
            qpv_vintage=str(data["qpv_vintage"]),
            proximity_m=float(data["proximity_m"]),
            search_radius_m=float(data["search_radius_m"]),
            precedence=data["precedence"],
            urban_definition=urban["definition"],
            density_levels=tuple(int(level) for level in urban.get("density_levels", ())),
            quotas=Quotas(**data["quotas"]),
            funding=Funding(**data["funding"]),
            legal_forms=LegalForms(**{
                kind: tuple((str(rule["prefix"]), str(rule["label"]))
                            for rule in data["legal_forms"][kind])
                for kind in ("eligible", "excluded")}),
            selected_waves=data.get("selected_waves"),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise PolicyError(f"{path.name} : fichier de politique invalide ({error!r})") from None
    _check(policy, path)
    return policy


def policy_title(name: str) -> str | None:
    """What a policy is, said to a person (« Règles actuelles : … »); None for a policy no
    longer shipped (a dossier checked under it keeps its name)."""
    try:
        return load_policy(name).title
    except PolicyError:
        return None


def _shown(name: object, limit: int = 40) -> str:
    """``name`` as an error message quotes it: « name », as the site quotes what a person
    typed (not Python's repr), cut after ``limit`` characters."""
    text = str(name)
    return f"« {text} »" if len(text) <= limit else \
        f"« {text[:limit]}… » ({len(text)} caractères)"


def _check(policy: Policy, path: Path) -> None:
    problems = []
    if policy.name != path.stem:
        problems.append(f"name = {policy.name!r} mais le fichier s'appelle {path.name}")
    if policy.urban_definition not in URBAN_DEFINITIONS:
        problems.append(f"large_urban_centre.definition doit être l'un de {URBAN_DEFINITIONS}")
    if policy.urban_definition == "density_grid" and not policy.density_levels:
        problems.append("large_urban_centre.density_levels est vide")
    if any(not 1 <= level <= 7 for level in policy.density_levels):
        problems.append("les niveaux de densité vont de 1 à 7")
    if policy.precedence not in PRECEDENCES:
        problems.append(f"precedence doit être l'un de {PRECEDENCES}")
    if not 0 < policy.proximity_m <= policy.search_radius_m:
        problems.append("il faut 0 < proximity_m <= search_radius_m")
    if problems:
        raise PolicyError(f"{path.name} : " + " ; ".join(problems))
