"""The SQL of ``docs/analystes.md`` runs as the guide says: the role it creates, then each
example as that role, on every source of the shared folder loaded in PostGIS. All in one
transaction rolled back (roles included), so the loaded database and the server's roles stay
as they were."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analystes.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def guide_sql() -> tuple[str, list[str]]:
    """The guide's role creation, then its queries."""
    role, *queries = SQL_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))
    assert "CREATE ROLE analyste" in role and queries
    return role, queries


def create_guide_role(connection) -> str:
    """The role of the guide, made in ``connection``'s transaction under a name of this
    test process's own (roles are the server's), for its database; its name."""
    name = f"analyste_test_{os.getpid()}"
    database = connection.exec_driver_sql("SELECT current_database()").scalar()
    connection.exec_driver_sql(guide_sql()[0].replace("analyste", name)
                               .replace("DATABASE fabriques ", f'DATABASE "{database}" '))
    return name


@pytest.mark.postgis
@pytest.mark.shared_data
def test_every_query_of_the_guide_answers_for_the_role_it_creates(loaded):
    queries = guide_sql()[1]
    with loaded.connect() as connection, connection.begin() as transaction:
        name = create_guide_role(connection)
        connection.exec_driver_sql(f"SET LOCAL ROLE {name}")
        for query in queries:
            rows = connection.exec_driver_sql(query).all()
            assert rows, query
        transaction.rollback()


@pytest.mark.postgis
@pytest.mark.shared_data
def test_the_places_query_says_undecided_where_outlines_are_missing(loaded):
    """The guide's places query answers « à vérifier » (NULL) where the 2024 outlines are not
    proven complete (outside PACA, in the shared folder), never « non »; the places it finds
    near a QPV are within 300 m of a loaded one."""
    (query,) = [q for q in guide_sql()[1] if "FROM places" in q]
    with loaded.connect() as connection:
        rows = connection.exec_driver_sql(query).mappings().all()
        loaded_2024 = set(connection.exec_driver_sql(
            "SELECT code FROM qpv WHERE vintage = '2024'").scalars())
    near = [row for row in rows if row["near_qpv"]]
    undecided = [row for row in rows if row["near_qpv"] is None]
    assert near and undecided
    assert all(row["in_qpv"] or row["distance_m"] <= 300 for row in near)
    assert {row["qpv_code"] for row in near} <= loaded_2024
    assert not any(row["in_qpv"] for row in undecided)
    # a place known only by its commune is given no answer (its point is the commune's
    # centre): the query said « no » for Manufactures of Sorgues, Carpentras or Arles
    assert {row["precision"] for row in rows} <= {"address", "street"}


def guide_section(title: str) -> str:
    """The guide's text from the heading ``title`` to the next heading."""
    text = GUIDE.read_text(encoding="utf-8")
    return re.split(r"\n#+ ", text.split(title, 1)[1], maxsplit=1)[0]


def test_the_fabriques_layer_is_said_to_differ_from_the_open_data_as_it_does():
    """The guide said « mêmes colonnes » for the OGC layer and the open data, which differ:
    it names the columns each has alone, and they are those."""
    from geodata.feature_collections import LAUREATE_FIELDS
    from geodata.publication import COLUMNS

    published, layer = {c.name for c in COLUMNS}, {c.name for c in LAUREATE_FIELDS}
    section = guide_section("### `fabriques`")
    assert "mêmes colonnes" not in section
    for name in (published - layer) | (layer - published):
        assert f"`{name}`" in section.split("| champ |")[0], name
    assert published - layer == {"lon", "lat", "categorie", "politique"}


def test_the_guide_says_which_keys_last_across_loads():
    """``fabriques load`` deletes and copies a source's rows again: the integer numbers
    (``ogc_fid``, ``places.id``, ``qpv.id``) change; the guide says so, and names the keys
    that last, where it tells QGIS users to pick ``ogc_fid``."""
    section = guide_section("### Dans QGIS")
    assert "choisissez `ogc_fid`" in section and "**pas durable**" in section
    for key in ("`id` des lauréats", "`code` des communes", "`vintage` et `code` des QPV",
                "`kind` et\n`external_id` des lieux"):
        assert key in section, key
