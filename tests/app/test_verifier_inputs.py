"""What a person types in ``/verifier`` that is not what the form asks: coordinates in the
address field, latitude first, an address and coordinates both. Found by an outside audit of
the public pages: typed coordinates were ignored while the address field held something, and
the page's own advice (« tapez la longitude et la latitude ») led back to the same error."""

from __future__ import annotations

import html
import re

import pytest

from geodata.territories import TerritoryError, territory_of_lonlat
from tests.app.test_api import api_app, client  # noqa: F401 - real layers + local BAN
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

MARSEILLE = "Territoire éligible : en QPV ou à sa proximité immédiate"
AMIENS = "8 Boulevard du Port 80000 Amiens"  # known to the local BAN


def text(page) -> str:
    return " ".join(html.unescape(page.text).split())


@pytest.mark.parametrize("typed", ["5.4034,43.3305", "43.3305, 5.4034", "5,4034 ; 43,3305",
                                   "43,3305, 5,4034"])  # decimal commas, comma and space
def test_coordinates_typed_as_the_address_are_checked_as_such(client, typed):  # noqa: F811
    """In either order: a map application copies the latitude first."""
    page = client.get("/verifier", query_string={"address": typed})
    assert page.status_code == 200 and MARSEILLE in text(page)
    assert "5,40340 ; 43,33050" in text(page) or "5,4034" in text(page)


def test_a_swapped_point_says_the_order_that_would_be_in_france(client):  # noqa: F811
    page = client.get("/verifier?lon=43.3305&lat=5.4034")
    assert page.status_code == 422
    assert "longitude et latitude inversées ? Dans l'autre ordre (5,40340 ; 43,33050), le " \
        "point est en France métropolitaine" in text(page)
    answer = client.get("/api/v1/eligibility?lon=43.3305&lat=5.4034")
    assert "inversées" in answer.json["error"]["message"]


def test_an_address_and_coordinates_both_ask_which_to_check(client):  # noqa: F811
    page = client.get("/verifier", query_string={
        "address": AMIENS, "lon": "5.4034", "lat": "43.3305", "policy": "current"})
    assert page.status_code == 400
    said = text(page)
    assert "Adresse ou coordonnées ?" in said and 'role="alert"' in page.text
    assert "<title>Choix à faire — Vérifier un lieu" in page.text  # not « Erreur »
    links = dict((label, href) for href, label in re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a></li>', html.unescape(page.text)))
    coordinates = next(href for label, href in links.items() if label.startswith("Les coo"))
    address = next(href for label, href in links.items() if label.startswith("L'adresse"))
    assert "address" not in coordinates and "policy=current" in coordinates
    assert "lon" not in address and "policy=current" in address
    assert MARSEILLE in text(client.get(coordinates))
    alone = client.get(address)
    assert alone.status_code == 200 and "Adresse trouvée" in alone.text
    for field in ("address", "lon", "lat"):
        assert f'id="{field}" name="{field}"' in page.text
    # a pasted page of text stops at 1,000 characters: past 4,000 the URL's 414 page had no
    # form (what was typed was lost), past 8 KB gunicorn answered in English
    assert 'autocomplete="street-address" maxlength="1000"' in page.text


def test_lambert_93_metres_given_for_degrees_are_named(client, tmp_path):  # noqa: F811
    """A GIS export's eastings and northings: « hors limites » said nothing of why."""
    answer = client.get("/api/v1/eligibility?lon=894000&lat=6240000")
    assert answer.status_code == 400 and "Lambert-93" in answer.json["error"]["message"]
    batch = client.post("/api/v1/eligibility/batch?format=json",
                        data=b"id,lon,lat\na,894000,6240000\nb,5.4034,43.3305\n",
                        content_type="text/csv")
    first, second = batch.json["rows"]
    assert "Lambert-93 (EPSG:2154), pas des degrés" in first["error"]
    assert second["category"] == "qpv"


def test_a_loaders_point_in_no_territory_says_why():
    """The laureates' and places' loaders place each point with ``territory_of_lonlat``."""
    with pytest.raises(TerritoryError, match="Lambert-93"):
        territory_of_lonlat(732799.5, 6558970.7)
    with pytest.raises(TerritoryError, match="inversées"):
        territory_of_lonlat(-20.88, 55.45)  # La Réunion, latitude first
