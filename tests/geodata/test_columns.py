"""Explanations built per group of identical facts read exactly as one built alone, and the
brief wording for files says the same facts as the full one.

Seeded points around real QPVs, over metropolitan France (where the 2015 outlines are
partial and the 2024 ones missing), overseas and nowhere, some at commune precision.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geodata.eligibility import classify, verdict
from geodata.eligibility.columns import COLUMNS, contract_columns
from geodata.policy import CATEGORIES, load_policy
from geodata.storage.reference import reference_index

pytestmark = pytest.mark.shared_data

L93_TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


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
    for brief in (False, True):
        columns = contract_columns(result, brief=brief)
        for i in range(len(lon)):
            alone = contract_columns(result, [i], brief=brief)
            assert {c: columns[c][i] for c in COLUMNS if c != "id"} == \
                {c: alone[c][0] for c in COLUMNS if c != "id"}
    texts = contract_columns(result)["explanation"]
    assert len(set(texts)) == len(texts)  # each location its own coordinates


@pytest.mark.parametrize("policy_name", ["current", "ami-2019"])
def test_brief_wording_says_the_same_facts(reference_engine, policy_name):
    policy = load_policy(policy_name)
    index = reference_index(reference_engine, policy.qpv_vintage)
    lon, lat, precision = sample(index, seed=9, count=1500)
    result = classify(index, policy, lon, lat, precision)
    full = contract_columns(result)
    brief = contract_columns(result, brief=True)
    assert {c: full[c] for c in COLUMNS if c != "explanation"} == \
        {c: brief[c] for c in COLUMNS if c != "explanation"}
    layer = index.qpv
    saved = 0
    for i, (long, short) in enumerate(zip(full["explanation"], brief["explanation"],
                                          strict=True)):
        if full["error"][i]:
            assert short == long  # nothing to explain: the error is the explanation
            continue
        saved += len(long) - len(short)
        assert len(short) <= len(long)
        # Every number said (coordinates, distances, D, radius, levels, codes) is still said:
        # only the sources' details, the rule's definition and the policy's title go.
        stripped = long
        for label, name in zip((*layer.sources, layer.hosting_source),
                               (*layer.source_names, layer.hosting_source_name), strict=True):
            if label:
                stripped = stripped.replace(label, name)
        for omitted in (policy.describe_urban_rule(), policy.title):
            stripped = stripped.replace(omitted, "")
        assert sorted(NUMBER.findall(short)) == sorted(NUMBER.findall(stripped)), short
        for said in (full["commune_code"][i], full["nearest_qpv_code"][i],
                     CATEGORIES[full["category"][i]], f"« {policy.name} »"):
            if said is not None:
                assert said in long and said in short
        for name in layer.source_names:
            assert (name in long) == (name in short)
        assert ("indéterminée" in long) == ("indéterminée" in short)
        assert ("pourrait exister" in long) == ("pourrait exister" in short)
        assert ("à vérifier" in long) == ("à vérifier" in short)
    assert saved / len(lon) > 150  # characters a row of a file no longer repeats


def test_a_single_check_keeps_the_full_wording(reference_engine):
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    result = classify(index, policy, [2.36212], [50.64419])  # Aire-sur-la-Lys: undecided
    row = verdict(result, 0).row
    short = verdict(result, 0, brief=True).row
    assert policy.title in row["explanation"] and policy.title not in short["explanation"]
    assert all(label in row["explanation"] for label in index.qpv.sources)
    assert index.qpv.hosting_source in row["explanation"]
    assert index.qpv.hosting_source_name in short["explanation"]
    assert index.qpv.hosting_source not in short["explanation"]
    assert row["category"] == short["category"] == "a-verifier"
