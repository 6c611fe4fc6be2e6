"""The eligibility engine: pure domain code, fed with plain arrays, no database or Flask."""

from geodata.eligibility.columns import COLUMNS
from geodata.eligibility.engine import Classification, EligibilityError, classify
from geodata.eligibility.layers import CommuneLayer, QpvLayer, ReferenceIndex
from geodata.eligibility.verdict import Component, Verdict, rows, verdict

__all__ = [
    "COLUMNS",
    "Classification",
    "CommuneLayer",
    "Component",
    "EligibilityError",
    "QpvLayer",
    "ReferenceIndex",
    "Verdict",
    "classify",
    "rows",
    "verdict",
]
