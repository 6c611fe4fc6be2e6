"""The laureates with the category the engine gives them, as the quota counting sees them
(``laureate_records``; the map, the API and the open data read ``geodata.storage.laureates``).

The published list places each Fabrique at its commune's centroid, so most QPV answers are
"à vérifier" until the address is known: the counts say so rather than guess.

The table also holds the laureates decided by this service's jury (migration 0009): one
whose ``match_state`` is "meme" is the same Fabrique as a published one, so it counts once,
as the published one with what the decision adds (``geodata.publication.merge_matches``: its
wave, type and amounts, its place when finer), as the map and the open data show it; the
others count, with their yearly granted amounts.
"""

from __future__ import annotations

from sqlalchemy import Engine

from geodata.policy import Policy
from geodata.quotas import YEARS, FabriqueRecord
from geodata.storage.laureates import laureate_table

__all__ = ["laureate_records"]


def laureate_records(engine: Engine, policy: Policy) -> list[FabriqueRecord]:
    """Every Fabrique once, as the map and the open data show it (``laureate_table``), with
    its quota category under ``policy`` (and those it could still fall in), wave, type,
    place and granted amounts: ``yearly_eur`` year by year (None when unknown),
    ``funding_eur`` their sum when all are known."""
    records = []
    for row in sorted(laureate_table(engine, policy), key=lambda row: row["id"]):
        yearly = (row["amount_1"], row["amount_2"], row["amount_3"])[:YEARS]
        records.append(FabriqueRecord(
            id=row["id"], category=row["category"], wave=row["wave"], fnt=row["fnt"],
            region=row["region_code"], departement=row["departement_code"], yearly_eur=yearly,
            funding_eur=None if None in yearly else sum(yearly),
            possible=row["possible_categories"],
        ))
    return records
