"""What a jury weighs: its dossiers as quota records, and the warnings a selection raises.

The quotas before a selection count the Fabriques already laureates (published list and
closed sessions) and the laureates the open session decided; after it, the dossiers
selected too. A selection over the programme's targets or over the wave's cap (when the
calendar knows one) is warned about, never blocked: the jury decides.

Pure: no database, no web framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from geodata.dossiers.records import FNT
from geodata.dossiers.territory import possible_categories_of
from geodata.policy import (
    CATEGORIES,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
)
from geodata.quotas import FNT as FNT_LINE
from geodata.quotas import OVERALL, TOTAL, YEARS, FabriqueRecord, QuotaTable, range_text

__all__ = ["dossier_record", "laureates_of_wave", "possible_categories_of",
           "selection_warnings"]

TARGET_LABELS = {CATEGORY_QPV: "Fabriques en QPV ou à proximité",
                 FNT_LINE: "Fabriques Numériques de Territoire (dans la moitié QPV)",
                 CATEGORY_OUTSIDE: "Fabriques hors des grands centres urbains",
                 TOTAL: "Fabriques en tout"}


def dossier_record(dossier, region: str | None = None,
                   granted: Sequence[int | None] | None = None) -> FabriqueRecord:
    """A dossier as the quota counting sees it, were it a laureate, in its département's
    ``region`` (None: unknown). A laureate's funding is the yearly amounts its decision
    ``granted``; a candidate's, the amounts it asks (their sum when all three are known)."""
    amounts = (dossier.amount_1, dossier.amount_2, dossier.amount_3) if granted is None \
        else tuple(granted)[:YEARS]
    category = dossier.category if dossier.category in CATEGORIES else CATEGORY_UNDETERMINED
    return FabriqueRecord(
        id=f"ds-{dossier.number}", category=category, wave=dossier.wave,
        fnt=None if dossier.kind is None else dossier.kind == FNT,
        region=region, departement=dossier.departement_code,
        funding_eur=sum(amounts) if all(a is not None for a in amounts) else None,
        yearly_eur=(None,) * YEARS if granted is None else amounts,
        possible=possible_categories_of(dossier) if category == CATEGORY_UNDETERMINED
        else None)


def selection_warnings(after: QuotaTable, wave_laureates: int, wave_cap: int | None,
                       wave: str) -> list[str]:
    """The targets and the wave's cap the selection goes past, or may go past (when the
    Fabriques "à vérifier" turn out to be in the line), in French."""
    said = []
    for line in after.lines:
        if line.group != OVERALL or line.target is None or line.max <= line.target:
            continue
        label = TARGET_LABELS.get(line.category, line.category)
        if line.min > line.target:
            said.append(f"{label} : {range_text(line)} pour une cible de {line.target} "
                        f"(au moins {line.min - line.target} de plus).")
        else:
            said.append(f"{label} : {range_text(line)} pour une cible de {line.target} "
                        "(dépassée si assez de Fabriques encore indéterminées en sont).")
    if wave_cap is not None and wave_laureates > wave_cap:
        said.append(f"Vague {wave} : {wave_laureates} lauréats pour un quota de {wave_cap} "
                    f"({wave_laureates - wave_cap} de plus).")
    return said


def laureates_of_wave(records: Iterable[FabriqueRecord], wave: str) -> int:
    """How many of ``records`` are of ``wave``."""
    return sum(1 for record in records if record.wave == wave)
