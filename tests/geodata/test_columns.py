"""Explanations built per group of identical facts read exactly as one built alone, and a
single check's explanation names its sources and its policy.

Seeded points around real QPVs, over metropolitan France (where the 2015 outlines are
partial and the 2024 ones missing), overseas and nowhere, some at commune precision.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geodata.eligibility import classify, verdict
from geodata.eligibility.columns import COLUMNS, contract_columns, contract_frame
from geodata.french import lonlat, metres
from geodata.policy import load_policy
from geodata.storage.reference import reference_index

pytestmark = pytest.mark.shared_data

L93_TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)


def sample(index, seed: int, count: int):
    """Points near QPVs, anywhere in the metropolitan box, overseas and off every territory,
    with about one in ten at commune precision."""
    rng = np.random.default_rng(seed)
    metro = index.territories["metropole"]
    centres = shapely.centroid(metro.qpv_geometries)
    picks = rng.integers(0, len(centres), count)
    x = shapely.get_x(centres[picks]) + rng.uniform(-2500, 2500, count)
    y = shapely.get_y(centres[picks]) + rng.uniform(-2500, 2500, count)
    lon, lat = L93_TO_WGS84.transform(x, y)
    lon = np.r_[lon, rng.uniform(-4.8, 8.2, count), 55.45, 55.5, -30.0, 3.0]
    lat = np.r_[lat, rng.uniform(42.3, 51.0, count), -20.9, -21.1, 40.0, 46.0]
    precision = np.where(rng.random(len(lon)) < 0.1, "commune", "point").astype(object)
    return lon, lat, precision


@pytest.mark.parametrize("policy_name", ["current", "ami-2019"])
def test_grouped_explanations_read_as_single_ones(reference_engine, policy_name):
    policy = load_policy(policy_name)
    index = reference_index(reference_engine, policy.qpv_vintage)
    lon, lat, precision = sample(index, seed=5, count=400)
    result = classify(index, policy, lon, lat, precision)
    columns = contract_columns(result)
    for i in range(len(lon)):
        alone = contract_columns(result, [i])
        assert {c: columns[c][i] for c in COLUMNS if c != "id"} == \
            {c: alone[c][0] for c in COLUMNS if c != "id"}
    texts = columns["explanation"]
    assert len(set(texts)) == len(texts)  # each location its own coordinates
    for i, text in enumerate(texts):  # French decimals, a semicolon between the two
        place = f"({lonlat(lon[i], lat[i])})"
        assert text.startswith(f"Lieu {place}, " if columns["error"][i] is None
                               else f"{place} n'est dans aucun territoire couvert"), text
    assert texts[-2].startswith("(-30,00000 ; 40,00000) n'est dans aucun territoire")


def test_a_single_check_names_its_sources_and_its_policy(reference_engine):
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    result = classify(index, policy, [2.36212], [50.64419])  # Aire-sur-la-Lys: undecided
    row = verdict(result, 0).row
    assert policy.title in row["explanation"]
    # no outline source covers Hauts-de-France: none is cited, the missing layer is said
    assert not any(label in row["explanation"] for label in index.qpv.sources)
    assert ("les contours des QPV 2024 ne sont pas tous chargés pour Hauts-de-France (région 32)"
            in row["explanation"])
    assert index.qpv.hosting_source in row["explanation"]
    assert row["category"] == "a-verifier"
    # one colon in the category's sentence (the stored label has its own)
    assert ("Catégorie : à vérifier, une condition n'a pas pu être décidée (politique"
            in row["explanation"])
    assert "à vérifier : " not in row["explanation"]
    # the sources of the QPV half are joined as the others, a space before « ; »
    source = verdict(result, 0).component("in_qpv").source
    assert " ; liste officielle des communes à QPV : " in source and "; " not in \
        source.replace(" ; ", "")


@pytest.mark.parametrize(("lon", "lat", "measured"), [
    (2.36212, 50.64419, "France métropolitaine (distances mesurées en mètres, projection "
                        "Lambert-93 (EPSG:2154))"),
    (55.45, -20.9, "La Réunion (distances mesurées en mètres, projection RGR92 / UTM 40S "
                   "(EPSG:2975))"),
])
def test_an_explanation_says_its_rules_and_projection_as_people_name_them(
        reference_engine, lon, lat, measured):
    """An instructor read « politique « current » » and « EPSG:2154 » in every verdict."""
    policy = load_policy("current")
    result = classify(reference_index(reference_engine, policy.qpv_vintage), policy,
                      [lon], [lat])
    text = verdict(result, 0).row["explanation"]
    assert measured in text
    assert f"(politique « {policy.title} »)." in text and "« current »" not in text


@pytest.mark.parametrize("policy_name", ["current", "ami-2019"])
def test_grouped_short_explanations_read_as_single_ones(reference_engine, policy_name):
    policy = load_policy(policy_name)
    index = reference_index(reference_engine, policy.qpv_vintage)
    lon, lat, precision = sample(index, seed=7, count=400)
    result = classify(index, policy, lon, lat, precision)
    columns = contract_columns(result, short=True)
    full = contract_columns(result)
    for i in range(len(lon)):
        alone = contract_columns(result, [i], short=True)
        assert {c: columns[c][i] for c in COLUMNS if c != "id"} == \
            {c: alone[c][0] for c in COLUMNS if c != "id"}
        assert {c: columns[c][i] for c in COLUMNS if c != "explanation"} == \
            {c: full[c][i] for c in COLUMNS if c != "explanation"}
    frame = contract_frame(result, [str(i) for i in range(len(lon))], short=True)
    assert frame["explanation"].to_list() == columns["explanation"]
    shown = [text for text, error in zip(columns["explanation"], columns["error"], strict=True)
             if error is None]
    assert max(len(text.encode()) for text in shown) <= 200
    assert sum(len(text.encode()) for text in shown) / len(shown) <= 150


def test_the_search_radius_is_written_as_french_metres(reference_engine):
    """Near Tarascon the 2024 outlines are loaded (PACA) but not all around: both
    explanations say so with the radius as every other length, « 5 000 m » (narrow no-break
    space between thousands, no-break space before the unit), never « 5000 m »."""
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    result = classify(index, policy, [4.654759], [43.819334])
    radius = metres(policy.search_radius_m)
    assert radius == "5\u202f000\u00a0m"
    for short in (True, False):
        said = contract_columns(result, short=short)["explanation"][0]
        assert f"mais pas partout à moins de {radius} du lieu" in said, said
        assert "5000 m" not in said
    thresholds = {c.name: c.threshold for c in verdict(result, 0).components}
    assert thresholds["nearest_qpv"] == f"recherche dans un rayon de {radius}"
    assert thresholds["near_qpv"] == f"≤ {metres(policy.proximity_m)}"


def test_a_commune_precision_location_lists_the_qpv_in_its_commune_apart(reference_engine):
    """Known only to its commune (Marseille), a location listed each QPV « (0 m du contour) »:
    those in the commune are said to be in it, the others at their distance."""
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    result = classify(index, policy, [5.4034], [43.3305], ["commune"])
    text = verdict(result, 0).row["explanation"]
    assert "QPV dans la commune Marseille : QN" in text
    assert "(0 m du contour)" not in text and "(0,0 m du contour)" not in text
