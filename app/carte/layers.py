"""What the public map shows, read from either backend: the Fabriques and the vector layers.

``fabrique_rows`` gives every laureate with its commune, département, région and its quota
category under a policy (most are "à vérifier": the published list places each Fabrique at
its commune's centre). ``Selection`` is the filter the page, the list and the downloads
share. ``LAYERS`` names the overlays served by bounding box and zoom; ``layer_version`` and
``cached_layer`` read them once per set of dataset versions (per process), in Python with
shapely so that the embedded default and PostGIS give the same answers. Given a folder (the
instance's ``CACHE_FOLDER``), ``cached_layer`` also keeps each layer read on disk, so that a
restarted server reads it back in milliseconds instead of merging 35,000 commune contours
again; the file is keyed by the dataset versions, the database and the code that read it.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import shapely
from flask import Flask
from sqlalchemy import Engine, and_, select
from sqlalchemy.engine import Connection

from app.carte import layer_files
from app.carte.layer_files import read_layer_file, write_layer_file
from app.db import get_engine
from geodata.policy import CATEGORIES, DEFAULT_POLICY, Policy, load_policy
from geodata.storage import models
from geodata.storage.fabriques import laureate_records
from geodata.storage.models import (
    Commune,
    CommuneClass,
    CommuneContour,
    Departement,
    Epci,
    EpciMember,
    Laureate,
    Qpv,
    Region,
)
from geodata.storage.reference import COMMUNE_NAME, METROPOLE_KINDS, current_versions
from maps import vector
from maps.vector import VectorLayer, dissolve, vector_layer

__all__ = [
    "CACHE_FOLDER",
    "DEFAULT_OVERLAYS",
    "FNT_VALUES",
    "LAYERS",
    "SELECTION_PARAMETERS",
    "TOGGLEABLE",
    "UNKNOWN",
    "LayerSpec",
    "Selection",
    "SelectionError",
    "cached_layer",
    "density_levels",
    "fabrique_rows",
    "layer_folder",
    "layer_version",
    "parse_selection",
    "places",
    "warm_caches",
]

CACHE_FOLDER = "layer-cache"
"""Instance sub-folder holding the layers read, kept across restarts (``cached_layer``)."""
UNKNOWN = "unknown"
"""Filter value selecting the Fabriques whose wave, or FT/FNT type, is not published."""
FNT_VALUES = {"true": True, "false": False, UNKNOWN: None}
TOGGLEABLE = ("qpv", "densite", "metropoles")
"""Overlays a visitor switches on and off (the départements are the basemap)."""
DEFAULT_OVERLAYS = ("qpv",)
SELECTION_PARAMETERS = {"wave": "vague", "category": "categorie", "region": "region",
                        "departement": "departement", "fnt": "fnt"}
"""API parameter -> the page's (French) query parameter."""


class SelectionError(ValueError):
    """A filter value that names nothing, with the parameter at fault."""

    def __init__(self, message: str, parameter: str):
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Selection:
    """Filters on the Fabriques; None lets everything through."""

    wave: str | None = None
    category: str | None = None
    region: str | None = None
    departement: str | None = None
    fnt: str | None = None

    def matches(self, row: Mapping) -> bool:
        """True if the Fabrique ``row`` passes every filter."""
        if self.wave is not None and row["wave"] != (None if self.wave == UNKNOWN
                                                     else self.wave):
            return False
        if self.fnt is not None and row["fnt"] is not FNT_VALUES[self.fnt]:
            return False
        return all(getattr(self, name) is None or row[column] == getattr(self, name)
                   for name, column in (("category", "category"), ("region", "region_code"),
                                        ("departement", "departement_code")))

    def as_params(self) -> dict[str, str]:
        """The API query parameters of this selection (unset filters left out)."""
        return {name: value for name, value in vars(self).items() if value is not None}


def parse_selection(values: Mapping[str, str | None], known: Mapping[str, set]) -> Selection:
    """A selection from raw values keyed wave, category, region, departement, fnt.

    ``known`` holds the région and département codes that exist (``places``). Empty
    values mean no filter; anything else that names nothing raises ``SelectionError``.
    """
    clean = {name: (values.get(name) or "").strip() or None
             for name in ("wave", "category", "region", "departement", "fnt")}
    if clean["wave"] is not None and len(clean["wave"]) > 32:
        raise SelectionError("vague invalide : 32 caractères au plus", "wave")
    if clean["category"] is not None and clean["category"] not in CATEGORIES:
        raise SelectionError(f"catégorie inconnue : {clean['category']!r} (attendues : "
                             f"{', '.join(CATEGORIES)})", "category")
    for name, label in (("region", "région"), ("departement", "département")):
        if clean[name] is not None and clean[name] not in known[name]:
            raise SelectionError(f"{label} inconnu(e) : {clean[name]!r} (code INSEE attendu)",
                                 name)
    if clean["fnt"] is not None and clean["fnt"] not in FNT_VALUES:
        raise SelectionError(f"fnt vaut {', '.join(FNT_VALUES)}", "fnt")
    return Selection(**clean)



def places(engine: Engine) -> dict[str, dict[str, str]]:
    """Région and département names by code (COG), and each département's région."""
    with engine.connect() as connection:
        regions = dict(connection.execute(select(Region.code, Region.name)).all())
        departements = connection.execute(
            select(Departement.code, Departement.name, Departement.region_code)).all()
    return {"region": regions, "departement": {d.code: d.name for d in departements},
            "departement_region": {d.code: d.region_code for d in departements}}


def density_levels(engine: Engine) -> dict[int, str]:
    """The levels of the communal density grid in service, with their INSEE labels."""
    with engine.connect() as connection:
        return dict(sorted(connection.execute(
            select(CommuneClass.level, CommuneClass.label)
            .where(CommuneClass.typology == "densite", CommuneClass.level.is_not(None))
            .distinct()).all()))


def _sort_key(row: Mapping) -> tuple:
    return (row["departement_code"] or "~", row["commune_name"] or "", row["name"].casefold())


_rows: dict[tuple[str, str], tuple[tuple, list[dict]]] = {}


def fabrique_rows(engine: Engine, policy: Policy) -> list[dict]:
    """Every laureate with its place, wave, type and category under ``policy``.

    Computed once per policy and set of dataset versions in service (per process); the
    rows are shared: callers read them, never change them.
    """
    with engine.connect() as connection:
        versions = tuple(version.id for version in current_versions(connection))
    key = (engine.url.render_as_string(hide_password=True), policy.name)
    cached = _rows.get(key)
    if cached is None or cached[0] != versions:
        cached = _rows[key] = (versions, _fabrique_rows(engine, policy))
    return cached[1]


def _fabrique_rows(engine: Engine, policy: Policy) -> list[dict]:
    categories = {record.id: record for record in laureate_records(engine, policy)}
    with engine.connect() as connection:
        laureates = connection.execute(
            select(Laureate.id, Laureate.name, Laureate.commune_code, Laureate.commune_name,
                   Laureate.wave, Laureate.kind, Laureate.precision, Laureate.geom,
                   Commune.departement_code, Commune.region_code,
                   Departement.name.label("departement_name"), Region.name.label("region_name"))
            .outerjoin(Commune, Commune.code == Laureate.commune_code)
            .outerjoin(Departement, Departement.code == Commune.departement_code)
            .outerjoin(Region, Region.code == Commune.region_code)
        ).all()
    rows = []
    for laureate in laureates:
        record = categories[laureate.id]
        rows.append({
            "id": laureate.id, "name": laureate.name, "commune_code": laureate.commune_code,
            "commune_name": laureate.commune_name,
            "departement_code": laureate.departement_code,
            "departement_name": laureate.departement_name,
            "region_code": laureate.region_code, "region_name": laureate.region_name,
            "wave": laureate.wave, "kind": laureate.kind, "fnt": record.fnt,
            "precision": laureate.precision,
            "lon": round(laureate.geom.x, 6) if laureate.geom is not None else None,
            "lat": round(laureate.geom.y, 6) if laureate.geom is not None else None,
            "category": record.category, "category_label": CATEGORIES[record.category],
            "policy": policy.name,
        })
    return sorted(rows, key=_sort_key)


@dataclass(frozen=True)
class LayerSpec:
    """An overlay: its datasets (their versions key the cache), the zoom it starts at."""

    title: str
    datasets: tuple[str, ...]
    read: Callable[[Connection, str], VectorLayer]
    min_zoom: int = 0
    by_vintage: bool = False
    zoom_message: str = ""


# Rows in a fixed order: the outline a union draws (ring start, parts) follows its input,
# and both backends must give the same answer.


def _read_departements(connection: Connection, _vintage: str) -> VectorLayer:
    rows = connection.execute(
        select(CommuneContour.geom, CommuneContour.territory, Commune.departement_code)
        .join(Commune, Commune.code == CommuneContour.code)
        .where(CommuneContour.kind == "COM").order_by(CommuneContour.code)).all()
    names = dict(connection.execute(select(Departement.code, Departement.name)).all())
    territory = {r.departement_code: r.territory for r in rows}
    merged = dissolve([r.departement_code for r in rows], [r.geom for r in rows])
    return vector_layer(
        [{"code": code, "name": names.get(code, code),
          "label": f"{names.get(code, code)} ({code})"} for code in merged],
        list(merged.values()), [territory[code] for code in merged])


def _read_metropoles(connection: Connection, _vintage: str) -> VectorLayer:
    rows = connection.execute(
        select(CommuneContour.geom, CommuneContour.territory, Epci.code, Epci.name)
        .join(EpciMember, EpciMember.commune_code == CommuneContour.code)
        .join(Epci, Epci.code == EpciMember.epci_code)
        .where(Epci.kind.in_(METROPOLE_KINDS), CommuneContour.kind == "COM")
        .order_by(CommuneContour.code)).all()
    names = {r.code: r.name for r in rows}
    territory = {r.code: r.territory for r in rows}
    merged = dissolve([r.code for r in rows], [r.geom for r in rows])
    return vector_layer([{"code": code, "name": names[code], "label": names[code]}
                         for code in merged], list(merged.values()),
                        [territory[code] for code in merged])


def _read_densite(connection: Connection, _vintage: str) -> VectorLayer:
    rows = connection.execute(
        select(CommuneContour.code, CommuneContour.territory, CommuneContour.geom,
               COMMUNE_NAME,
               CommuneClass.level, CommuneClass.label)
        .outerjoin(Commune, Commune.code == CommuneContour.code)  # the official name
        .outerjoin(CommuneClass, and_(CommuneClass.commune_code == CommuneContour.code,
                                      CommuneClass.typology == "densite"))
        .where(CommuneContour.kind == "COM").order_by(CommuneContour.code)).all()
    return vector_layer(
        [{"code": r.code, "name": r.name, "level": r.level,
          "label": f"{r.name} ({r.code}) : "
                   + (f"niveau {r.level}, {r.label}" if r.level else "non classée")}
         for r in rows],
        [r.geom for r in rows], [r.territory for r in rows])


def _read_qpv(connection: Connection, vintage: str) -> VectorLayer:
    rows = connection.execute(
        select(Qpv.code, Qpv.name, Qpv.commune_names, Qpv.territory, Qpv.geom)
        .where(Qpv.vintage == vintage).order_by(Qpv.code)).all()
    return vector_layer(
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

_layers: dict[tuple, tuple[tuple, VectorLayer]] = {}
_locks: dict[tuple, threading.Lock] = {}
_guard = threading.Lock()


def layer_version(engine: Engine, key: str, vintage: str) -> tuple:
    """The ids of the dataset versions a layer is read from (its cache and ETag key)."""
    spec = LAYERS[key]
    with engine.connect() as connection:
        return tuple(version.id for dataset in spec.datasets
                     for version in current_versions(
                         connection, dataset, vintage if spec.by_vintage else None))


def cached_layer(engine: Engine, key: str, vintage: str, version: tuple,
                 folder: Path | None = None) -> VectorLayer:
    """A layer as read for ``version``: read once per process, by one thread at a time.

    With a ``folder``, a process that does not hold the layer yet reads it from the file
    written there for the same versions, database and code, and writes the file when it
    had to read the layer from the database.
    """
    by_vintage = LAYERS[key].by_vintage
    cache_key = (engine.url.render_as_string(hide_password=True), key,
                 vintage if by_vintage else None)
    with _guard:
        lock = _locks.setdefault(cache_key, threading.Lock())
    with lock:
        cached = _layers.get(cache_key)
        if cached is None or cached[0] != version:
            path = None if folder is None else Path(folder) / (
                f"{key}-{vintage}.layer" if by_vintage else f"{key}.layer")
            with engine.connect() as connection:
                disk_key = None if path is None else _disk_key(connection, key, vintage)
                if disk_key is not None and disk_key["versions"] != list(version):
                    disk_key = None  # a load since the caller read ``version``: memory only
                layer = None if disk_key is None else read_layer_file(path, disk_key)
                if layer is None:
                    layer = LAYERS[key].read(connection, vintage)
                    if disk_key is not None and _disk_key(connection, key, vintage) == disk_key:
                        write_layer_file(path, disk_key, layer)
            cached = _layers[cache_key] = (version, layer)
    return cached[1]


@cache
def _code_fingerprint() -> str:
    """What a layer read depends on besides the data: the code that reads, merges and holds
    it, and the GEOS that merges it; any change to them makes the files on disk stale."""
    digest = hashlib.sha256()
    for module in (sys.modules[__name__], layer_files, vector, models):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(f"{shapely.__version__} {shapely.geos_version_string}".encode())
    return digest.hexdigest()


def _disk_key(connection: Connection, key: str, vintage: str) -> dict:
    """The key of a layer's file, JSON as stored. The versions carry their checksum and load
    time besides their id: a database created again reuses ids, never both of the others."""
    spec = LAYERS[key]
    versions = [version for dataset in spec.datasets for version in current_versions(
        connection, dataset, vintage if spec.by_vintage else None)]
    return {"layer": key, "vintage": vintage if spec.by_vintage else None,
            "database": connection.engine.url.render_as_string(hide_password=True),
            "code": _code_fingerprint(), "versions": [v.id for v in versions],
            "sources": [[v.checksum, v.loaded_at.isoformat()] for v in versions]}


def layer_folder(app: Flask) -> Path:
    """Where the layers read are kept across restarts: the instance's ``CACHE_FOLDER``."""
    return Path(app.instance_path) / CACHE_FOLDER


def warm_caches(app: Flask) -> None:
    """Read what the map's first view needs (the default policy's Fabriques, the
    départements and the default overlays), so that the first visitor after a start does
    not wait for it; ``app.gunicorn_conf`` calls it in each worker before it takes requests.
    The caches stay keyed by the dataset versions: a later load is seen as before."""
    with app.app_context():
        engine = get_engine()
        policy = load_policy(DEFAULT_POLICY)
        fabrique_rows(engine, policy)
        for key in ("departements", *DEFAULT_OVERLAYS):
            cached_layer(engine, key, policy.qpv_vintage,
                         layer_version(engine, key, policy.qpv_vintage), layer_folder(app))
