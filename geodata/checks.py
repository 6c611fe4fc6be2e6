"""Check one location under a policy: what the CLI and the web call, without Flask.

A location comes as coordinates, or as an address the BAN geocoder places; either way the
verdict is the engine's, and a geocoded one carries what the geocoder said (label, score,
type) so that a weak match is flagged "à vérifier".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import Engine

from geodata.eligibility import EligibilityError, Verdict, classify, verdict
from geodata.eligibility.addresses import Geocoding
from geodata.eligibility.engine import PRECISIONS
from geodata.geocoder import AddressRefused, BanClient, GeocodeResult
from geodata.policy import load_policy
from geodata.storage.reference import arrondissement_parents, reference_index
from geodata.territories import TerritoryError, territory_of_lonlat

__all__ = [
    "LOW_SCORE",
    "AddressError",
    "AddressNotFound",
    "Check",
    "LocationError",
    "address_geocoding",
    "check_address",
    "check_location",
    "check_point",
    "map_features",
    "parse_coordinate",
]

LOW_SCORE = 0.5
"""Below this BAN score, the match is shown but flagged "à vérifier"."""
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A coordinate as typed or sent: ASCII digits, a decimal point or comma, an exponent."""


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


@dataclass(frozen=True)
class Check:
    """A verdict, and the geocoding that placed it when it came from an address."""

    verdict: Verdict
    geocoding: GeocodeResult | None = None
    dataset_versions: tuple[dict, ...] = ()  # what the engine's index was read from

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
                                 f"{text[:40]!r}", name)
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise not_a_number from None
    if not math.isfinite(value):
        raise LocationError(f"{name} doit être un nombre fini", name)
    if not DECIMAL.fullmatch(text):  # float() also reads "1_0" and other scripts' digits
        raise not_a_number
    return value


def check_point(engine: Engine, policy_name: str, lon: float, lat: float,
                precision: str = "point", commune_code: str | None = None) -> Check:
    """The verdict at (lon, lat) WGS84; raises LocationError / PolicyError on bad input."""
    if not -180 <= lon <= 180:
        raise LocationError("longitude hors limites (-180 à 180)", "lon")
    if not -90 <= lat <= 90:
        raise LocationError("latitude hors limites (-90 à 90)", "lat")
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
    return Check(found, dataset_versions=index.dataset_versions)


def check_address(engine: Engine, geocoder: BanClient, policy_name: str,
                  address: str) -> Check:
    """Geocode ``address`` with the BAN, then check the point it gives."""
    load_policy(policy_name)  # an unknown policy is refused before any geocoding
    try:  # an address the BAN would refuse (``query_problem``) is refused before sending
        found = geocoder.search(address)
    except AddressRefused as error:
        raise AddressError(str(error)) from None
    if found is None:
        raise AddressNotFound(f"adresse introuvable dans la Base Adresse Nationale : "
                              f"{address!r}")
    checked = check_point(engine, policy_name, found.lon, found.lat, found.precision,
                          found.citycode)
    return Check(checked.verdict, found, checked.dataset_versions)


def check_location(engine: Engine, geocoder: BanClient, policy_name: str, *,
                   address: str | None = None, lon: float | None = None,
                   lat: float | None = None) -> Check:
    """The verdict at an address when one is given, else at (lon, lat)."""
    if address:
        return check_address(engine, geocoder, policy_name, address)
    return check_point(engine, policy_name, lon, lat)


def _commune_of(engine: Engine, code: str | None) -> str | None:
    """A commune code; a municipal arrondissement's (Paris, Lyon, Marseille) becomes its
    commune's, since the engine works with communes."""
    if not code:
        return None
    return arrondissement_parents(engine).get(code, code)


def address_geocoding(engine: Engine, client: BanClient) -> Geocoding:
    """What a batch of addresses is geocoded with: the BAN client, the low-score threshold
    of single checks, and each municipal arrondissement's commune."""
    return Geocoding(client, LOW_SCORE, arrondissement_parents(engine))


def map_features(engine: Engine, check: Check) -> dict:
    """GeoJSON (WGS84) for a small map of a verdict: the commune, the nearest QPV and its
    D band (buffered in metres in the territory's CRS), and the location itself."""
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
            features.append({"type": "Feature", "properties": {"kind": kind, "label": label},
                             "geometry": json.loads(shapely.to_geojson(wgs84(geometry)))})

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
                f"{policy.proximity_m:.0f} m autour de {code}")
            add("qpv", outline, f"QPV {code} « {index.qpv.names[territory.qpv_rows[local]]} »")
    features.append({"type": "Feature", "properties": {"kind": "location", "label": "Lieu"},
                     "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}})
    return {"type": "FeatureCollection", "features": features}


def _territory_code(lon: float, lat: float) -> str | None:
    try:
        return territory_of_lonlat(lon, lat).code
    except TerritoryError:
        return None
