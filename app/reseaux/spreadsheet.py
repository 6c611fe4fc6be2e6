"""The coverage's CSV files (``/reseaux/couverture.csv``) for a French spreadsheet: UTF-8
with a BOM, ``;``, French headers, decimal commas and shares in percent, as the dashboard's,
the dossiers' and the history's files (``geodata.spreadsheet``). Programs read the same
figures as JSON at ``/api/v1/reseaux/couverture``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.reseaux.requests import serialise_commune
from geodata.french import number
from geodata.spreadsheet import french_value, spreadsheet_csv

__all__ = ["communes_csv", "departements_csv"]


def _km(threshold_m: float) -> str:
    """« 2,5 », « 10 »: a threshold in kilometres, as the pages write numbers."""
    return number(threshold_m / 1000)


def departements_csv(rows: Sequence, total, threshold_m: float) -> str:
    """One row per département, then the total (« Total »)."""
    km = _km(threshold_m)
    header = ["code du département", "département", "communes", "population",
              f"communes à plus de {km} km", f"population à plus de {km} km",
              f"part de la population à plus de {km} km (%)", "communes sans contour"]
    return spreadsheet_csv(header, ([french_value(value) for value in (
        row.code, row.name, row.communes, row.population, row.uncovered_communes,
        row.uncovered_population, None if row.share is None else round(row.share * 100, 2),
        row.unknown_communes)] for row in [*rows, total]))


def communes_csv(distances, far: Sequence[int], fabrique_names: Mapping[str, str]) -> str:
    """The communes of one département farther than the threshold from every Fabrique."""
    header = ["code commune", "commune", "département", "population", "distance (km)",
              "Fabrique la plus proche", "identifiant de la Fabrique"]
    rows = []
    for position in far:
        commune = serialise_commune(distances, int(position))
        metres, nearest = commune["distance_m"], commune["nearest_fabrique"]
        rows.append([french_value(value) for value in (
            commune["code"], commune["name"], commune["departement"], commune["population"],
            None if metres is None else round(metres / 1000, 2),
            fabrique_names.get(nearest, "") if nearest else None, nearest or None)])
    return spreadsheet_csv(header, rows)
