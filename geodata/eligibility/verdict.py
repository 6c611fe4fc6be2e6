"""A verdict: named components (what was measured, against what, from which data) and its
explanation in French, plus the flat rows of the ``check`` / ``classify`` contract.
"""

from __future__ import annotations

from dataclasses import dataclass

from geodata.eligibility.columns import COLUMNS, contract_columns, sources_text
from geodata.eligibility.engine import Classification
from geodata.eligibility.provenance import qpv_sources_at
from geodata.french import metres

__all__ = ["COLUMNS", "Component", "Verdict", "qpv_source_text", "rows", "verdict"]


@dataclass(frozen=True)
class Component:
    """One named part of a verdict: its value, what was measured, threshold and data used."""

    name: str
    value: object
    measured: str
    threshold: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The classification of one location, with its components and explanation."""

    row: dict
    components: tuple[Component, ...]
    no_qpv_within_radius: bool = False
    """Proven: no QPV within the policy's search radius (the outlines are complete in the
    whole disc around an exact location). False also when it is not known."""
    nearest_qpv_name: str | None = None
    """The name of the QPV ``row["nearest_qpv_code"]`` names (the contract's row names only
    the QPV holding the location): for the pages, not a key of the contract."""

    @property
    def explanation(self) -> str:
        return self.row["explanation"]

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


def verdict(result: Classification, i: int, identifier=None) -> Verdict:
    """The verdict of location ``i`` of a classification."""
    columns = contract_columns(result, [i], [identifier])
    row = {name: values[0] for name, values in columns.items()}
    if row["error"]:
        return Verdict(row, ())
    nearest = int(result.nearest[i])
    proven_none = bool(result.nearest_known[i]) and nearest < 0
    name = str(result.index.qpv.names[nearest]) if nearest >= 0 else None
    return Verdict(row, _components(result, row, i), proven_none, name)


def qpv_source_text(result: Classification, i: int, row: dict) -> str:
    """The QPV sources that decided location ``i``: the outline sources complete where it
    lies (and the one holding the QPV found), else a sentence saying none is loaded for its
    région; the official list of communes when the answer rests on it."""
    index = result.index
    communes, commune = index.communes, int(result.commune[i])
    region = str(communes.regions[commune]) if commune >= 0 else None
    departement = str(communes.departements[commune]) if commune >= 0 else None
    positions, missing = qpv_sources_at(index.qpv, region, departement, communes.region_names,
                                        (int(result.qpv[i]), int(result.nearest[i])))
    parts = [*(index.qpv.sources[p] for p in positions), *([missing] if missing else [])]
    undecided = row["in_qpv"] is None or row["near_qpv"] is None
    if index.qpv.hosting_source and (undecided or missing):
        parts.append(f"liste officielle des communes à QPV : {index.qpv.hosting_source}")
    return sources_text(parts)


def _components(result: Classification, row: dict, i: int) -> tuple[Component, ...]:
    policy, index = result.policy, result.index
    qpv_source = qpv_source_text(result, i, row)
    loaded = index.communes.sources

    def commune_source(*criteria: str) -> str:
        """The commune data a criterion reads (the six were cited on each of its rows)."""
        return sources_text([label for name in criteria for label in loaded.get(name, ())])

    urban = ("epci",) if policy.urban_definition == "metropole" else ("densite",)
    return (
        Component("commune", row["commune_code"], "commune dont le contour contient le lieu",
                  source=commune_source("commune-contours", "communes")),
        Component("in_qpv", row["in_qpv"], "le lieu est dans un contour de QPV",
                  threshold="limite comprise", source=qpv_source),
        Component("nearest_qpv", row["nearest_qpv_code"], "distance au QPV le plus proche (m)",
                  threshold=f"recherche dans un rayon de {metres(policy.search_radius_m)}",
                  source=qpv_source),
        Component("near_qpv", row["near_qpv"], "distance au QPV le plus proche",
                  threshold=f"≤ {metres(policy.proximity_m)}", source=qpv_source),
        Component("density_level", row["density_level"],
                  "niveau de la grille communale de densité (INSEE)",
                  source=commune_source("densite")),
        Component("metropole", row["metropole"], "membre d'une métropole",
                  source=commune_source("epci")),
        Component("outside_large_urban_centre", row["outside_large_urban_centre"],
                  "hors des grands centres urbains", threshold=policy.describe_urban_rule(),
                  source=commune_source(*urban)),
        Component("category", row["category"], "catégorie de quota",
                  threshold=policy.describe_precedence()),
    )


def rows(result: Classification, identifiers=None):
    """The contract's row for every location, in input order."""
    columns = contract_columns(result, identifiers=identifiers)
    names = list(columns)
    for values in zip(*columns.values(), strict=True):
        yield dict(zip(names, values, strict=True))
