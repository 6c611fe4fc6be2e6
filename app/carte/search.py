"""« Les Fabriques les plus proches » of a commune, a postal code or an address, for the map
page and ``/api/v1/fabriques/proches``.

An INSEE code or a postal code is looked up among the loaded communes (postal codes from the
COG file the communes were loaded from); anything else goes to the Base Adresse Nationale
(``app.db.get_geocoder``). When the BAN is out of reach, or finds nothing, the text is looked
up among the communes' names, and the answer says so. Distances: ``geodata.nearest``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.db import get_engine, get_geocoder, postcodes
from geodata.commune_lookup import CommuneLookupError
from geodata.geocoder import AddressRefused, GeocoderError
from geodata.nearest import NearestError, NearFabrique, nearest_fabriques, normalised
from geodata.policy import Policy
from geodata.storage.commune_points import find_communes
from geodata.storage.communes import commune_directory
from geodata.storage.laureates import laureate_table

__all__ = ["BAN_DOWN", "Found", "SearchError", "nearest_to", "search_place"]

BAN_DOWN = ("Base Adresse Nationale injoignable : le lieu est cherché parmi les noms des "
            "communes, et les distances partent du centre de la commune.")
NOT_BY_BAN = ("Adresse introuvable dans la Base Adresse Nationale : le lieu est cherché parmi "
              "les noms des communes.")
_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$", re.IGNORECASE)


class SearchError(ValueError):
    """A place that cannot be found; ``status`` and ``code`` for the API."""

    def __init__(self, message: str, parameter: str | None, status: int = 422,
                 code: str = "lieu-introuvable"):
        super().__init__(message)
        self.parameter, self.status, self.code = parameter, status, code


@dataclass(frozen=True)
class Found:
    """The place a search found and the Fabriques nearest it."""

    label: str
    lon: float
    lat: float
    source: str  # ban, communes, coordinates
    precision: str
    warning: str | None = None
    fabriques: list[NearFabrique] = field(default_factory=list)


def _by_commune(text: str, warning: str | None) -> Found | None:
    """The commune ``text`` names: its code, its postal code, its name, or the commune that
    closes an address (« 2 rue de la Paix Paris », as ``/verifier`` reads it); None when none.
    A name that several communes bear is a SearchError listing them: « Saint-Denis » gave
    La Réunion's, the most populated, to someone in Seine-Saint-Denis."""
    engine = get_engine()
    matches = find_communes(engine, text, postcodes(), limit=10)
    if matches:
        homonyms = [m for m in matches
                    if m.matched == "name" and normalised(m.name) == normalised(text)]
    else:
        try:
            named = commune_directory(engine).find(text)
        except CommuneLookupError:
            named = []
        matches = homonyms = [m for entry in named
                              for m in find_communes(engine, entry.code, limit=1)]
        if not matches:
            return None
    if len(homonyms) > 1:
        raise SearchError(
            f"« {text} » désigne {len(homonyms)} communes : " + ", ".join(
                f"{m.name} ({m.code}, département {m.departement})" for m in homonyms)
            + " : précisez le code postal ou le code INSEE", "q", 422, "commune-ambigue")
    commune = matches[0]
    return Found(f"{commune.name} ({commune.code})", commune.lon, commune.lat, "communes",
                 "commune", warning)


def search_place(text: str) -> Found:
    """The place ``text`` names: a commune by its INSEE or postal code, else the BAN's best
    answer, else a commune by its name; SearchError when none is found."""
    query = " ".join((text or "").split())
    if not query:
        raise SearchError("indiquez une commune, un code postal ou une adresse", "q", 400,
                          "parametre-manquant")
    if _CODE.match(query):
        found = _by_commune(query, None)
        if found is not None:
            return found
    warning = None
    try:
        result = get_geocoder().search(query)
    except AddressRefused as error:
        raise SearchError(str(error), "q", 400, "adresse-invalide") from None
    except GeocoderError:
        result, warning = None, BAN_DOWN
    if result is not None:
        return Found(result.label, result.lon, result.lat, "ban", result.precision)
    found = _by_commune(query, warning or NOT_BY_BAN)
    if found is None:
        raise SearchError(f"aucun lieu trouvé pour « {query} »"
                          + (f" ({warning})" if warning else ""), "q")
    return found


def nearest_to(found: Found, policy: Policy, n: int, *, ties: bool = False) -> Found:
    """``found`` with the ``n`` Fabriques nearest it (the map's own: ``laureate_table``),
    and with ``ties`` those as near as the n-th (``geodata.nearest``)."""
    try:
        near = nearest_fabriques(laureate_table(get_engine(), policy), found.lon, found.lat, n,
                                 ties=ties)
    except NearestError as error:
        if error.parameter == "n":
            raise SearchError(str(error), "n", 400, "parametre-invalide") from None
        # Outside every territory: the place searched for (q), or the pair of coordinates.
        raise SearchError(str(error), None if found.source == "coordinates" else "q", 422,
                          "hors-territoire") from None
    return Found(found.label, found.lon, found.lat, found.source, found.precision,
                 found.warning, near)
