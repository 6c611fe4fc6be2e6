"""An « à vérifier » dossier is told apart, from the halves its territorial check stored,
when it is eligible either way (only its category open) from one that may be non-eligible
(``geodata.dossiers.territory``, ``selection.counts``); pure, no database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from geodata.dossiers.selection import TO_SETTLE, check_value, counts, shown_category
from geodata.dossiers.territory import category_to_settle


def dossier(category="a-verifier", policy="ami-2019", **halves):
    checks = {"territoire": halves} if halves else {}
    return SimpleNamespace(category=category, policy=policy, checks=checks, state="depose",
                           avis=None, departement_code=None, kind=None)


@pytest.mark.parametrize(("found", "to_settle"), [
    (dossier(in_qpv=None, near_qpv=None, outside_large_urban_centre=True), True),
    (dossier(in_qpv=False, near_qpv=None, outside_large_urban_centre=True), True),
    (dossier(in_qpv=None, near_qpv=None, outside_large_urban_centre=False), False),
    (dossier(in_qpv=None, near_qpv=None, outside_large_urban_centre=None), False),
    (dossier(), False),  # not located: anything is possible
    (dossier(policy="2030", in_qpv=None, near_qpv=None, outside_large_urban_centre=True),
     False),  # rules no longer shipped: nothing known of their precedence
    (dossier(category="qpv", in_qpv=True, near_qpv=True, outside_large_urban_centre=True),
     False),  # decided
])
def test_eligible_either_way_only_when_non_eligible_is_ruled_out(found, to_settle):
    assert category_to_settle(found) is to_settle
    assert (shown_category(found) == TO_SETTLE) is to_settle
    if found.category == "a-verifier":  # the automatic territorial check passes, or stays open
        assert check_value(found, "territoire") is (True if to_settle else None)


def test_the_tally_splits_to_check_and_the_stored_count_does_not():
    wave = [dossier(in_qpv=None, near_qpv=None, outside_large_urban_centre=True),
            dossier(in_qpv=None, near_qpv=None, outside_large_urban_centre=False),
            dossier(category=None), dossier(category="qpv")]
    counted = counts(wave)
    assert counted["category"] == {"a-verifier": 2, None: 1, "qpv": 1}
    assert counted["shown_category"] == {TO_SETTLE: 1, "a-verifier": 1, None: 1, "qpv": 1}
