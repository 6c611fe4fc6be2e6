"""The map's layers on disk, so that a restarted server reads them back in milliseconds
(``app.carte.layers.cached_layer`` decides when a file may be used: its key).

A file is this magic line, the SHA-256 of the rest, the header's length (8 bytes,
little-endian), the header (JSON: the key, the properties, the territories, the
simplification units if the layer has its own, and the size of each geometry), then the
geometries as WKB, as the layer holds them (already made a clean coverage); the digest
catches a torn or damaged file that would still parse (WKB coordinates have no
redundancy). No pickle: nothing in the file is run. A file is written beside its place
then renamed (``geodata.files``): a reader sees the old file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import shapely

from geodata.files import remove_abandoned, write_whole
from maps.vector import VectorLayer, vector_layer

__all__ = ["read_layer_file", "write_layer_file"]

log = logging.getLogger(__name__)

_MAGIC = b"fabriques layer cache 1\n"


def read_layer_file(path: Path, disk_key: dict) -> VectorLayer | None:
    """The layer stored at ``path`` for ``disk_key``; None if absent, stale or unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        start = len(_MAGIC) + 32
        if data[:len(_MAGIC)] != _MAGIC or hashlib.sha256(data[start:]).digest() != data[
                len(_MAGIC):start]:
            raise ValueError("en-tête ou somme de contrôle incorrects")
        end = start + 8 + int.from_bytes(data[start:start + 8], "little")
        header = json.loads(data[start + 8:end])
        if header["key"] != disk_key:
            return None  # written for other versions: read again and replaced
        bounds = np.cumsum([end, *header["sizes"]])
        if bounds[-1] != len(data):
            raise ValueError("longueur incohérente")
        geometries = shapely.from_wkb([data[a:b] for a, b in zip(bounds[:-1], bounds[1:],
                                                                  strict=True)])
        return vector_layer(header["properties"], geometries, header["territories"],
                            header["units"], clean=False)
    except (OSError, ValueError, KeyError, TypeError, shapely.errors.ShapelyError) as error:
        log.warning("cache de couche illisible, relu depuis la base : %s (%s)", path, error)
        return None


def write_layer_file(path: Path, disk_key: dict, layer: VectorLayer) -> None:
    """Store ``layer`` at ``path``, whole or not at all (``geodata.files``): a reader sees
    the old file or the new one; a torn one (a crash) fails the digest."""
    blobs = shapely.to_wkb(layer.geometries).tolist()
    header = json.dumps({"key": disk_key, "properties": layer.properties,
                         "territories": layer.territories.tolist(),
                         "units": layer.units.tolist() if layer.unit_outlines else None,
                         "sizes": [len(blob) for blob in blobs]}, ensure_ascii=False).encode()
    body = len(header).to_bytes(8, "little") + header + b"".join(blobs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, _MAGIC + hashlib.sha256(body).digest() + body)
    except OSError as error:
        log.warning("cache de couche non écrit : %s (%s)", path, error)
    remove_abandoned(path)

