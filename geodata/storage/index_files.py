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

Beside an index's file, ``keep_grids`` keeps the cell grids and masks the engine built on
it for a big batch (``ReferenceIndex.grids``: most of a second for metropolitan France, in
every process that classifies 20,000 points or more), in a file of the same name ending in
``.grids``; an index read back from its file takes them when it first needs a grid, so that
the next ``fabriques classify`` and each of its workers do not build them again (a process
that classifies no big batch never reads them). Grids depend on nothing but the index
(and the distances they are built for, their keys): an unreadable grids file is logged and
ignored, the grids built again.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import platform
import weakref
from collections.abc import Callable, Hashable
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geodata.files import remove_abandoned, written_whole

__all__ = ["index_folder", "keep_grids", "kept_index", "keep_indexes_in"]

log = logging.getLogger(__name__)

_folder: Path | None = None
_files: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Each index read or written here: its file, and how many grids its grids file holds."""
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
                index = pickle.load(file)
        except Exception as error:  # noqa: BLE001 - any unreadable file is rebuilt, never trusted
            log.warning("index illisible, reconstruit : %s (%s)", path, error)
        else:
            _remember(index, path)
            return index
    index = build()
    try:
        _write(path, index)
    except OSError as error:  # the index serves all the same, rebuilt next time
        log.warning("index non conservé dans %s : %s", _folder, error)
        return index
    for older in _folder.glob(f"{stem}-*"):
        if older.name not in (name, _grids_path(path).name):
            older.unlink(missing_ok=True)
    remove_abandoned(path)
    _remember(index, path)
    return index


def keep_grids(index) -> None:
    """Keep the grids ``index`` has built beside its file, when they are more than those kept
    (nothing for an index not kept in a file); a folder that cannot be written is logged."""
    if index not in _files:
        return
    path, kept = _files[index]
    grids = index.grids()
    if _count(grids) <= kept:
        return
    try:
        _write(_grids_path(path), grids)
    except OSError:
        log.warning("grilles non conservées dans %s", path.parent, exc_info=True)
        return
    finally:
        remove_abandoned(_grids_path(path))
    _files[index] = (path, _count(grids))


def _grids_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.grids")


def _count(grids: dict) -> int:
    """Cells and masks in ``ReferenceIndex.grids``."""
    return sum(1 + len(masks) for _, masks in grids.values())


def _adopt_kept_grids(index, path: Path) -> None:
    """Give ``index`` the grids kept at ``path`` (when its first big batch needs them)."""
    try:
        with path.open("rb") as file:
            grids = pickle.load(file)
        index.adopt_grids(grids)
    except Exception:  # noqa: BLE001 - grids are built again, never trusted half-read
        log.warning("grilles illisibles, reconstruites : %s", path, exc_info=True)
        return
    _files[index] = (_files[index][0], _count(grids))


def _remember(index, path: Path) -> None:
    """Note ``index``'s file, and hand it the grids kept beside it, for when it needs them
    (only the engine's index has grids: tests keep other values too)."""
    if not hasattr(index, "defer_grids"):
        return
    _files[index] = (path, 0)
    if _grids_path(path).exists():
        index.defer_grids(partial(_adopt_kept_grids, index, _grids_path(path)))


def _write(path: Path, value: Any) -> None:
    """Write ``value`` next to ``path`` then move it there: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_whole(path, binary=True) as file:
        pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
