"""Where a dossier is: its coordinates, or its address placed by the BAN's batch search; the
place a former import found, kept when the BAN cannot be asked; and what the address says
beside the place (the commune it names: its département for a dossier not placed, a point
given in another commune to be checked). ``loaders.dossiers`` imports with them.
"""

from __future__ import annotations

from sqlalchemy import Engine

from geodata.commune_lookup import CommuneLookupError
from geodata.dossiers.records import DossierInput
from geodata.french import agreed
from geodata.geocoder import GeocoderError, GeocodeResult
from geodata.storage.communes import commune_directory
from geodata.storage.dossiers import find_dossiers, stored_departements, stored_places

__all__ = ["UNREACHABLE", "departements_changed", "keep_known_places", "locate",
           "read_addresses", "some_numbers"]

UNREACHABLE = "Base Adresse Nationale injoignable"


def some_numbers(numbers) -> str:
    """The first ten dossier numbers, for a note (« … » when there are more)."""
    numbers = sorted(numbers)
    return ", ".join(map(str, numbers[:10])) + (" …" if len(numbers) > 10 else "")


def locate(dossiers: list[DossierInput], geocoder):
    """``number -> (lon, lat, precision, label, citycode)`` for the dossiers placed, why the
    others are not, and why the BAN could not be asked (None when it could)."""
    places, why, failure = {}, {}, None
    for dossier in dossiers:
        if dossier.lon is not None:
            places[dossier.number] = (dossier.lon, dossier.lat, "point", None, None)
    asked = [d for d in dossiers if d.lon is None and d.address]
    for dossier in dossiers:
        if dossier.lon is None and not dossier.address:
            why[dossier.number] = "ni coordonnées ni adresse dans le dossier"
    if not asked:
        return places, why, failure
    try:
        found = geocoder.search_csv([{"adresse": d.address} for d in asked], ["adresse"])
    except GeocoderError as error:
        failure = str(error)
        found = [error] * len(asked)
    for dossier, result in zip(asked, found, strict=True):
        if isinstance(result, GeocodeResult):
            places[dossier.number] = (result.lon, result.lat, result.precision, result.label,
                                      result.citycode)
        elif isinstance(result, GeocoderError):
            why[dossier.number] = UNREACHABLE
        else:
            why[dossier.number] = f"adresse introuvable dans la BAN : « {dossier.address} »"
    return places, why, failure


def keep_known_places(engine: Engine, dossiers: list[DossierInput], places: dict,
                       not_located: dict) -> dict[int, dict]:
    """A dossier the BAN could not be asked for keeps what a former import of the same
    address found: its place, or its territorial answer when it had none (returned), so
    that a geocoder out of reach loses nothing."""
    unreached = {number for number, why in not_located.items() if why == UNREACHABLE}
    kept: dict[int, dict] = {}
    known = stored_places(engine, unreached) if unreached else {}
    for dossier in dossiers:
        stored = known.get(dossier.number)
        if stored is None or stored[0] != dossier.address:
            continue
        address, lon, lat, precision, label, commune, territory = stored
        if lon is not None:
            places[dossier.number] = (lon, lat, precision, label, commune)
            del not_located[dossier.number]
        elif territory is not None:
            kept[dossier.number] = territory
    return kept


def read_addresses(engine: Engine, values: list[dict], notes: list[str]) -> None:
    """What a dossier's address says beside its place, by the commune it names (when its
    name and postcode leave one): a dossier without a commune (not located) takes that
    commune's département, so that its prefecture sees it and gives the avis asked; a point
    given by the applicant that lies in another commune leaves the territory « à vérifier »
    (which of the two is right, a person decides)."""
    wanted = [value for value in values if value["address"] and (
        value["departement_code"] is None
        or (value["precision"] == "point" and value["commune_code"]))]
    if not wanted:
        return
    directory = commune_directory(engine)
    elsewhere = []
    for value in wanted:
        try:
            named = directory.find(value["address"])
        except CommuneLookupError:
            continue
        if value["departement_code"] is None:
            departements = {entry.departement for entry in named}
            if len(departements) == 1 and None not in departements:
                value["departement_code"] = departements.pop()
        elif len(named) == 1 and named[0].code != value["commune_code"]:
            _point_elsewhere(value, named[0])
            elsewhere.append(value["number"])
    if elsewhere:
        notes.append(f"{len(elsewhere)} {agreed('dossier(s)', len(elsewhere))} dont le point "
                     f"n'est pas dans la commune de "
                     f"l'adresse, territoire à vérifier : {some_numbers(elsewhere)}")


def _point_elsewhere(value: dict, named) -> None:
    """The territory of a dossier whose point is not in the commune its address names."""
    territory = value["checks"]["territoire"]
    name = territory.get("commune_name")
    where = f"{name} ({value['commune_code']})" if name else value["commune_code"]
    said = (f"Le point donné est dans la commune {where}, l'adresse dans celle de "
            f"{named.name} ({named.code}) : lieu à vérifier, le verdict ci-après est celui du "
            "point. ")
    territory["explanation"] = said + (territory.get("explanation") or "")
    territory["category"] = value["category"] = "a-verifier"


def departements_changed(engine: Engine, before: dict[int, str | None]) -> list[str]:
    """The dossiers an import moved to another département: another prefecture sees them
    now, and the former one loses them; an avis the former one gave stays, said to be its
    (the new prefecture read « Avis rendu » signed by another)."""
    moved = [(number, before[number], now)
             for number, now in sorted(stored_departements(engine).items())
             if before.get(number) and now != before[number]]
    if not moved:
        return []
    given = {n for n, d in find_dossiers(engine, [n for n, _, _ in moved]).items() if d.avis}
    shown = ", ".join(f"{n} ({was} → {now or 'inconnu'}" + (
        f", avis de la préfecture du {was} : à demander à la nouvelle" if n in given else "")
        + ")" for n, was, now in moved[:10])
    more = f" et {len(moved) - 10} {agreed('autre(s)', len(moved) - 10)}" \
        if len(moved) > 10 else ""
    return [f"{len(moved)} {agreed('dossier(s) (change|changent)', len(moved))} de "
            "département, donc de préfecture : "
            f"{shown}{more}"]
