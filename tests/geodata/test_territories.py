"""Régions and collectivités d'outre-mer as people read them: the lists of régions carry
Saint-Pierre-et-Miquelon, Saint-Barthélemy and Saint-Martin as régions (three-digit codes);
the dashboard's groups and the explanations say what they are."""

from __future__ import annotations

import pytest

from geodata.eligibility.provenance import missing_outlines
from geodata.storage.reference import place_names
from geodata.territories import region_wording, scope_wording


@pytest.mark.parametrize(("code", "name", "said"), [
    ("76", "Occitanie", "Occitanie (région 76)"),
    ("04", "La Réunion", "La Réunion (région 04)"),
    ("978", "Saint-Martin", "Saint-Martin (collectivité d'outre-mer 978)"),
    ("32", None, "la région 32"),
    ("977", None, "la collectivité d'outre-mer 977"),
])
def test_a_region_is_worded_with_what_it_is(code, name, said):
    assert region_wording(code, name) == said


NAMES = {"regions": {"93": "Provence-Alpes-Côte d'Azur", "76": "Occitanie"},
         "departements": {"93": "Seine-Saint-Denis", "35": "Ille-et-Vilaine"}}


@pytest.mark.parametrize(("scope", "codes", "said"), [
    ("country", [], "toute la France"),
    ("none", [], "nulle part"),
    # « 93 » is both: the scope says which, and the name says it to a reader
    ("regions", ["93"], "la région Provence-Alpes-Côte d'Azur (93)"),
    ("departements", ["93"], "le département Seine-Saint-Denis (93)"),
    ("regions", ["93", "76"], "les régions Provence-Alpes-Côte d'Azur (93), Occitanie (76)"),
    ("departements", ["35", "33"],
     "les départements Ille-et-Vilaine (35), de code Insee 33"),  # Gironde not loaded
])
def test_a_coverage_scope_is_named(scope, codes, said):
    assert scope_wording(scope, codes, NAMES) == said


def test_a_coverage_scope_without_names_says_the_code_is_a_region_code():
    assert scope_wording("regions", ["93"]) == "la région de code Insee 93"


def test_an_explanation_names_saint_martin_a_collectivity():
    assert missing_outlines("2024", "978", {"978": "Saint-Martin"}) == (
        "les contours des QPV 2024 ne sont pas tous chargés pour Saint-Martin (collectivité "
        "d'outre-mer 978)")


@pytest.mark.shared_data
def test_the_groups_by_region_name_the_collectivities_as_such(reference_engine):
    regions = place_names(reference_engine)["region"]
    assert regions["978"] == "Saint-Martin (collectivité d'outre-mer)"
    assert regions["975"] == "Saint-Pierre-et-Miquelon (collectivité d'outre-mer)"
    assert regions["93"] == "Provence-Alpes-Côte d'Azur" and regions["04"] == "La Réunion"
