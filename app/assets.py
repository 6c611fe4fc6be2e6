"""Static files under one URL, ``/static/<file>``: the core's (``app/static``: the DSFR,
Leaflet, the service's style sheet) and each room's (``app/<room>/static``).

A room keeps its scripts and style sheets beside its views and templates, and a page links
them as ``url_for('static', filename=...)`` wherever they live. Two folders may not ship the
same file name: the application refuses to start rather than serve one of them at random.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from flask import Flask, current_app, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

__all__ = ["init_app", "static_folders"]

FOLDERS = "fabriques.static_folders"


def static_folders(app: Flask, rooms: Iterable[ModuleType]) -> list[Path]:
    """The core's static folder, then each room's that has one."""
    folders = [Path(app.static_folder)]
    folders += [Path(room.__file__).parent / "static" for room in rooms]
    return [folder for folder in folders if folder.is_dir()]


def _check_unique(folders: list[Path]) -> None:
    owners: dict[Path, Path] = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                name = path.relative_to(folder)
                if name in owners:
                    raise RuntimeError(f"fichier statique en double : {name} dans "
                                       f"{owners[name]} et dans {folder}")
                owners[name] = folder


def _serve(filename: str):
    """The file ``filename`` of the first folder that has it (404 if none)."""
    for folder in current_app.extensions[FOLDERS]:
        path = safe_join(str(folder), filename)
        if path is not None and Path(path).is_file():
            return send_from_directory(folder, filename,
                                       max_age=current_app.get_send_file_max_age(filename))
    raise NotFound()


def init_app(app: Flask, rooms: Iterable[ModuleType]) -> None:
    """Serve the core's and the rooms' static files at ``/static/``."""
    folders = static_folders(app, rooms)
    _check_unique(folders)
    app.extensions[FOLDERS] = folders
    app.view_functions["static"] = _serve
