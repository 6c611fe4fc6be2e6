"""The list under the public map, as the server writes it: the count of the selection with
its Fabriques placed nowhere, and the région filter sorted as a French reader looks names up.
"""

from __future__ import annotations

import html
import re

import pytest

from geodata.french import name_key
from tests.app.test_carte import client  # noqa: F401 - the app over the real layers

pytestmark = pytest.mark.shared_data


def test_the_count_names_the_unplaced_fabriques_of_the_selection(client):  # noqa: F811
    """Saint-Martin (fabt-364) has no position: the line under « Liste des Fabriques
    affichées » says so for a selection holding it, and not for one that does not."""
    whole = re.search(r'<p id="carte-compte"[^>]*>(.*?)</p>', client.get("/carte").text, re.S)
    assert re.sub(r"\s+", " ", whole[1]).endswith(
        "(1 sans position connue, absente de la carte).")
    paca = re.search(r'<p id="carte-compte"[^>]*>(.*?)</p>',
                     client.get("/carte?region=93").text, re.S)
    assert "sans position" not in paca[1] and paca[1].rstrip().endswith(".")


def test_the_region_filter_sorts_names_as_a_french_reader_does(client):  # noqa: F811
    """« Île-de-France » came last, after « Saint-Martin » (a byte-order sort)."""
    select = re.search(r'<select [^>]*id="region"[^>]*>(.*?)</select>',
                       client.get("/carte").text, re.S)[1]
    names = [html.unescape(name) for name in re.findall(
        r'<option value="[^"]+"[^>]*>([^<]*)</option>', select)]
    assert "Île-de-France" in names and "Saint-Martin" in names
    assert names.index("Île-de-France") < names.index("Normandie") < names.index("Saint-Martin")
    assert names == sorted(names, key=name_key)


@pytest.mark.parametrize(("vintage", "region"), [("2024", "Provence-Alpes-Côte d'Azur (93)"),
                                                  ("2015", "Occitanie (76)")])
def test_the_map_says_where_the_qpv_outlines_are_loaded(client, vintage, region):  # noqa: F811
    """Brest showed no QPV, with nothing saying that none was loaded outside
    Provence-Alpes-Côte d'Azur: a person may conclude there is none near her."""
    page = " ".join(html.unescape(client.get(f"/carte?qpv={vintage}").text).split())
    notice = re.search(r'id="carte-qpv-couverture">(.*?)</p>', page).group(1)
    assert f"QPV {vintage}" in notice and "ne veut pas dire qu'il n'y en a pas" in notice
    assert f"chargés seulement pour la région {region}" in notice
