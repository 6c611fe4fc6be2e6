"""The coverage's CSV files (``/reseaux/couverture.csv``), written for a French spreadsheet
as the dashboard's, the dossiers' and the history's: a BOM, « ; », French headers, decimal
commas. They were written for programs (« , », English headers, shares as 0.3995)."""

from __future__ import annotations

import csv
import io

import pytest

from geodata.coverage import by_departement, totals, uncovered
from geodata.storage.networks import commune_distances
from tests.app.test_reseaux import real  # noqa: F401 - the app over the real data
from tests.networks_data import places_engine  # noqa: F401

pytestmark = pytest.mark.shared_data


def _spreadsheet(text: str) -> list[dict]:
    """A French spreadsheet's CSV (BOM, « ; ») read as dicts."""
    assert text.startswith("\ufeff"), "a French spreadsheet's CSV starts with a BOM"
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def test_coverage_csv_by_departement_and_by_commune(real, places_engine):  # noqa: F811
    answer = real.get("/reseaux/couverture.csv?distance_km=30")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "couverture-30km.csv" in answer.headers["Content-Disposition"]
    records = _spreadsheet(answer.text)
    rows = by_departement(commune_distances(places_engine, "contour"), 30_000.0)
    assert len(records) == len(rows) + 1 and records[-1]["département"] == "Total"
    assert sum(int(r["population à plus de 30 km"]) for r in records[:-1]) == int(
        records[-1]["population à plus de 30 km"])
    share = totals(rows).share
    assert records[-1]["part de la population à plus de 30 km (%)"] == (
        str(round(share * 100, 2)).replace(".", ","))
    communes = _spreadsheet(
        real.get("/reseaux/couverture.csv?distance_km=30&departement=15").text)
    assert len(communes) == next(r.uncovered_communes for r in rows if r.code == "15")
    assert all(float(c["distance (km)"].replace(",", ".")) > 30 for c in communes)
    assert all(c["identifiant de la Fabrique"].startswith("fabt-") for c in communes)


def test_a_threshold_takes_a_decimal_comma_and_a_departement_spaces(real,  # noqa: F811
                                                                     places_engine):  # noqa: F811
    answer = real.get("/reseaux/couverture.csv?distance_km=12,5&measure=point"
                      "&departement=%2015%20")
    assert answer.status_code == 200
    assert "couverture-12.5km-15.csv" in answer.headers["Content-Disposition"]
    distances = commune_distances(places_engine, "point")
    codes = [row["code commune"] for row in _spreadsheet(answer.text)]
    assert codes == list(distances.codes[uncovered(distances, 12_500.0, "15")])
