"""PostGIS classification: the official list of communes with a QPV is read with a margin of
250 m, not 100 m (PostGIS only)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

Where no QPV outline is loaded, « no QPV within 300 m » rests on the official list: no
commune hosting a QPV within 300 m plus a margin, commune contours being generalised. The
margin was 100 m; QN08310M La Beaucaire reaches 163 m out of the generalised contour of
Toulon, and an outside auditor found a place of Ollioules 279 m from it answered « ni en QPV
ni à proximité » once its outline was not loaded. The engine's ``HOSTING_TOLERANCE_M`` is
250 m (its docstring says how it was measured); this migration gives the SQL the same.

The number is in the text of three functions and of the two views of laureates. Each
function went through several migrations' rewrites (0010 to 0019): the definitions in
service are read back (``pg_get_functiondef``, ``pg_get_viewdef``) and only that number is
replaced, each replacement counted, so that nothing else changes.
"""

import re

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

INTERNAL = "fabriques_internal"
MARGINS = (100, 250)
"""The margin before and after, in metres."""
FUNCTIONS = (
    # (function, how many times the margin is written in it, comments included)
    ("fabriques_classify", 1),
    (f"{INTERNAL}.classify_unindexed", 5),
    (f"{INTERNAL}.classify_part", 6),
)
VIEWS = ("laureates_eligibility_current", "laureates_eligibility_ami_2019")
"""0016's views, which pass ``proximity + margin`` to ``hosting_within`` twice each."""


def _replaced(text: str, pattern: str, old: int, new: int, expected: int, what: str) -> str:
    found = re.subn(pattern.format(old=old), rf"\g<1>{new}", text)
    assert found[1] == expected, f"{what} : {found[1]} marge(s) de {old} m, {expected} attendue(s)"
    return found[0]


def _margin(old: int, new: int) -> None:
    connection = op.get_bind()
    for function, expected in FUNCTIONS:
        definition = connection.exec_driver_sql(
            f"SELECT pg_get_functiondef('{function}'::regproc)").scalar_one()
        op.execute(_replaced(definition, r"(proximity_m \+ ){old}\b", old, new, expected,
                             function))  # op.execute: the RAISE's « % » are escaped
    for view in VIEWS:
        definition = connection.exec_driver_sql(
            f"SELECT pg_get_viewdef('{view}'::regclass)").scalar_one()
        op.execute(f"CREATE OR REPLACE VIEW {view} AS " + _replaced(
            definition, r"(\d \+ ){old}(?=\))", old, new, 2, view))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    _margin(*MARGINS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _margin(*reversed(MARGINS))
