"""« Les Fabriques les plus proches » of a commune, a postal code or an address, for the map
page and ``/api/v1/fabriques/proches``.

An INSEE code or a postal code, or a commune's label (« Saint-Denis (97411) »), is looked up
among the loaded communes (``CommuneDirectory``, as ``/verifier`` reads them; postal codes
from the COG file the communes were loaded from); a département's name (« La Réunion »,
« Guadeloupe ») is a choice between it and the communes of that name (``PlaceChoice``);
anything else goes to the Base Adresse Nationale (``app.db.get_geocoder``). When the BAN is
out of reach, or finds nothing, the text is looked up among the communes' names, and the
answer says so. Several communes are a choice too, never one picked silently. A commune's
point is ``commune_points``', where the map places its Fabriques; distances:
``geodata.nearest``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from app.db import get_engine, get_geocoder, postcodes
from geodata.commune_lookup import CommuneDirectory, CommuneEntry, CommuneLookupError, normalise
from geodata.geocoder import AddressRefused, GeocoderError
from geodata.nearest import NearestError, NearFabrique, nearest_fabriques
from geodata.policy import Policy
from geodata.storage.commune_points import commune_points, find_communes
from geodata.storage.communes import commune_directory
from geodata.storage.laureates import laureate_table
from maps.fabriques import View

__all__ = ["BAN_DOWN", "Choice", "Found", "PlaceChoice", "SearchError", "departement_view",
           "nearest_to", "search_place"]

BAN_DOWN = ("Base Adresse Nationale injoignable : le lieu est cherché parmi les noms des "
            "communes, et les distances partent du centre de la commune.")
NOT_BY_BAN = ("Adresse introuvable dans la Base Adresse Nationale : le lieu est cherché parmi "
              "les noms des communes.")
_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$", re.IGNORECASE)
_LABEL = re.compile(r"^(.+?)\s*\(((?:\d{5}|2[AB]\d{3}))\)$", re.IGNORECASE)


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


@dataclass(frozen=True)
class Choice:
    """A place a search may mean: a commune, or a département (its Fabriques)."""

    kind: str  # commune, departement
    code: str
    name: str
    departement: str | None = None
    departement_name: str | None = None

    @property
    def label(self) -> str:
        """« Saint-Denis (97411) », which the search reads back as that very commune."""
        return f"{self.name} ({self.code})"


class PlaceChoice(SearchError):
    """A text that names several places (homonyms, a département and a commune), or a
    département: the person chooses (``choices``), the service never picks one silently."""

    def __init__(self, message: str, choices: list[Choice], code: str):
        super().__init__(message, "q", 422, code)
        self.choices = choices


def _commune_choice(entry: CommuneEntry) -> Choice:
    return Choice("commune", entry.code, entry.name, entry.departement, entry.departement_name)


def _ambiguous(text: str, choices: list[Choice]) -> PlaceChoice:
    """The choice among ``choices``, all communes or not, said for the API too."""
    if all(choice.kind == "commune" for choice in choices):
        return PlaceChoice(f"« {text} » désigne {len(choices)} communes : " + ", ".join(
            f"{c.name} ({c.code}, département {c.departement})" for c in choices)
            + " : précisez le code postal ou le code INSEE", choices, "commune-ambigue")
    if len(choices) == 1:
        only = choices[0]
        return PlaceChoice(f"« {text} » est le département {only.label} : ses Fabriques sont "
                           f"celles de /api/v1/fabriques?departement={only.code}", choices,
                           "departement")
    return PlaceChoice(f"« {text} » désigne " + " ou ".join(
        f"le département {c.label}" if c.kind == "departement"
        else f"la commune {c.name} ({c.code}, département {c.departement})" for c in choices)
        + " : précisez le code postal ou le code INSEE de la commune", choices, "lieu-ambigu")


def _at_commune(entry: CommuneEntry, warning: str | None) -> Found | None:
    """The search's answer at the commune's point (``commune_points``), None without one."""
    point = find_communes(get_engine(), entry.code, limit=1)  # by INSEE code only
    if not point:
        return None
    return Found(f"{entry.name} ({entry.code})", point[0].lon, point[0].lat, "communes",
                 "commune", warning)


def _by_commune(text: str, warning: str | None) -> Found | None:
    """The commune ``text`` names (``CommuneDirectory.find``, as ``/verifier`` reads it): its
    code, its postal code, its name, or the commune that closes an address (« 2 rue de la
    Paix Paris »); else the most populated whose name begins with or holds ``text``; None
    when none. Several communes (homonyms, a code that is the postal code of some and the
    INSEE code of another) are a PlaceChoice: « Saint-Denis » gave La Réunion's, the most
    populated, to someone in Seine-Saint-Denis."""
    engine = get_engine()
    try:
        named = commune_directory(engine).find(text, postcodes())
    except CommuneLookupError:
        named = []
    if len(named) > 1:
        raise _ambiguous(text, [_commune_choice(entry) for entry in named])
    if named:
        return _at_commune(named[0], warning)
    partly = find_communes(engine, text, postcodes(), limit=1)
    return Found(f"{partly[0].name} ({partly[0].code})", partly[0].lon, partly[0].lat,
                 "communes", "commune", warning) if partly else None


def _by_label(directory: CommuneDirectory, text: str) -> CommuneEntry | None:
    """The commune of a label « Saint-Denis (97411) », as the search writes it and a choice
    links to it: its INSEE code, when it bears that name."""
    labelled = _LABEL.match(text)
    entry = labelled and directory.by_code.get(labelled.group(2).casefold())
    return entry if entry and normalise(entry.name) == normalise(labelled.group(1)) else None


def _departement_choice(directory: CommuneDirectory, text: str) -> None:
    """A PlaceChoice when ``text`` names a département (« La Réunion », « Guadeloupe »):
    the département, and the communes of that very name elsewhere (La Réunion, Lot-et-
    Garonne). A département that holds the commune of its name (Paris) is that commune."""
    same_name = directory.by_name.get(" ".join(normalise(text)), [])
    codes = [code for code in directory.departements_named(text)
             if not any(entry.departement == code for entry in same_name)]
    if codes:
        raise _ambiguous(text, [Choice("departement", code, directory.departement_names.get(
            code, code), code) for code in codes] + [_commune_choice(e) for e in same_name])


def search_place(text: str) -> Found:
    """The place ``text`` names: a commune by its label, INSEE or postal code, a département
    (PlaceChoice), else the BAN's best answer, else a commune by its name; SearchError when
    none is found."""
    query = " ".join((text or "").split())
    if not query:
        raise SearchError("indiquez une commune, un code postal ou une adresse", "q", 400,
                          "parametre-manquant")
    directory = commune_directory(get_engine())
    labelled = _by_label(directory, query)
    if labelled is not None and (found := _at_commune(labelled, None)) is not None:
        return found
    if _CODE.match(query):
        found = _by_commune(query, None)
        if found is not None:
            return found
    _departement_choice(directory, query)
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


def departement_view(code: str) -> View | None:
    """The map's view of a département: its communes' points, at the greatest zoom that
    shows them in 300 pixels (a phone's map)."""
    communes = commune_points(get_engine())
    points = [point for point, departement in zip(communes.points, communes.departements,
                                                  strict=True)
              if departement == code and point is not None]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    lat = (min(lats) + max(lats)) / 2
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) / math.cos(math.radians(lat)),
               0.01)
    zoom = max(5, min(12, math.floor(math.log2(300 * 360 / (256 * span)))))
    return View(lat=round(lat, 4), lon=round((min(lons) + max(lons)) / 2, 4), zoom=zoom)


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
