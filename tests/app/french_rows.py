"""The batch page's French result file read as the contract's CSV, to compare the two."""

from __future__ import annotations

from geodata.eligibility import COLUMNS
from geodata.eligibility.french_csv import FRENCH_HEADERS
from geodata.eligibility.sentences import PRECISION_LABELS
from geodata.policy import CATEGORIES

__all__ = ["contract_values"]

NUMERIC = ("lon", "lat", "distance_to_qpv_m", "geocoding_score")


def contract_values(row: dict) -> dict:
    """A row of the French result file said as the contract's CSV says it."""
    words = {"oui": "true", "non": "false"}
    labels = {**{label: code for code, label in CATEGORIES.items()},
              **{label: code for code, label in PRECISION_LABELS.items()}}
    said = {}
    for column in COLUMNS:
        value = row[FRENCH_HEADERS[column]]
        if column in NUMERIC:
            value = value.replace(",", ".")
        said[column] = words.get(value, labels.get(value, value)) \
            if column not in ("id", "explanation", "error") else value
    return said
