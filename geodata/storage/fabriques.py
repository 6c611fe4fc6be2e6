"""The laureates as the quota counting sees them: each with the category the engine gives.

The published list places each Fabrique at its commune's centroid, so most QPV answers are
"à vérifier" until the address is known: the counts say so rather than guess.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, select

from geodata.eligibility import classify
from geodata.policy import CATEGORY_UNDETERMINED, Policy
from geodata.quotas import FabriqueRecord
from geodata.storage.models import Commune, Laureate
from geodata.storage.reference import reference_index

__all__ = ["laureate_records"]

FNT_KINDS = {"FNT": True, "FT": False}


def laureate_records(engine: Engine, policy: Policy) -> list[FabriqueRecord]:
    """Every loaded laureate with its quota category under ``policy``."""
    with engine.connect() as connection:
        laureates = connection.execute(
            select(Laureate.id, Laureate.wave, Laureate.kind, Laureate.precision, Laureate.geom,
                   Laureate.commune_code, Commune.region_code, Commune.departement_code)
            .outerjoin(Commune, Commune.code == Laureate.commune_code)
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
    return [
        FabriqueRecord(
            id=row.id, category=str(category), wave=row.wave, fnt=FNT_KINDS.get(row.kind),
            region=row.region_code, departement=row.departement_code,
        )
        for row, category in zip(laureates, categories, strict=True)
    ]
