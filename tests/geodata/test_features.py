"""The OGC API's query values and GeoJSON writing (``geodata.features``), without HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely

from geodata.feature_collections import COMMUNES, FABRIQUES, LIEUX, qpv_collection
from geodata.features import (
    BBOX_MARGIN_DEG,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    FeatureQueryError,
    feature_texts,
    parse_bbox,
    parse_datetime,
    parse_limit,
    parse_offset,
)


def widened(*boxes):
    """Boxes pushed out by half a served step (``BBOX_MARGIN_DEG``), within ±180°."""
    return tuple((max(w - BBOX_MARGIN_DEG, -180.0), s - BBOX_MARGIN_DEG,
                  min(e + BBOX_MARGIN_DEG, 180.0), n + BBOX_MARGIN_DEG) for w, s, e, n in boxes)


def test_a_bbox_is_one_box_or_two_across_the_antimeridian():
    assert parse_bbox(None) is None
    assert parse_bbox("5,43,6,44") == widened((5.0, 43.0, 6.0, 44.0))
    assert parse_bbox("5,43,-100,6,44,2000") == widened((5.0, 43.0, 6.0, 44.0))  # no heights
    assert parse_bbox("170,-50,-170,50") == widened((170.0, -50.0, 180.0, 50.0),
                                                    (-180.0, -50.0, -170.0, 50.0))
    assert parse_bbox("5,43,5,43") == widened((5.0, 43.0, 5.0, 43.0))  # a point is a box
    assert parse_bbox("-180,-90,180,90") == ((-180.0, -90.0, 180.0, 90.0),)


@pytest.mark.parametrize("text", ["", "5,43,6", "5,43,6,44,1", "a,b,c,d", "5,43,inf,44",
                                  "5,43,6,95", "5,44,6,43", "-181,0,0,1"])
def test_a_bad_bbox_names_the_parameter(text):
    with pytest.raises(FeatureQueryError) as refused:
        parse_bbox(text)
    assert refused.value.parameter == "bbox" and "bbox" in str(refused.value)


def test_a_datetime_is_an_rfc_3339_instant_or_interval_with_open_ends():
    utc = datetime(2024, 1, 31, 12, tzinfo=UTC)
    assert parse_datetime(None) is None
    assert parse_datetime("2024-01-31T12:00:00Z") == (utc, utc)
    assert parse_datetime("2024-01-31t13:00:00+01:00") == (utc, utc)  # the same instant
    assert parse_datetime("2024-01-31T12:00:00Z/..") == (utc, None)
    assert parse_datetime("/2024-01-31T12:00:00Z") == (None, utc)
    assert parse_datetime("2024-01-31T12:00:00Z/2024-01-31T12:00:00.5Z")[1] > utc


@pytest.mark.parametrize(("text", "words"), [
    ("2024-01-31", "RFC 3339"),  # a date, not a date-time
    ("2024-01-31T12:00:00", "RFC 3339"),  # no offset
    ("2024-02-30T00:00:00Z", "RFC 3339"),
    ("2024-W05-3", "RFC 3339"),  # ISO 8601, not RFC 3339
    ("../..", "au moins un bout"),
    ("/", "au moins un bout"),
    ("2025-01-01T00:00:00Z/2024-01-01T00:00:00Z", "début est après la fin"),
    ("2024-01-01T00:00:00Z/2024", "RFC 3339"),
])
def test_a_bad_datetime_names_the_parameter(text, words):
    with pytest.raises(FeatureQueryError, match=words) as refused:
        parse_datetime(text)
    assert refused.value.parameter == "datetime"


def test_the_limit_has_a_default_and_a_ceiling_never_an_error_above_it():
    assert parse_limit(None) == DEFAULT_LIMIT == 10
    assert parse_limit("1") == 1 and parse_limit(str(MAX_LIMIT)) == MAX_LIMIT
    assert parse_limit("99999999") == MAX_LIMIT
    for bad in ("0", "-1", "1.5", "dix", "", "٣"):
        with pytest.raises(FeatureQueryError, match="limit invalide"):
            parse_limit(bad)
    assert parse_offset(None) == 0 and parse_offset("250") == 250
    with pytest.raises(FeatureQueryError, match="offset invalide"):
        parse_offset("-1")


def test_features_are_written_as_rfc_7946():
    clockwise = shapely.Polygon([(0, 0), (0, 1), (1, 1), (1, 0)],
                                holes=[[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.4)]])
    texts = feature_texts(["a", "b", "c"], [{"nom": "Île"}, {}, {"n": 1}],
                          [shapely.MultiPolygon([clockwise]),
                           shapely.Point(5.123456789, 43.1), None])
    polygon, point, nothing = (json.loads(text) for text in texts)
    assert polygon["id"] == "a" and polygon["properties"] == {"nom": "Île"}
    read = shapely.geometry.shape(polygon["geometry"]).geoms[0]
    assert read.exterior.is_ccw and not read.interiors[0].is_ccw
    assert point["geometry"]["coordinates"] == [5.1234568, 43.1]
    assert nothing["geometry"] is None and nothing["type"] == "Feature"
    assert "Île" in texts[0]  # UTF-8, not escaped


def test_the_analysts_guide_names_every_field_of_every_collection():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "analystes.md").read_text(
        encoding="utf-8")
    for info in (FABRIQUES, qpv_collection("2024"), COMMUNES, LIEUX):
        missing = [f.name for f in info.fields if f"`{f.name}`" not in guide]
        assert not missing, f"docs/analystes.md ne décrit pas {missing} ({info.id})"
