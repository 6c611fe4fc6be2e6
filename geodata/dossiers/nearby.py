"""What a dossier's neighbourhood says: the nearest Fabrique and tiers-lieu already loaded
and, when the dossier is itself a published Fabrique (by SIRET or by its project's name in
its commune, as the jury page matches them), that Fabrique named as the dossier's own and
the nearest other one apart: never the dossier's own Fabrique as another place nearby."""

from __future__ import annotations

from collections.abc import Mapping

from geodata.french import distance

__all__ = ["SAME_PLACE_M", "nearby_sentence"]

SAME_PLACE_M = 50
"""Under this many metres, the published position is the dossier's own place."""


def nearby_sentence(facts: Mapping, own: Mapping | None = None) -> str:
    """The sentence of ``facts`` (``fabrique`` and ``tiers_lieu``: ``name``, ``distance_m``,
    or None); with ``own`` (``name``, ``commune``, ``distance_m``, None when unplaced, of
    the published Fabrique the dossier is), that Fabrique first, by its name and commune
    (never its code, which a prefecture cannot read), and ``fabrique`` said as the nearest
    other one."""
    said = []
    if own is not None:
        where = ("sans position publiée" if own["distance_m"] is None
                 else "position publiée au lieu du dossier" if own["distance_m"] < SAME_PLACE_M
                 else f"position publiée à {_distance(own['distance_m'])} de l'adresse du "
                      "dossier")
        commune = f" à {own['commune']}" if own.get("commune") else ""
        said.append(f"Ce dossier est la Fabrique publiée « {own['name']} »{commune} ({where})")
    fabrique = ("Autre Fabrique la plus proche connue" if own is not None
                else "Fabrique la plus proche connue")
    for kind, nearest, none in (("fabrique", fabrique, "aucune"),
                                ("tiers_lieu", "Tiers-lieu le plus proche connu", "aucun")):
        near = facts.get(kind)
        said.append(f"{nearest} : {none} dans le territoire" if near is None
                    else f"{nearest} : {near['name']} à {_distance(near['distance_m'])}")
    return " ; ".join(said) + (" (listes chargées ; Fabriques publiées au centre de leur "
                               "commune, celles des jurys de ce service à leur adresse)")


def _distance(metres: float) -> str:
    return distance(round(metres), digits=0)
