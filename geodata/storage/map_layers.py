"""The overlays of the public map, read from either backend: départements, QPV of a vintage,
the communal density grid, métropoles.

Each overlay (``LAYERS``) names the datasets it is read from: their versions in service
(``layer_versions``) key its caches and its ETag. ``read_layer`` gives its features as
parallel lists (properties, WGS84 geometries, territory codes), read in Python with shapely
so that the embedded default and PostGIS give the same answers; rows come in a fixed order,
since the outline a union draws (ring start, parts) follows its input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Engine, and_, select
from sqlalchemy.engine import Connection

from geodata.geometry import dissolve
from geodata.storage.models import (
    Commune,
    CommuneClass,
    CommuneContour,
    Departement,
    Epci,
    EpciMember,
    Qpv,
)
from geodata.storage.reference import COMMUNE_NAME, METROPOLE_KINDS, current_versions

__all__ = ["COMMUNE_OUTLINES", "LAYERS", "LayerFeatures", "LayerSpec", "layer_versions",
           "read_layer"]


class LayerFeatures(NamedTuple):
    """An overlay's features: properties, WGS84 geometries and territory codes, in step;
    for an overlay too large to simplify at once, the unit each feature is simplified in
    (``maps.vector``)."""

    properties: list[dict]
    geometries: list
    territories: list[str]
    units: list[str] | None = None


@dataclass(frozen=True)
class LayerSpec:
    """An overlay: its datasets (their versions key the caches), the zoom it starts at."""

    title: str
    datasets: tuple[str, ...]
    read: Callable[[Connection, str], LayerFeatures]
    min_zoom: int = 0
    by_vintage: bool = False
    zoom_message: str = ""


def _merged(codes: list[str], geometries: list, territories: list[str],
            labels: dict[str, dict]) -> LayerFeatures:
    """Contours dissolved by code, each with its properties and territory."""
    territory = dict(zip(codes, territories, strict=True))
    merged = dissolve(codes, geometries)
    return LayerFeatures([labels[code] for code in merged], list(merged.values()),
                         [territory[code] for code in merged])


def _read_departements(connection: Connection, _vintage: str) -> LayerFeatures:
    rows = connection.execute(
        select(CommuneContour.geom, CommuneContour.territory, Commune.departement_code)
        .join(Commune, Commune.code == CommuneContour.code)
        .where(CommuneContour.kind == "COM").order_by(CommuneContour.code)).all()
    names = dict(connection.execute(select(Departement.code, Departement.name)).all())
    codes = [r.departement_code for r in rows]
    labels = {code: {"code": code, "name": names.get(code, code),
                     "label": f"{names.get(code, code)} ({code})"} for code in set(codes)}
    return _merged(codes, [r.geom for r in rows], [r.territory for r in rows], labels)


def _read_metropoles(connection: Connection, _vintage: str) -> LayerFeatures:
    rows = connection.execute(
        select(CommuneContour.geom, CommuneContour.territory, Epci.code, Epci.name)
        .join(EpciMember, EpciMember.commune_code == CommuneContour.code)
        .join(Epci, Epci.code == EpciMember.epci_code)
        .where(Epci.kind.in_(METROPOLE_KINDS), CommuneContour.kind == "COM")
        .order_by(CommuneContour.code)).all()
    labels = {r.code: {"code": r.code, "name": r.name, "label": r.name} for r in rows}
    return _merged([r.code for r in rows], [r.geom for r in rows],
                   [r.territory for r in rows], labels)


def _read_densite(connection: Connection, _vintage: str) -> LayerFeatures:
    rows = connection.execute(
        select(CommuneContour.code, CommuneContour.territory, CommuneContour.geom,
               COMMUNE_NAME, CommuneClass.level, CommuneClass.label)
        .outerjoin(Commune, Commune.code == CommuneContour.code)  # the official name
        .outerjoin(CommuneClass, and_(CommuneClass.commune_code == CommuneContour.code,
                                      CommuneClass.typology == "densite"))
        .where(CommuneContour.kind == "COM").order_by(CommuneContour.code)).all()
    return LayerFeatures(
        [{"code": r.code, "name": r.name, "level": r.level,
          "label": f"{r.name} ({r.code}) : "
                   + (f"niveau {r.level}, {r.label}" if r.level else "non classée")}
         for r in rows],
        [r.geom for r in rows], [r.territory for r in rows],
        [_departement_of(r.code) for r in rows])


def _departement_of(commune: str) -> str:
    """The département of a commune code, read from the code (the communes' unit)."""
    return commune[:3] if commune.startswith("97") else commune[:2]


def _read_qpv(connection: Connection, vintage: str) -> LayerFeatures:
    rows = connection.execute(
        select(Qpv.code, Qpv.name, Qpv.commune_names, Qpv.territory, Qpv.geom)
        .where(Qpv.vintage == vintage).order_by(Qpv.code)).all()
    return LayerFeatures(
        [{"code": r.code, "name": r.name, "communes": r.commune_names, "vintage": vintage,
          "label": f"QPV {r.code} « {r.name} » ({vintage})"} for r in rows],
        [r.geom for r in rows], [r.territory for r in rows])


LAYERS = {
    "departements": LayerSpec("Départements", ("commune-contours", "communes", "departements"),
                              _read_departements),
    "qpv": LayerSpec("Quartiers prioritaires de la politique de la ville", ("qpv",), _read_qpv,
                     by_vintage=True),
    "densite": LayerSpec("Grille communale de densité (INSEE)",
                         ("commune-contours", "communes", "commune-classes"), _read_densite,
                         min_zoom=9,
                         zoom_message="zoomez pour afficher la grille de densité"),
    "metropoles": LayerSpec("Métropoles", ("commune-contours", "epci"), _read_metropoles),
}
"""The overlays served by ``/api/v1/couches/<layer>``."""
COMMUNE_OUTLINES = "densite"
"""The layer of ``/api/v1/couches`` drawn as the communes' outlines under a map zoomed in
(the density grid holds every commune contour), from its minimum zoom on: the background of
the checker's choice map and of the public map."""


def layer_versions(engine: Engine, key: str, vintage: str) -> list:
    """The dataset versions in service a layer is read from (the QPV of ``vintage`` for a
    layer by vintage), in dataset order."""
    spec = LAYERS[key]
    with engine.connect() as connection:
        return [version for dataset in spec.datasets for version in current_versions(
            connection, dataset, vintage if spec.by_vintage else None)]


def read_layer(engine: Engine, key: str, vintage: str) -> LayerFeatures:
    """A layer's features as the data in service give them."""
    with engine.connect() as connection:
        return LAYERS[key].read(connection, vintage)
