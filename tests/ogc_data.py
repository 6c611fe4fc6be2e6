"""The database the OGC API tests read, on each backend, loaded once per test module: the real
COG lists, EPCI, density grid and official list of the QPV of 2024, the outlines of the
communes of the Bouches-du-Rhône only (``contours_of``: loads in seconds), the QPV of PACA
(2024) and the Île-de-France extract (2015), the published laureates plus the synthetic
decided ones of ``tests.laureates_data``, and two small lists of places.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from geodata.policy import load_policy
from geodata.storage.database import embedded_url, make_engine, upgrade
from geodata.storage.laureates import laureate_table
from geodata.storage.models import CommuneContour, Laureate, Place, Qpv
from loaders.pipeline import load_source
from tests.conftest import BACKENDS, database_copy
from tests.laureates_data import add_decided
from tests.support import close_app, contours_of, make_app

__all__ = ["DEPARTEMENT", "SOURCES", "app", "client", "engine", "get_json", "ogc_database",
           "stored"]

DEPARTEMENT = "13"
FACTS = ("regions", "departements", "communes", "epci", "densite", "qpv2024-communes")
"""Loaded before the outlines, then the layers."""
LAYERS = ("qpv2024-paca", "qpv2015-ile-de-france-extrait", "laureates",
          "france-tiers-lieux-extrait", "manufactures-proximite")
SOURCES = (*FACTS, "commune-contours", *LAYERS)


def _load(url: str, data_dir: Path, folder: Path) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        for name in FACTS:
            load_source(engine, name, data_dir=data_dir, progress=False)
        contours = contours_of(data_dir, [DEPARTEMENT], folder / "contours.geojson")
        load_source(engine, "commune-contours", str(contours), progress=False)
        for name in LAYERS:
            load_source(engine, name, data_dir=data_dir, progress=False)
        add_decided(engine)
    finally:
        engine.dispose()


@contextmanager
def ogc_database(backend: str, request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[str]:
    """The URL of a database of ``backend`` holding the module's data (dropped afterwards)."""
    folder = tmp_path_factory.mktemp(f"ogc-{backend}")
    if backend == "sqlite":
        url = embedded_url(folder / "instance")
        _load(url, data_dir, folder)
        yield url
        return
    template = request.getfixturevalue("postgis_template")
    with database_copy(template, f"{template}_ogc_{os.getpid()}_{folder.name}") as url:
        _load(url, data_dir, folder)
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """Each backend, one module's database for each (import with ``ogc_url``)."""
    return request.param


@pytest.fixture(scope="module")
def ogc_url(backend, request, tmp_path_factory, data_dir):
    """The URL of the module's OGC database of ``backend`` (``ogc_database``)."""
    with ogc_database(backend, request, tmp_path_factory, data_dir) as url:
        yield url


def stored(engine: Engine, collection: str) -> dict:
    """The collection's features as stored: public id -> shapely geometry (or None)."""
    queries = {
        **{f"qpv{vintage}": select(Qpv.code, Qpv.geom).where(Qpv.vintage == vintage)
           for vintage in ("2015", "2024")},
        "communes": select(CommuneContour.code, CommuneContour.geom)
        .where(CommuneContour.kind == "COM"),
        "lieux": select(Place.kind + ":" + Place.external_id, Place.geom),
        "fabriques": select(Laureate.id, Laureate.geom),
    }
    with engine.connect() as connection:
        found = dict(connection.execute(queries[collection]).all())
    if collection == "fabriques":  # each Fabrique once, as the map and the open data
        served = {row["id"] for row in laureate_table(engine, load_policy("current"))}
        found = {key: value for key, value in found.items() if key in served}
    return found


@pytest.fixture(scope="module")
def app(ogc_url, tmp_path_factory, data_dir):
    """The service on the module's database, rate limits off."""
    app = make_app(ogc_url, tmp_path_factory.mktemp("instance"), data_dir, RATELIMIT="off")
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def engine(ogc_url):
    engine = make_engine(ogc_url)
    yield engine
    engine.dispose()


def get_json(client, url: str, status: int = 200) -> dict:
    answer = client.get(url)
    assert answer.status_code == status, answer.text
    return json.loads(answer.text)
