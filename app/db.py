"""The application's database: one engine per app, bound at start, disposed at exit."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import Engine

from geodata.dossiers.calendar import CalendarError, load_calendar
from geodata.geocoder import BanClient
from geodata.postcodes import read_postcodes
from geodata.storage.database import embedded_url, make_engine
from geodata.storage.index_files import keep_indexes_in
from loaders.dossier_rules import rules_of_wave
from loaders.registry import default_data_dir, get_source

__all__ = ["calendar_file", "data_dir", "database_url", "get_engine", "get_geocoder",
           "index_files", "init_app", "postcodes", "wave_cap", "wave_policy"]

EXTENSION = "fabriques.engine"
GEOCODER = "fabriques.geocoder"


def database_url(app: Flask) -> str:
    """``DATABASE_URL``, else the embedded SQLite file of the instance folder."""
    return app.config.get("DATABASE_URL") or embedded_url(app.instance_path)


def data_dir(app: Flask) -> Path:
    """The shared datasets folder (``DATA_DIR``, else ``../shared/data``)."""
    configured = app.config.get("DATA_DIR")
    return Path(configured) if configured else default_data_dir()


def postcodes() -> dict[str, tuple[str, ...]]:
    """Postal code -> INSEE codes, from the shared COG file the communes were loaded from
    (empty when it is absent): a code typed alone may be either."""
    return read_postcodes(data_dir(current_app) / get_source("communes").path)


def calendar_file(app: Flask) -> Path:
    """The instance's additions to the waves' calendar (``vagues.toml``, read when present)."""
    return Path(app.instance_path) / "vagues.toml"


def calendar_waves(app: Flask) -> list:
    """The waves of the calendar, for a choice of wave in a form (none if it is broken: the
    action that needs one then says why)."""
    try:
        return list(load_calendar(calendar_file(app)).waves)
    except CalendarError:
        return []


def wave_cap(app: Flask, wave: str) -> int | None:
    """The wave's cap of laureates, when the waves' calendar knows one."""
    try:
        found = load_calendar(calendar_file(app)).wave(wave)
    except CalendarError:
        return None
    return found.quota if found else None


def wave_policy(app: Flask, wave: str | None) -> str:
    """The rules the waves' calendar gives ``wave`` (``politique``), those its jury decides
    against; the current ones when it names none (or cannot be read)."""
    try:
        return rules_of_wave(load_calendar(calendar_file(app)), wave)
    except CalendarError:
        return rules_of_wave(load_calendar(), wave)


def index_files(app: Flask) -> Path | None:
    """Where the engine's indexes are kept (``INDEX_FILES``, else ``index/`` in the instance
    folder); None when the setting is "off"."""
    configured = app.config.get("INDEX_FILES")  # FABRIQUES_INDEX_FILES=0 arrives as 0
    if configured is not None and str(configured).strip().casefold() in (
            "off", "0", "false", "none"):
        return None
    return Path(configured) if configured else Path(app.instance_path) / "index"


def init_app(app: Flask) -> None:
    """Create the app's engine (connections open lazily) and its geocoder client, and say
    where the engine's indexes are kept."""
    app.extensions[EXTENSION] = make_engine(database_url(app))
    keep_indexes_in(index_files(app))
    app.extensions[GEOCODER] = BanClient(app.config["GEOCODER_URL"], log=app.logger)


def get_engine() -> Engine:
    """The engine of the current application."""
    return current_app.extensions[EXTENSION]


def get_geocoder() -> BanClient:
    """The BAN geocoder client of the current application."""
    return current_app.extensions[GEOCODER]
