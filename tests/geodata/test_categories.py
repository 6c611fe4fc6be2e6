"""The categories a location could still fall in (``geodata.eligibility.categories``): a known
half rules some out. Every combination of the three-valued answers, under both precedences;
then the real published laureates, whose ranges the quotas read."""

from __future__ import annotations

from dataclasses import replace
from itertools import product
from types import SimpleNamespace

import numpy as np
import pytest

from geodata.eligibility.categories import ANY_CATEGORY, categories, possible_categories
from geodata.eligibility.plain_layers import FALSE, TRUE, UNKNOWN
from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    available_policies,
    load_policy,
)
from geodata.storage.fabriques import laureate_records

VALUES = (TRUE, FALSE, UNKNOWN)
COMBINATIONS = list(product(VALUES, VALUES, VALUES))  # in_qpv, near_qpv, outside


def classification(policy, territory="metropole"):
    in_qpv, near_qpv, outside = (np.array(column, dtype=np.int8)
                                 for column in zip(*COMBINATIONS, strict=True))
    return SimpleNamespace(policy=policy, in_qpv=in_qpv, near_qpv=near_qpv, outside=outside,
                           territory=np.array([territory] * len(COMBINATIONS), dtype=object))


PRECEDENCES = ("qpv", "outside_large_urban_centres")


def policies():
    """The shipped policies, each under both precedences (a policy file may choose either)."""
    return [pytest.param(replace(load_policy(name), precedence=precedence),
                         id=f"{name}-{precedence}")
            for name in available_policies() for precedence in PRECEDENCES]


@pytest.mark.parametrize("policy", policies())
def test_a_known_half_rules_categories_out(policy):
    result = classification(policy)
    found = categories(result)
    for (in_qpv, near_qpv, outside), category, possible in zip(
            COMBINATIONS, found, possible_categories(result), strict=True):
        qpv_half = TRUE if TRUE in (in_qpv, near_qpv) else (
            FALSE if in_qpv == near_qpv == FALSE else UNKNOWN)
        if category != CATEGORY_UNDETERMINED:
            assert possible == {category}
            continue
        assert possible and possible <= ANY_CATEGORY
        if outside == FALSE:  # in a large urban centre
            assert CATEGORY_OUTSIDE not in possible
        if outside == TRUE:
            assert CATEGORY_NOT_ELIGIBLE not in possible
        if qpv_half == FALSE:
            assert CATEGORY_QPV not in possible
        if qpv_half == TRUE:
            assert CATEGORY_NOT_ELIGIBLE not in possible
        if qpv_half == outside == UNKNOWN:
            assert possible == ANY_CATEGORY


def test_outside_every_territory_anything_is_possible():
    result = classification(load_policy("current"), territory=None)
    assert set(categories(result)) == {CATEGORY_UNDETERMINED}
    assert set(possible_categories(result)) == {ANY_CATEGORY}


@pytest.mark.shared_data
def test_a_laureate_in_a_large_urban_centre_is_never_counted_outside_them(reference_engine):
    """Paris is a large urban centre (level 1 of the density grid): its Fabriques, « à
    vérifier » for want of their QPV half, may be in a QPV or not eligible, never « hors des
    grands centres urbains »."""
    records = laureate_records(reference_engine, load_policy("current"))
    paris = [r for r in records if r.departement == "75"]
    assert paris and {r.category for r in paris} == {CATEGORY_UNDETERMINED}
    assert {r.possible for r in paris} == {frozenset({CATEGORY_QPV, CATEGORY_NOT_ELIGIBLE})}
    decided = [r for r in records if r.category != CATEGORY_UNDETERMINED]
    assert decided and all(r.possible == {r.category} for r in decided)


@pytest.mark.parametrize(("precedence", "expected"), [
    ("qpv", CATEGORY_QPV), ("outside_large_urban_centres", CATEGORY_UNDETERMINED)])
def test_in_a_qpv_with_the_urban_half_unknown(precedence, expected):
    """Outside large urban centres first, a place in a QPV may still count outside them: it
    was decided « qpv » before its urban half was known."""
    result = classification(replace(load_policy("current"), precedence=precedence))
    row = COMBINATIONS.index((TRUE, TRUE, UNKNOWN))
    assert categories(result)[row] == expected
    expected_possible = {CATEGORY_QPV} if precedence == "qpv" else {CATEGORY_QPV,
                                                                     CATEGORY_OUTSIDE}
    assert possible_categories(result)[row] == expected_possible
