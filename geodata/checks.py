"""Check one location under a policy: what the CLI and the web call, without Flask.

A location comes as coordinates, or as an address the BAN geocoder places; either way the
verdict is the engine's, and a geocoded one carries what the geocoder said (label, score,
type) so that a weak match is flagged "à vérifier".
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import Engine

from geodata.commune_lookup import CODE, CommuneEntry, CommuneLookupError, names_surely
from geodata.eligibility import EligibilityError, Verdict, classify, verdict
from geodata.eligibility.engine import PRECISIONS
from geodata.eligibility.provenance import qpv_sources_at
from geodata.french import TYPED_DECIMAL, metres
from geodata.geocoder import AddressRefused, BanClient, GeocoderError, GeocodeResult
from geodata.geometry import rfc7946_polygons
from geodata.policy import load_policy
from geodata.storage.communes import commune_directory, commune_point
from geodata.storage.reference import commune_parents, loaded_versions, reference_index
from geodata.territories import (
    TerritoryError,
    coordinate_hint,
    coordinates_in,
    territory_of_lonlat,
)

if TYPE_CHECKING:  # batches only: a single check starts without polars
    from geodata.eligibility.addresses import Geocoding

__all__ = [
    "LOW_SCORE",
    "AddressError",
    "AddressNotFound",
    "Check",
    "CommuneChoice",
    "CommuneUnknown",
    "LocationError",
    "address_geocoding",
    "check_address",
    "check_commune",
    "check_location",
    "check_point",
    "datasets_used",
    "map_features",
    "parse_coordinate",
]

LOW_SCORE = 0.5
"""Below this BAN score, the match is shown but flagged "à vérifier"."""


class LocationError(ValueError):
    """A location the service cannot check; ``parameter`` names the culprit."""

    def __init__(self, message: str, parameter: str):
        super().__init__(message)
        self.parameter = parameter


class AddressError(LocationError):
    """An address the BAN does not geocode: empty, of only punctuation or emoji, too short or
    too long (``geodata.geocoder.query_problem``), or refused by the BAN itself."""

    def __init__(self, message: str):
        super().__init__(message, "address")


class AddressNotFound(LocationError):
    """A geocodable address the BAN does not find: the request was well formed."""

    def __init__(self, message: str):
        super().__init__(message, "address")


class CommuneUnknown(LocationError):
    """The address service is unreachable and no commune of the list is named in the text
    (or the commune has no contour): the person clicks on the map or types coordinates."""

    def __init__(self, message: str, parameter: str = "address"):
        super().__init__(message, parameter)


class CommuneChoice(LocationError):
    """The address service is unreachable and the text names several communes (homonyms):
    the person chooses one (``choices``), the service never picks one silently."""

    def __init__(self, message: str, choices: list[CommuneEntry]):
        super().__init__(message, "address")
        self.choices = choices


@dataclass(frozen=True)
class Provenance:
    """Where the QPV half of a verdict comes from: the outline sources complete where the
    location lies, the sentence saying none is loaded there, and whether the official list
    of communes with a QPV was read (with its label) and what it says of the commune."""

    qpv_sources: tuple[str, ...] = ()
    qpv_source_ids: tuple[int, ...] = ()  # their dataset versions
    qpv_missing: str | None = None
    hosting_source: str | None = None
    commune_hosts_qpv: bool | None = None
    region: str | None = None
    departement: str | None = None


@dataclass(frozen=True)
class Check:
    """A verdict, and the geocoding that placed it when it came from an address."""

    verdict: Verdict
    geocoding: GeocodeResult | None = None
    dataset_versions: tuple[dict, ...] = ()  # what the engine's index was read from
    provenance: Provenance = Provenance()
    fallback: str | None = None  # why the location is its commune's point (BAN unreachable)

    @property
    def low_score(self) -> bool:
        return self.geocoding is not None and self.geocoding.score < LOW_SCORE

    def as_dict(self) -> dict:
        """The contract's keys, plus a ``geocoding`` object for an address."""
        data = dict(self.verdict.row)
        if self.geocoding is not None:
            g = self.geocoding
            data["geocoding"] = {
                "query": g.query, "label": g.label, "score": g.score, "type": g.result_type,
                "precision": g.precision, "citycode": g.citycode, "low_score": self.low_score,
            }
        return data


def parse_coordinate(text: str | None, name: str) -> float:
    """A coordinate typed by a person or sent by a client ("5,4034" accepted)."""
    text = (text or "").strip()
    if not text:
        raise LocationError(f"paramètre manquant : {name}", name)
    not_a_number = LocationError(f"{name} doit être un nombre (degrés décimaux WGS84), reçu "
                                 f"« {text[:40]} »", name)
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise not_a_number from None
    if not math.isfinite(value):
        raise LocationError(f"{name} doit être un nombre fini", name)
    if not TYPED_DECIMAL.fullmatch(text):  # float() also reads "1_0" and other scripts' digits
        raise not_a_number
    return value


def check_point(engine: Engine, policy_name: str, lon: float, lat: float,
                precision: str = "point", commune_code: str | None = None) -> Check:
    """The verdict at (lon, lat) WGS84; raises LocationError / PolicyError on bad input."""
    if not -180 <= lon <= 180:
        raise LocationError(f"longitude hors limites (-180 à 180){coordinate_hint(lon, lat)}",
                            "lon")
    if not -90 <= lat <= 90:
        raise LocationError(f"latitude hors limites (-90 à 90){coordinate_hint(lon, lat)}",
                            "lat")
    if precision not in PRECISIONS:
        raise LocationError(f"précision inconnue (attendu : {', '.join(PRECISIONS)})",
                            "precision")
    policy = load_policy(policy_name)
    index = reference_index(engine, policy.qpv_vintage)
    commune_code = _commune_of(engine, commune_code)
    result = classify(index, policy, [lon], [lat], [precision],
                      commune_codes=[commune_code] if commune_code else None)
    found = verdict(result, 0)
    if found.row["error"]:
        raise EligibilityError(found.row["error"])
    return Check(found, dataset_versions=index.dataset_versions,
                 provenance=_provenance(index, int(result.commune[0]), found.row,
                                        (int(result.qpv[0]), int(result.nearest[0]))))


def _provenance(index, commune: int, row: dict, measured: tuple[int, ...]) -> Provenance:
    """The sources of the QPV half at this location (``geodata.eligibility.provenance``)."""
    communes = index.communes
    region = str(communes.regions[commune]) if commune >= 0 else None
    departement = str(communes.departements[commune]) if commune >= 0 else None
    positions, missing = qpv_sources_at(index.qpv, region, departement, communes.region_names,
                                        measured)
    hosting = index.qpv.hosting_communes
    undecided = row["in_qpv"] is None or row["near_qpv"] is None
    read_list = hosting is not None and (undecided or missing is not None)
    return Provenance(tuple(index.qpv.sources[p] for p in positions),
                      tuple(index.qpv.source_ids[p] for p in positions
                            if p < len(index.qpv.source_ids)),
                      missing, index.qpv.hosting_source if read_list else None,
                      (row["commune_code"] in hosting) if read_list and row["commune_code"]
                      else None, region, departement)


def datasets_used(engine: Engine, check: Check) -> list:
    """The dataset versions in service that decided this verdict: the communes' data, the
    QPV outline sources complete where it lies (and the one holding the QPV found) and
    the official list of communes with a QPV when it was read."""
    wanted = {v["id"] for v in check.dataset_versions}
    provenance = check.provenance
    used = []
    for version in loaded_versions(engine) or []:
        if version.id not in wanted:
            continue
        if version.dataset == "qpv" and version.id not in provenance.qpv_source_ids:
            continue
        if version.dataset == "qpv-communes" and provenance.hosting_source is None:
            continue
        used.append(version)
    return used


def check_commune(engine: Engine, policy_name: str, code: str,
                  fallback: str | None = None) -> Check:
    """The verdict at a commune's point (its contour's representative point), at commune
    precision: what a person chose among homonyms, or the fallback of an address."""
    load_policy(policy_name)
    entry = commune_directory(engine).by_code.get(code.strip().casefold())
    point = commune_point(engine, entry.code) if entry else None
    if point is None:
        raise CommuneUnknown(f"commune inconnue ou sans contour chargé : « {code[:12]} »",
                             "commune")
    checked = check_point(engine, policy_name, *point, "commune", entry.code)
    return replace(checked, fallback=fallback)


def _commune_fallback(engine: Engine, policy_name: str, address: str,
                      failure: GeocoderError, postcodes: Mapping | None) -> Check:
    """The BAN cannot be reached: the commune named in ``address``, at commune precision,
    or the reason why none can be used."""
    way_out = "cliquez sur la carte ou tapez la longitude et la latitude"
    try:
        found = commune_directory(engine).find(address, postcodes)
    except CommuneLookupError:
        found = []
    if not found:
        raise CommuneUnknown(f"{failure} ; aucune commune reconnue dans « {address[:80]} » : "
                             f"indiquez le nom ou le code INSEE de la commune, ou {way_out}")
    if len(found) > 1 and CODE.match(address.strip().lower()):
        raise CommuneChoice(f"Base Adresse Nationale injoignable ; « {address.strip()} » est le "
                            f"code postal ou le code INSEE de plusieurs communes : choisissez la "
                            f"vôtre, ou {way_out}", found)
    if len(found) > 1:
        raise CommuneChoice(f"Base Adresse Nationale injoignable ; plusieurs communes s'appellent "
                            f"« {found[0].name} » : choisissez la vôtre, ou {way_out}", found)
    entry = found[0]
    if not names_surely(address, found):
        raise CommuneChoice(f"Base Adresse Nationale injoignable ; sans code postal, « "
                            f"{entry.name} » peut être le dernier mot de la rue plutôt que la "
                            f"commune : confirmez-la, ou ajoutez le code postal, ou {way_out}",
                            found)
    note = (f"Base Adresse Nationale injoignable : lieu pris au centre de la commune "
            f"{entry.name} ({entry.code}), précision commune")
    return check_commune(engine, policy_name, entry.code, fallback=note)


def check_address(engine: Engine, geocoder: BanClient, policy_name: str,
                  address: str, *, commune_fallback: bool = False,
                  postcodes: Mapping | None = None) -> Check:
    """Geocode ``address`` with the BAN, then check the point it gives; when the BAN cannot
    be reached, GeocoderError, or with ``commune_fallback`` (a person is reading) the
    commune the address names (``_commune_fallback``; ``postcodes``: postal code -> INSEE
    codes, ``geodata.postcodes``)."""
    load_policy(policy_name)  # an unknown policy is refused before any geocoding
    try:  # an address the BAN would refuse (``query_problem``) is refused before sending
        found = geocoder.search(address)
    except AddressRefused as error:
        raise AddressError(str(error)) from None
    except GeocoderError as failure:
        if not commune_fallback:
            raise
        return _commune_fallback(engine, policy_name, address, failure, postcodes)
    if found is None:
        raise AddressNotFound(f"adresse introuvable dans la Base Adresse Nationale : "
                              f"« {address} »")
    checked = check_point(engine, policy_name, found.lon, found.lat, found.precision,
                          found.citycode)
    return replace(checked, geocoding=found)


def check_location(engine: Engine, geocoder: BanClient, policy_name: str, *,
                   address: str | None = None, lon: float | None = None,
                   lat: float | None = None, commune: str | None = None,
                   commune_fallback: bool = False, postcodes: Mapping | None = None) -> Check:
    """The verdict at a chosen commune, else at an address when one is given (falling back
    on its commune if asked, ``check_address``; two decimal numbers typed there are
    coordinates, ``coordinates_in``), else at (lon, lat)."""
    if commune:
        return check_commune(engine, policy_name, commune)
    if address and (typed := coordinates_in(address)) is not None:
        return check_point(engine, policy_name, *typed)
    if address:
        return check_address(engine, geocoder, policy_name, address,
                             commune_fallback=commune_fallback, postcodes=postcodes)
    return check_point(engine, policy_name, lon, lat)


def _commune_of(engine: Engine, code: str | None) -> str | None:
    """A commune code; a municipal arrondissement's (Paris, Lyon, Marseille) becomes its
    commune's, since the engine works with communes."""
    if not code:
        return None
    return commune_parents(engine).get(code, code)


def address_geocoding(engine: Engine, client: BanClient,
                      postcodes: Mapping | None = None) -> Geocoding:
    """What a batch of addresses is geocoded with: the BAN client, the low-score threshold
    of single checks, each municipal arrondissement's commune, and the communes a row names
    when the BAN is out of reach (``postcodes``: a postal code typed alone)."""
    from geodata.eligibility.addresses import Geocoding

    directory = commune_directory(engine)
    return Geocoding(client, LOW_SCORE, commune_parents(engine),
                     communes=partial(directory.find, postcodes=postcodes),
                     commune_point=partial(commune_point, engine))


def map_features(engine: Engine, check: Check) -> dict:
    """GeoJSON (WGS84, RFC 7946) for a small map of a verdict: the commune, the nearest QPV
    and its D band (buffered in metres in the territory's CRS), and the location itself."""
    row = check.verdict.row
    policy = load_policy(row["policy"])
    index = reference_index(engine, policy.qpv_vintage)
    features = []
    territory = next((t for code, t in index.territories.items()
                      if code == _territory_code(row["lon"], row["lat"])), None)
    if territory is not None:
        back = Transformer.from_crs(territory.territory.epsg, 4326, always_xy=True)

        def wgs84(geometry):
            return shapely.transform(geometry, lambda c: np.column_stack(
                back.transform(c[:, 0], c[:, 1])))

        def add(kind: str, geometry, label: str) -> None:
            (polygons,) = rfc7946_polygons([wgs84(geometry)])  # valid, counter-clockwise
            if polygons is not None:
                features.append({"type": "Feature", "properties": {"kind": kind,
                                                                   "label": label},
                                 "geometry": json.loads(shapely.to_geojson(polygons))})

        if row["commune_code"]:
            commune = index.commune_position(row["commune_code"])
            local = np.searchsorted(territory.commune_rows, commune)
            if local < len(territory.commune_rows) and territory.commune_rows[local] == commune:
                add("commune", territory.commune_geometries[local],
                    f"{row['commune_name']} ({row['commune_code']})")
        code = row["qpv_code"] or row["nearest_qpv_code"]
        if code:
            local = list(index.qpv.codes[territory.qpv_rows]).index(code)
            outline = territory.qpv_geometries[local]
            add("band", shapely.buffer(outline, policy.proximity_m),
                f"{metres(policy.proximity_m)} autour de {code}")
            add("qpv", outline, f"QPV {code} « {index.qpv.names[territory.qpv_rows[local]]} »")
    features.append({"type": "Feature", "properties": {"kind": "location", "label": "Lieu"},
                     "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}})
    return {"type": "FeatureCollection", "features": features}


def _territory_code(lon: float, lat: float) -> str | None:
    try:
        return territory_of_lonlat(lon, lat).code
    except TerritoryError:
        return None
