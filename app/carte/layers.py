"""The map's overlays as the room serves them: read through ``geodata.storage.map_layers``,
held in memory per set of dataset versions, and kept on disk across restarts.

``cached_layer`` reads a layer once per process and set of versions (one thread builds it,
others wait: ``geodata.storage.cache``). Given a folder (the instance's ``CACHE_FOLDER``), it
also keeps each layer read on disk (``app.carte.layer_files``), so that a restarted server
reads it back in milliseconds instead of merging and cleaning 35,000 commune contours again;
the file is keyed by the dataset versions, the database and the code that read it.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import shapely
from flask import Flask
from sqlalchemy import Engine

from app.carte import layer_files
from app.carte.layer_files import read_layer_file, write_layer_file
from app.db import get_engine
from geodata import geometry
from geodata.policy import DEFAULT_POLICY, load_policy
from geodata.storage import map_layers, models
from geodata.storage.cache import VersionedCache, engine_key
from geodata.storage.laureates import laureate_table
from geodata.storage.map_layers import LAYERS, layer_versions, read_layer
from maps import vector
from maps.vector import VectorLayer, vector_layer

__all__ = [
    "CACHE_FOLDER",
    "DEFAULT_OVERLAYS",
    "SELECTION_PARAMETERS",
    "TOGGLEABLE",
    "cached_layer",
    "layer_folder",
    "layer_version",
    "warm_caches",
]

CACHE_FOLDER = "layer-cache"
"""Instance sub-folder holding the layers read, kept across restarts (``cached_layer``)."""
TOGGLEABLE = ("qpv", "densite", "metropoles")
"""Overlays a visitor switches on and off (the départements are the basemap)."""
DEFAULT_OVERLAYS = ("qpv",)
SELECTION_PARAMETERS = {"wave": "vague", "category": "categorie", "region": "region",
                        "departement": "departement", "fnt": "fnt"}
"""API parameter -> the page's (French) query parameter."""

layers = VersionedCache()
"""The layers read in this process, by database, layer and vintage."""


def layer_version(engine: Engine, key: str, vintage: str) -> tuple:
    """The ids of the dataset versions a layer is read from (its cache and ETag key)."""
    return tuple(version.id for version in layer_versions(engine, key, vintage))


def cached_layer(engine: Engine, key: str, vintage: str, version: tuple,
                 folder: Path | None = None) -> VectorLayer:
    """A layer as read for ``version``: read once per process, by one thread at a time.

    With a ``folder``, a process that does not hold the layer yet reads it from the file
    written there for the same versions, database and code, and writes the file when it
    had to read the layer from the database.
    """
    by_vintage = LAYERS[key].by_vintage
    return layers.get((engine_key(engine), key, vintage if by_vintage else None), version,
                      lambda: _read(engine, key, vintage, version, folder))


def _read(engine: Engine, key: str, vintage: str, version: tuple,
          folder: Path | None) -> VectorLayer:
    """The layer from its file when one was written for these versions, else from the
    database (then written, unless a load came in between)."""
    path = None if folder is None else Path(folder) / (
        f"{key}-{vintage}.layer" if LAYERS[key].by_vintage else f"{key}.layer")
    disk_key = None if path is None else _disk_key(engine, key, vintage)
    if disk_key is not None and disk_key["versions"] != list(version):
        disk_key = None  # a load since the caller read ``version``: memory only
    layer = None if disk_key is None else read_layer_file(path, disk_key)
    if layer is None:
        layer = vector_layer(*read_layer(engine, key, vintage))
        if disk_key is not None and _disk_key(engine, key, vintage) == disk_key:
            write_layer_file(path, disk_key, layer)
    return layer


@cache
def _code_fingerprint() -> str:
    """What a layer read depends on besides the data: the code that reads, merges and holds
    it, and the GEOS that merges and cleans it; any change to them makes the files on disk
    stale."""
    digest = hashlib.sha256()
    for module in (sys.modules[__name__], layer_files, map_layers, vector, models, geometry):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(f"{shapely.__version__} {shapely.geos_version_string}".encode())
    return digest.hexdigest()


def _disk_key(engine: Engine, key: str, vintage: str) -> dict:
    """The key of a layer's file, JSON as stored. The versions carry their checksum and load
    time besides their id: a database created again reuses ids, never both of the others."""
    versions = layer_versions(engine, key, vintage)
    return {"layer": key, "vintage": vintage if LAYERS[key].by_vintage else None,
            "database": engine_key(engine), "code": _code_fingerprint(),
            "versions": [v.id for v in versions],
            "sources": [[v.checksum, v.loaded_at.isoformat()] for v in versions]}


def layer_folder(app: Flask) -> Path:
    """Where the layers read are kept across restarts: the instance's ``CACHE_FOLDER``."""
    return Path(app.instance_path) / CACHE_FOLDER


def warm_caches(app: Flask, notify: Callable[[], None] = lambda: None) -> None:
    """Read what the map's first view needs (the default policy's Fabriques, the
    départements and the default overlays), so that the first visitor after a start does
    not wait for it; ``app.gunicorn_conf`` calls it in each worker before it takes requests,
    with ``notify`` telling the arbiter the worker lives between two steps. The caches stay
    keyed by the dataset versions: a later load is seen as before."""
    with app.app_context():
        engine = get_engine()
        policy = load_policy(DEFAULT_POLICY)
        notify()
        laureate_table(engine, policy)
        for key in ("departements", *DEFAULT_OVERLAYS):
            notify()
            cached_layer(engine, key, policy.qpv_vintage,
                         layer_version(engine, key, policy.qpv_vintage), layer_folder(app))
