"""What the open data keep of a Fabrique (``geodata.publication``): no contact typed in a name,
each Fabrique once with the finer of its two places. Synthetic rows: each case is a property
the real list does not show (it has one e-mail in a name and no decided laureate)."""

from __future__ import annotations

import pytest
import shapely

from geodata.publication import SOURCE_BOTH, merge_matches, without_contacts


@pytest.mark.parametrize(("name", "published"), [
    ("Tiers-lieu de jean.dupont@gmail.com (contact 06 12 34 56 78)",
     "Tiers-lieu de [adresse électronique retirée] (contact [numéro de téléphone retiré])"),
    ("Appeler le +33 6 12 34 56 78 ou le 04.91.00.00.00",
     "Appeler le [numéro de téléphone retiré] ou le [numéro de téléphone retiré]"),
    ("+33 (0)4 91 00 00 00", "[numéro de téléphone retiré]"),
    # written to escape robots (the jury's audit found them published)
    ("Écrire à jean.martin @ orange.fr ou contact [at] delta-tierslieu.fr",
     "Écrire à [adresse électronique retirée] ou [adresse électronique retirée]"),
    ("tel 0033 6 12 34 56 78", "tel [numéro de téléphone retiré]"),
    ("Rendez-vous à 14h @ La Fabrique", "Rendez-vous à 14h @ La Fabrique"),
    # numbers that are not telephones stay: a SIRET, postal codes, a year, a street number
    ("SIRET 12345678900017, 13001 Marseille, 2019", "SIRET 12345678900017, 13001 Marseille, 2019"),
    ("La Fabrique du 6-8 rue Vacon", "La Fabrique du 6-8 rue Vacon"),
    (None, None),
])
def test_no_contact_typed_in_a_name_is_published(name, published):
    assert without_contacts(name) == published


def published_and_decided(decided_precision: str, decided_geom) -> list[dict]:
    return [
        {"id": "fabt-02", "wave": None, "kind": None, "siret": None,
         "amount_1": None, "amount_2": None, "amount_3": None, "precision": "commune",
         "geom": shapely.Point(7.25, 43.71), "commune_code": "06088", "territory": "metropole",
         "dossier_number": None},
        {"id": "ds-1", "wave": "4", "kind": "FNT", "siret": "12345678900017",
         "amount_1": 60_000, "amount_2": 50_000, "amount_3": 40_000,
         "precision": decided_precision, "geom": decided_geom, "commune_code": "06088",
         "territory": "metropole", "dossier_number": 1, "match_state": "meme",
         "published_match": "fabt-02"},
    ]


def test_a_fabrique_decided_again_takes_the_finer_place_and_what_it_lacked():
    (merged,) = merge_matches(published_and_decided("address", shapely.Point(7.262, 43.7034)))
    assert (merged["id"], merged["source"], merged["wave"], merged["kind"]) == (
        "fabt-02", SOURCE_BOTH, "4", "FNT")
    assert (merged["precision"], merged["geom"].x) == ("address", 7.262)


@pytest.mark.parametrize(("precision", "geom"), [
    ("commune", shapely.Point(7.3, 43.7)),  # no finer: the published centroid stays
    ("commune", None),  # a decided laureate placed nowhere
])
def test_a_coarser_or_missing_decided_place_leaves_the_published_one(precision, geom):
    (merged,) = merge_matches(published_and_decided(precision, geom))
    assert (merged["precision"], merged["geom"].x, merged["wave"]) == ("commune", 7.25, "4")
