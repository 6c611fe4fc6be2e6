"""A dossier's nearest places as its page says them: a dossier that is a published Fabrique
(the jury page's « même Fabrique que … ») names it as its own, never as another Fabrique
nearby, and the nearest other one apart."""

from __future__ import annotations

import pytest

from geodata.dossiers.nearby import nearby_sentence
from geodata.storage.dossier_nearby import nearby_said
from geodata.storage.dossiers import list_dossiers
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_jury import FABULERIE, contours, wave  # noqa: F401 - fixtures

FACTS = {"fabrique": {"id": "fabt-199", "name": "Commune de Saint Julien Chapteuil",
                      "distance_m": 1652},
         "tiers_lieu": {"id": "762", "name": "Cowork Impulse", "distance_m": 12512}}


def test_the_dossiers_own_fabrique_is_named_as_its_own():
    said = nearby_sentence({**FACTS, "fabrique": {"name": "LA FABULERIE", "distance_m": 3120}},
                           {"id": "fabt-199", "name": "Commune de Saint Julien Chapteuil",
                            "commune": "Saint-Julien-Chapteuil", "distance_m": 1652})
    # by its name and commune: « fabt-199 » told a prefecture nothing
    assert said.startswith("Ce dossier est la Fabrique publiée « Commune de Saint Julien "
                           "Chapteuil » à Saint-Julien-Chapteuil (position publiée à "
                           "1,7\u00a0km de l'adresse du dossier) ; Autre Fabrique la plus "
                           "proche connue : LA FABULERIE à 3,1\u00a0km ; Tiers-lieu le plus "
                           "proche connu : Cowork Impulse")
    assert "fabt-199" not in said
    assert "au lieu du dossier" in nearby_sentence(FACTS, {"id": "fabt-1", "name": "X",
                                                           "distance_m": 0})
    assert nearby_sentence(FACTS).startswith(
        "Fabrique la plus proche connue : Commune de Saint Julien Chapteuil à 1,7\u00a0km ;")
    # where the Fabriques are placed, said truly: a jury's own at their address
    assert nearby_sentence(FACTS).endswith("(listes chargées ; Fabriques publiées au centre de "
                                           "leur commune, celles des jurys de ce service à "
                                           "leur adresse)")


@pytest.mark.shared_data
def test_a_dossier_matched_to_a_published_fabrique_is_not_told_it_is_nearby(wave):  # noqa: F811
    """LA FABULERIE's dossier was told its own published Fabrique was the nearest one."""
    dossier = next(d for d in list_dossiers(wave) if d.number == FABULERIE)
    stored = dossier.checks["non_pourvu"]
    assert stored["fabrique"]["name"] == "LA FABULERIE"  # the import measured its own
    said = nearby_said(wave, dossier)
    assert said.startswith("Ce dossier est la Fabrique publiée « LA FABULERIE » à ")
    assert stored["fabrique"]["id"] not in said and "(position publiée " in said
    other = said.split(" ; ")[1]
    assert other.startswith("Autre Fabrique la plus proche connue : ")
    assert "LA FABULERIE" not in other
