"""A wave's candidates as the quota counting sees them, for the jury's what-if.

The candidates of a wave are the checks the instructors kept with that wave
(``geodata.storage.history.wave_candidates``: the newest check of each dossier). Each is
classified again with the engine under the policy the dashboard shows, not trusted with the
category it was kept with (maybe under another policy, or older data), exactly as
``geodata.storage.fabriques.laureate_records`` does for the laureates; its région and
département come from the commune the engine finds. The dossier's FNT flag and amount
(the amount asked for: the jury has not decided yet) go with it.

No Flask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from geodata.eligibility import classify
from geodata.policy import Policy
from geodata.quotas import FabriqueRecord
from geodata.storage.history import wave_candidates
from geodata.storage.models import CheckRecord
from geodata.storage.reference import place_names, reference_index

__all__ = ["CANDIDATE_PREFIX", "Candidate", "candidate_records", "group_names",
           "wave_candidate_records"]

CANDIDATE_PREFIX = "candidature-"
"""Prefix of a candidate's record id (then the check's id): never a laureate's ``fabt-NN``."""


@dataclass(frozen=True)
class Candidate:
    """A kept check of a wave, with the category the engine gives it under the policy."""

    check: CheckRecord
    record: FabriqueRecord

    @property
    def check_id(self) -> int:
        """The kept check's id (what a selection form sends back)."""
        return self.check.id

    @property
    def reclassified(self) -> bool:
        """True when the category under this policy differs from the one kept."""
        return self.record.category != self.check.category


def candidate_records(engine: Engine, policy: Policy,
                      checks: list[CheckRecord]) -> list[Candidate]:
    """The checks as quota records, classified again under ``policy``."""
    if not checks:
        return []
    index = reference_index(engine, policy.qpv_vintage)
    result = classify(
        index, policy, [c.lon for c in checks], [c.lat for c in checks],
        [c.precision for c in checks], commune_codes=[c.commune_code for c in checks],
    )
    communes = index.communes
    candidates = []
    for number, check in enumerate(checks):
        row = int(result.commune[number])
        region = communes.regions[row] if row >= 0 else None
        departement = communes.departements[row] if row >= 0 else None
        candidates.append(Candidate(check, FabriqueRecord(
            id=f"{CANDIDATE_PREFIX}{check.id}", category=str(result.category[number]),
            wave=check.wave,
            fnt=check.fnt, region=region or None, departement=departement or None,
            funding_eur=check.funding_eur,
        )))
    return candidates


def wave_candidate_records(engine: Engine, policy: Policy, wave: str) -> list[Candidate]:
    """The candidates of ``wave`` (newest check of each dossier), classified under ``policy``."""
    return candidate_records(engine, policy, wave_candidates(engine, wave))


def group_names(engine: Engine, by: str | None) -> dict[str, str]:
    """The names of the régions or départements by code (empty for other groupings)."""
    return place_names(engine).get(by, {}) if by in ("region", "departement") else {}
