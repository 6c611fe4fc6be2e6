"""The engine's index kept on disk between processes.

Building the index of a QPV vintage (reading some 35,000 contours, projecting them, merging
the complete and hosting areas) takes seconds; reading it back from a file takes a fraction
of that. A command that checks one place (``fabriques check``) would otherwise pay the build
at each run, and a restarted worker at its first request.

A file is named after everything its content depends on, so that it is never read for other
data or other code: the database (no password), the vintage, the dataset versions the index
reads (ids and checksums), a digest of the sources of ``geodata`` (a change in the engine or
the loaders' tables builds a new one) and the versions of Python, NumPy and Shapely (the
pickle format of their objects). Writing a new file for a database and vintage removes the
older ones. The folder is the app's (``INDEX_FILES``, by default ``index/`` in the instance
folder), written by the service only: files are pickles, read back by the service alone.

A file that cannot be read (cut short by a full disk, say) is logged and rebuilt, never
answered from; a folder that cannot be written leaves the service working without it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import platform
import tempfile
from collections.abc import Callable, Hashable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

__all__ = ["index_folder", "kept_index", "keep_indexes_in"]

log = logging.getLogger(__name__)

_folder: Path | None = None
GEODATA = Path(__file__).resolve().parents[1]


def keep_indexes_in(folder: Path | str | None) -> None:
    """Keep the indexes in ``folder`` from now on (None: build them in each process)."""
    global _folder
    _folder = Path(folder) if folder else None


def index_folder() -> Path | None:
    """Where indexes are kept, None when they are not."""
    return _folder


@cache
def _code_digest() -> str:
    """A digest of the sources of ``geodata`` and of the libraries whose objects are kept."""
    digest = hashlib.sha256()
    for path in sorted(GEODATA.rglob("*.py")):
        digest.update(path.relative_to(GEODATA).as_posix().encode())
        digest.update(path.read_bytes())
    for version in (platform.python_version(), np.__version__, shapely.__version__):
        digest.update(version.encode())
    return digest.hexdigest()


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def kept_index(database: str, vintage: str, versions: Hashable, build: Callable[[], Any]):
    """The index of ``database`` and ``vintage`` for ``versions``: read from its file when
    one was kept, else ``build()``, then kept (when a folder is set)."""
    if _folder is None:
        return build()
    stem = f"reference-{_short(database)}-{_short(vintage)}"
    name = f"{stem}-{_short(repr((versions, _code_digest())))}.pickle"
    path = _folder / name
    if path.exists():
        try:
            with path.open("rb") as file:
                return pickle.load(file)
        except Exception:  # noqa: BLE001 - any unreadable file is rebuilt, never trusted
            log.warning("index illisible, reconstruit : %s", path, exc_info=True)
    index = build()
    try:
        _write(path, index)
    except OSError:
        log.warning("index non conservé dans %s", _folder, exc_info=True)
        return index
    for older in _folder.glob(f"{stem}-*.pickle"):
        if older.name != name:
            older.unlink(missing_ok=True)
    return index


def _write(path: Path, value: Any) -> None:
    """Write ``value`` next to ``path`` then move it there: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
