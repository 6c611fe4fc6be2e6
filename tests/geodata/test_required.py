"""What a batch file lacks, said in the file's own words (``geodata.eligibility.required``):
the audit's « colonne obligatoire absente : id — ou une colonne adresse (colonnes trouvées :
identifiant, lon, lat) » for a file headed identifiant;longitude;latitude."""

from __future__ import annotations

import pytest

from geodata.eligibility.addresses import read_batch
from geodata.eligibility.reading import BatchError, read_locations


def refusal(data: str, read=read_batch) -> str:
    with pytest.raises(BatchError) as error:
        read(data)
    return str(error.value)


def test_the_files_own_column_names_are_quoted_and_a_lookalike_suggested():
    said = refusal("identifiant;longitude;latitude\nA1;5,4034;43,3305\n")
    assert said == ("il manque la colonne id (l'identifiant de chaque ligne) ; la colonne "
                    "« identifiant » est-elle id ? renommez-la id ; les colonnes du fichier : "
                    "identifiant, longitude, latitude")
    assert said == refusal("identifiant;longitude;latitude\nA1;5,4034;43,3305\n",
                           read_locations)


def test_an_address_is_said_to_replace_the_coordinates_not_the_id():
    said = refusal("Id;adrese\n1;Gap\n")
    assert said.startswith("il manque les colonnes lon (la longitude, en degrés décimaux) et "
                           "lat (la latitude, en degrés décimaux) ; pour des adresses, une "
                           "colonne adresse remplace lon et lat ; la colonne « adrese » "
                           "est-elle adresse ? renommez-la adresse")
    assert said.endswith("les colonnes du fichier : Id, adrese")
    assert "— ou" not in refusal("identifiant,x,y\n1,2,3\n")
