"""The laureates with the category the engine gives them, as the quota counting sees them
(``laureate_records``; the map, the API and the open data read ``geodata.storage.laureates``).

The published list places each Fabrique at its commune's centroid, so most QPV answers are
"à vérifier" until the address is known: the counts say so rather than guess.

The table also holds the laureates decided by this service's jury (migration 0009): one
whose ``match_state`` is "meme" is the same Fabrique as a published one, so it is left out
(the published one counts, once); the others count, with their yearly granted amounts.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, or_, select

from geodata.dossiers.records import MATCH_SAME
from geodata.eligibility import classify
from geodata.policy import CATEGORY_UNDETERMINED, Policy
from geodata.quotas import YEARS, FabriqueRecord
from geodata.storage.models import Commune, Laureate
from geodata.storage.reference import reference_index

__all__ = ["counted", "laureate_records"]

FNT_KINDS = {"FNT": True, "FT": False}
counted = or_(Laureate.match_state.is_(None), Laureate.match_state != MATCH_SAME)
"""The filter of the laureates to count: every one but the duplicates of a published one."""


def laureate_records(engine: Engine, policy: Policy) -> list[FabriqueRecord]:
    """Every laureate to count (published, or decided here and not the same as a published
    one) with its quota category under ``policy``, wave, type, place and granted amounts:
    ``yearly_eur`` year by year (None when unknown), ``funding_eur`` their sum when all are
    known."""
    with engine.connect() as connection:
        laureates = connection.execute(
            select(Laureate.id, Laureate.wave, Laureate.kind, Laureate.precision, Laureate.geom,
                   Laureate.commune_code, Commune.region_code, Commune.departement_code,
                   Laureate.amount_1, Laureate.amount_2, Laureate.amount_3)
            .outerjoin(Commune, Commune.code == Laureate.commune_code)
            .where(counted)
            .order_by(Laureate.id)
        ).all()
    located = [i for i, row in enumerate(laureates) if row.geom is not None]
    categories = np.full(len(laureates), CATEGORY_UNDETERMINED, dtype=object)
    if located:
        index = reference_index(engine, policy.qpv_vintage)
        result = classify(
            index, policy,
            [laureates[i].geom.x for i in located], [laureates[i].geom.y for i in located],
            [laureates[i].precision for i in located],
            commune_codes=[laureates[i].commune_code for i in located],
        )
        categories[located] = result.category
    records = []
    for row, category in zip(laureates, categories, strict=True):
        yearly = (row.amount_1, row.amount_2, row.amount_3)[:YEARS]
        records.append(FabriqueRecord(
            id=row.id, category=str(category), wave=row.wave, fnt=FNT_KINDS.get(row.kind),
            region=row.region_code, departement=row.departement_code, yearly_eur=yearly,
            funding_eur=None if None in yearly else sum(yearly),
        ))
    return records
