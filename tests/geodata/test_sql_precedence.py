"""The PostGIS classification under both precedences (migration 0021), on the real data: a
place in a QPV whose urban half is unknown is « qpv » when the QPV half comes first, and « à
vérifier » when « outside large urban centres » does (it may still count there), as the
engine says (``tests/geodata/test_categories.py``). The urban half is made unknown by
deleting Marseille's density level in a transaction rolled back."""

from __future__ import annotations

from dataclasses import replace

import pytest
import shapely
from sqlalchemy import text

from geodata.policy import load_policy
from tests.geodata.test_sql_classification import _classify_in

pytestmark = [pytest.mark.postgis, pytest.mark.shared_data]

MARSEILLE = "13055"


@pytest.mark.parametrize(("precedence", "category"), [
    ("qpv", "qpv"), ("outside_large_urban_centres", "a-verifier")])
def test_in_a_qpv_with_the_urban_half_unknown(loaded, precedence, category):
    policy = replace(load_policy("current"), precedence=precedence)
    with loaded.connect() as connection, connection.begin() as transaction:
        inside = [shapely.from_wkb(bytes(wkb)) for wkb in connection.execute(text(
            "SELECT ST_AsBinary(ST_PointOnSurface(q.geom)) FROM qpv AS q "
            "JOIN commune_contours AS c ON c.code = :commune "
            "WHERE q.vintage = '2024' AND ST_Contains(c.geom, ST_PointOnSurface(q.geom)) "
            "ORDER BY q.code LIMIT 5"), {"commune": MARSEILLE}).scalars()]
        assert len(inside) == 5
        deleted = connection.execute(text(
            "DELETE FROM commune_classes WHERE typology = 'densite' AND commune_code = :c"),
            {"c": MARSEILLE}).rowcount
        assert deleted == 1
        rows = _classify_in(connection, policy, [p.x for p in inside], [p.y for p in inside])
        transaction.rollback()
    assert [(r["in_qpv"], r["outside_large_urban_centre"]) for r in rows] == [(True, None)] * 5
    assert {r["category"] for r in rows} == {category}
