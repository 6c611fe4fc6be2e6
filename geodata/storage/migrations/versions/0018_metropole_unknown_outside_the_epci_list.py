"""PostGIS classification: a commune that the EPCI list does not place is in no known métropole
(PostGIS only)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

``classify_part`` answered « not in a métropole » for every commune outside the métropoles
of the loaded EPCI list, as soon as one EPCI was loaded. A list forced in as partial (the
22 métropoles are its official count; without Toulouse Métropole it is refused, and
``--force`` loads it) made Toulouse and its 36 neighbours « hors des 22 métropoles », hence
« hors des grands centres urbains » under the AMI 2019 rules. Every commune of the
territories the service covers is in an EPCI à fiscalité propre, but four maritime islands
made of one commune, which the law exempts (CGCT, art. L. 5210-1-1, V: Île-de-Bréhat,
Île-de-Sein, Ouessant, L'Île-d'Yeu). A commune that the list places in no EPCI is a gap
in the list: its métropole is now unknown (NULL), the four islands' is « no ». The Python
engine does the same (``geodata.storage.reference.ISLANDS_OUTSIDE_EPCI``, whose codes are
copied here so that this migration keeps doing what it did). Same answers on complete lists
(the agreement tests).
"""

import importlib

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ISLANDS = "'22016', '29083', '29155', '85113'"

CHANGES = (
    ("""    -- The communes of the métropoles (METRO, MET69).
    metropole_communes AS MATERIALIZED (
        SELECT DISTINCT em.commune_code
          FROM epci_members AS em
          JOIN epci AS e ON e.code = em.epci_code
         WHERE e.kind IN ('METRO', 'MET69')),
""", """    -- The communes of the EPCI list, each with whether its EPCI is a métropole (METRO,
    -- MET69).
    metropole_communes AS MATERIALIZED (
        SELECT em.commune_code, bool_or(e.kind IN ('METRO', 'MET69')) AS metropole
          FROM epci_members AS em
          JOIN epci AS e ON e.code = em.epci_code
         GROUP BY em.commune_code),
"""),
    ("""               -- unknown when no EPCI list is loaded at all
               CASE WHEN k.commune_code IS NULL OR NOT el.loaded THEN NULL
                    ELSE mc.commune_code IS NOT NULL
               END AS metropole
""", f"""               -- unknown when no EPCI list is loaded at all, or when the list places the
               -- commune in no EPCI (a gap, but for the islands exempted by law)
               CASE WHEN k.commune_code IS NULL OR NOT el.loaded THEN NULL
                    WHEN mc.commune_code IS NOT NULL THEN mc.metropole
                    WHEN k.commune_code IN ({ISLANDS}) THEN false
               END AS metropole
"""),
)


def _parts_migration():
    return importlib.import_module(
        "geodata.storage.migrations.versions.0015_classify_part_in_cell_groups")


def _part_of_0015() -> str:
    """0015's classify_part, as its upgrade creates it."""
    m15 = _parts_migration()
    m10, part, _parts, _classify = m15._sources()
    return m15._part(part, m10.INTERNAL, m10.SRIDS, m10._cell("ST_X(pt.geom)", "ST_Y(pt.geom)"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded SQLite file classifies with the Python engine only
    part = _part_of_0015()
    for old, new in CHANGES:
        part = _parts_migration()._replaced(part, old, new)
    op.execute(part)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_part_of_0015())
