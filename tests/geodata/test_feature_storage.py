"""The OGC API's reads (``geodata.storage.features``) on both backends, on two small real
lists of places: every feature once in id order, one by its id, and a feature deleted after
the SQLite envelopes were read (a load by another process, before the cache sees it) left
out of the page rather than failing it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from geodata.features import parse_bbox
from geodata.storage.cache import forget_versions
from geodata.storage.features import collections, feature_by_id, feature_page
from geodata.storage.models import Place
from loaders.pipeline import load_source

pytestmark = pytest.mark.shared_data

GONE = "manufacture-proximite:manuprox-1-48"  # in Marseille


@pytest.fixture
def places(engine, data_dir):
    for name in ("manufactures-proximite", "france-tiers-lieux-extrait"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    return engine


def test_every_place_once_in_id_order(places):
    assert [info.id for info in collections(places)] == ["fabriques", "communes", "lieux"]
    page = feature_page(places, "lieux", None, 0, 1000)
    assert page.matched == len(page.ids) == 188 and page.ids == sorted(page.ids)
    assert feature_page(places, "lieux", None, 180, 100).ids == page.ids[180:]
    one = feature_by_id(places, "lieux", GONE)
    assert one.ids == [GONE] and one.properties[0]["attributs"] == {"vague": "1"}
    assert feature_by_id(places, "lieux", "manufacture-proximite:nulle") is None
    assert feature_by_id(places, "fabriques", "fabt-01") is None  # no laureate loaded


def test_a_feature_deleted_meanwhile_is_left_out(places):
    marseille = parse_bbox("5.3,43.25,5.45,43.35")
    before = feature_page(places, "lieux", marseille, 0, 100)
    assert GONE in before.ids
    with places.begin() as connection:  # behind the cache's back, as another process would
        connection.execute(delete(Place).where(Place.external_id == "manuprox-1-48"))
    after = feature_page(places, "lieux", marseille, 0, 100)
    assert after.ids == [key for key in before.ids if key != GONE]
    forget_versions(places)
    assert feature_by_id(places, "lieux", GONE) is None
