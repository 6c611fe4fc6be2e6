"""The data inventory in French words: what each table's rows are (« 4 Fabriques
lauréates », never « 4 laureates »), what kind of data a source holds, where it is complete."""

from __future__ import annotations

from collections.abc import Mapping

from geodata.french import number
from geodata.territories import scope_wording

__all__ = ["KINDS", "ROWS", "coverage", "kind", "rows_text"]

ROWS = {
    "regions": ("région", "régions"),
    "departements": ("département", "départements"),
    # the COG's entries: its communes, and their communes déléguées and associées and the
    # municipal arrondissements (37,006 in 2026, of which 34,969 communes)
    "communes": ("commune ou entité du COG",
                 "communes et entités du COG (déléguées, associées, arrondissements)"),
    "epci": ("intercommunalité (EPCI)", "intercommunalités (EPCI)"),
    "epci_members": ("commune membre d'un EPCI", "communes membres d'un EPCI"),
    "commune_contours": ("contour de commune", "contours de communes"),
    "commune_classes": ("classement de commune", "classements de communes"),
    # a QPV over three communes is three rows (1,684 rows for 1,493 QPV in the 2024 list)
    "qpv_communes": ("couple quartier prioritaire–commune",
                     "couples quartier prioritaire–commune"),
    "qpv": ("quartier prioritaire (QPV)", "quartiers prioritaires (QPV)"),
    "laureates": ("Fabrique lauréate", "Fabriques lauréates"),
    "places": ("lieu", "lieux"),
    "networks": ("réseau déclaré", "réseaux déclarés"),
    "network_members": ("membre de réseau", "membres de réseaux"),
}
"""Table -> (one row, several rows), in French."""
KINDS = {
    "regions": "Régions",
    "departements": "Départements",
    "communes": "Communes et population",
    "epci": "Intercommunalités",
    "commune-contours": "Contours des communes",
    "commune-classes": "Classement des communes",
    "qpv-communes": "Communes des quartiers prioritaires",
    "qpv": "Quartiers prioritaires (contours)",
    "laureates": "Fabriques lauréates",
    "places": "Lieux (tiers-lieux, services)",
    "networks": "Réseaux déclarés",
}
"""Dataset -> its kind, in French."""


def rows_text(loaded: Mapping[str, int]) -> str:
    """``{"laureates": 4}`` -> « 4 Fabriques lauréates »; several tables joined by commas."""
    said = []
    for table, count in loaded.items():
        one, many = ROWS.get(table, (table, table))
        said.append(f"{number(count)} {one if count == 1 else many}")
    return ", ".join(said)


def kind(dataset: str) -> str:
    """The kind of data of a dataset, in French (its name when unknown)."""
    return KINDS.get(dataset, dataset)


def coverage(complete_for: Mapping, names: Mapping) -> str:
    """Where a version is complete, in French, the régions and départements by their names
    (``geodata.territories.scope_wording``)."""
    scope = complete_for.get("scope")
    if scope == "none":
        return "nulle part (extrait partiel)"
    return scope_wording(scope, complete_for.get("codes") or [], names)
