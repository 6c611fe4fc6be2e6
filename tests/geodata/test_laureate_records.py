"""The laureates as the quota counting sees them (``geodata.storage.fabriques``), on both
backends: the real published list, plus laureates decided by this service's jury
(migration 0009 columns).

The jury's laureates are synthetic (no such decision is published): one the same Fabrique as
a published one ("meme": must not be counted twice), one distinct FNT with its three yearly
amounts, one possible match still to confirm with one known year. They are placed in real
communes (Marseille, Nice) at the points of published laureates there, so the engine classifies
them as it classifies the published ones.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from geodata.policy import load_policy
from geodata.quotas import FNT, TOTAL, quota_table
from geodata.storage.fabriques import laureate_records
from geodata.storage.laureates import laureate_table
from geodata.storage.models import Laureate
from loaders.pipeline import load_source

pytestmark = pytest.mark.shared_data

SOURCES = ("regions", "departements", "communes", "commune-contours", "densite",
           "qpv2024-communes", "qpv2024-paca", "laureates")
POLICY = load_policy("current")


def jury_laureate(twin, id_: str, dossier: int, **columns) -> dict:
    """A laureate decided here, at the commune and point of the published ``twin``."""
    return {"id": id_, "name": f"Tiers-lieu {id_}", "commune_code": twin.commune_code,
            "commune_name": twin.commune_name, "precision": "commune", "geom": twin.geom,
            "territory": twin.territory, "dataset_version_id": twin.dataset_version_id,
            "dossier_number": dossier, "wave": "2025-1", "amount_1": None, "amount_2": None,
            "amount_3": None, "published_match": None, **columns}


def add_jury_laureates(engine, data_dir) -> str:
    """Load the sources, add three laureates of this service's jury (one the same as a
    published Fabrique of Marseille); the published one's id."""
    for name in SOURCES:
        load_source(engine, name, data_dir=data_dir, progress=False)
    columns = ("id", "commune_code", "commune_name", "geom", "territory", "dataset_version_id")
    with engine.connect() as connection:
        published = connection.execute(
            select(*(getattr(Laureate, name) for name in columns))
            .where(Laureate.commune_code.in_(["13055", "06088"]))
            .order_by(Laureate.commune_code, Laureate.id)).all()
    nice = next(row for row in published if row.commune_code == "06088")
    marseille = next(row for row in published if row.commune_code == "13055")
    with engine.begin() as connection:
        connection.execute(insert(Laureate), [
            jury_laureate(marseille, "jury-1", 1001, kind="FT", amount_1=50_000,
                          amount_2=50_000, amount_3=50_000, match_state="meme",
                          published_match=marseille.id),
            jury_laureate(nice, "jury-2", 1002, kind="FNT", amount_1=50_000, amount_2=40_000,
                          amount_3=30_000, match_state="distinct"),
            jury_laureate(marseille, "jury-3", 1003, kind="FT", amount_1=25_000,
                          match_state="a-confirmer", published_match=marseille.id),
        ])
    return marseille.id


@pytest.fixture
def jury_engine(engine, data_dir):
    """The real published laureates and three synthetic laureates of this service's jury."""
    engine.published_id = add_jury_laureates(engine, data_dir)
    return engine


def test_a_jury_laureate_same_as_a_published_one_is_counted_once(jury_engine):
    with jury_engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(Laureate)).scalar()
    records = {record.id: record for record in laureate_records(jury_engine, POLICY)}
    assert len(records) == stored - 1
    assert "jury-1" not in records and jury_engine.published_id in records
    assert {"jury-2", "jury-3"} <= set(records)
    assert quota_table(records.values(), POLICY).line(TOTAL).min == stored - 1
    shown = {row["id"] for row in laureate_table(jury_engine, POLICY)}
    assert shown == set(records)  # the public map does not show it twice either


def test_jury_laureates_carry_wave_type_place_and_yearly_amounts(jury_engine):
    records = {record.id: record for record in laureate_records(jury_engine, POLICY)}
    nice, marseille = records["jury-2"], records["jury-3"]
    assert (nice.wave, nice.fnt, nice.region, nice.departement) == ("2025-1", True, "93", "06")
    assert nice.yearly_eur == (50_000, 40_000, 30_000) and nice.funding_eur == 120_000
    assert (marseille.fnt, marseille.departement) == (False, "13")
    assert marseille.yearly_eur == (25_000, None, None) and marseille.funding_eur is None
    # the published Fabrique the same as jury-1 takes its wave, type and amounts
    published = records[jury_engine.published_id]
    assert (published.wave, published.fnt) == ("2025-1", False)
    assert published.yearly_eur == (50_000, 50_000, 50_000) and published.funding_eur == 150_000


def test_yearly_funding_committed_sums_the_jury_s_amounts(jury_engine):
    records = laureate_records(jury_engine, POLICY)
    total = quota_table(records, POLICY).line(TOTAL)
    assert total.yearly_eur == (125_000, 90_000, 80_000)  # jury-1's through its published twin
    assert total.unknown_yearly == (len(records) - 3, len(records) - 2, len(records) - 2)
    assert total.funding_eur == 270_000 and total.unknown_funding == len(records) - 2
    per_wave = quota_table(records, POLICY, by="wave")
    assert per_wave.line(TOTAL, "2025-1").yearly_eur == (125_000, 90_000, 80_000)
    assert per_wave.line(TOTAL, "2025-1").min == 3
    fnt = per_wave.line(FNT, "2025-1")
    assert fnt.max >= fnt.min and fnt.min == (records_by_id(records)["jury-2"].category
                                               == "qpv")


def records_by_id(records):
    return {record.id: record for record in records}
