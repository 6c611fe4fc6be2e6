"""Fixtures: a fresh database per test on each backend, the shared data folder, the app.

PostGIS tests use ``FABRIQUES_TEST_DATABASE_URL`` (default: ``fabriques_test`` on
127.0.0.1:5432 as ``postgres``). That database is migrated by the first test process that
needs it (``pytest -n`` starts several) and used as a template: each test gets its own copy,
dropped afterwards. The template remembers the digest of the migration files it was made
with (the database's comment): a migration edited since (as one is while it is written)
makes it be dropped and made again, never tested with the functions of an earlier draft.
Without a server the PostGIS tests are skipped locally; in CI (``CI=true``) a skipped
PostGIS test is a failure.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from geodata.storage.database import MIGRATIONS, embedded_url, make_engine, upgrade
from loaders.registry import default_data_dir
from tests.support import IN_CI, unavailable

# Helper modules whose asserts should explain themselves like a test's.
pytest.register_assert_rewrite("tests.geodata.sql_crosscheck", "tests.loaders.common")

TEST_DATABASE_URL = os.environ.get(
    "FABRIQUES_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/fabriques_test"
)
# Apps the tests build from the environment keep no index on disk either (settings.TESTING
# says so for the others): each test's data are its own. tests/geodata/test_index_files.py
# and the CLI's test of it set a folder of their own.
os.environ["FABRIQUES_INDEX_FILES"] = "off"
BACKENDS = ["sqlite", "postgis"]
_copies = itertools.count()


def migrations_digest() -> str:
    """What the template database is made from: the migration files, names and contents."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS.rglob("*.py")):  # their shared helpers too
        digest.update(str(path.relative_to(MIGRATIONS)).encode() + b"\0" + path.read_bytes())
    return f"migrations {digest.hexdigest()[:16]}"


@pytest.fixture(scope="session")
def postgis_template() -> str:
    """The migrated template database's name (created, or made again when the migrations
    changed since it was made, if the server lets us). The test processes of ``pytest -n``
    come one at a time: the first makes it, the others find it made."""
    url = make_url(TEST_DATABASE_URL)
    name = url.database
    assert name and name.startswith("fabriques_test"), (
        f"refus : la base de test doit s'appeler fabriques_test*, pas {name!r}"
    )
    with (Path(tempfile.gettempdir()) / f"{name}.template.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        return _made_template(url, name)


def _made_template(url: URL, name: str) -> str:
    made_from = migrations_digest()
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.execute(text(
                "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
                "WHERE datname = :n"), {"n": name}).first()
            if found is not None and found[0] != made_from:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                found = None
            if found is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means "no server"
        admin.dispose()
        unavailable(f"PostGIS requis : PostgreSQL injoignable ({TEST_DATABASE_URL}) : {error}")
    if found is not None:  # made from these migrations: not connected to again, since a
        admin.dispose()  # copy is refused while anyone is connected to its template
        return name
    engine = make_engine(str(url))
    try:
        upgrade(engine)
        with admin.connect() as connection:
            connection.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{made_from}'"))
    except Exception as error:  # noqa: BLE001
        unavailable(f"PostGIS requis : PostGIS indisponible dans {name} : {error}")
    finally:
        engine.dispose()
        admin.dispose()
    return name


@contextmanager
def database_copy(template: str, copy: str) -> Iterator[str]:
    """The URL of ``copy``, a new copy of the ``template`` database, dropped on leaving."""
    url = make_url(TEST_DATABASE_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{copy}"'))
            connection.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"'))
        yield url.set(database=copy).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgis_url(request) -> Iterator[str]:
    """A throwaway copy of the template database, dropped after the test."""
    template = request.getfixturevalue("postgis_template")
    with database_copy(template, f"{template}_{os.getpid()}_{next(_copies)}") as url:
        yield url


@pytest.fixture
def unmigrated_url(backend, tmp_path) -> Iterator[str]:
    """An empty database of the test's backend, not migrated: a migration's test upgrades it
    to the revision before, writes rows as that schema had them, then upgrades."""
    if backend == "sqlite":
        yield embedded_url(tmp_path / "instance")
        return
    name = f"{make_url(TEST_DATABASE_URL).database}_vide_{os.getpid()}_{next(_copies)}"
    with database_copy("template1", name) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> str:
    """A migrated, empty database of the test's backend."""
    if backend == "postgis":
        return request.getfixturevalue("postgis_url")
    url = embedded_url(tmp_path / "instance")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url):
    """An engine on a fresh, migrated database of each backend."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real datasets (``FABRIQUES_DATA_DIR``, default ``../shared/data``)."""
    path = default_data_dir()
    if not (path / "SOURCES.md").is_file():
        unavailable(f"données partagées introuvables : {path}")
    return path


def repeated_node_ids(items) -> list[str]:
    """The node ids that more than one collected test carries."""
    counts = Counter(item.nodeid for item in items)
    return sorted(nodeid for nodeid, count in counts.items() if count > 1)


def pytest_collection_modifyitems(config, items):
    """Refuse two tests of one node id (pytest-xdist would run one of them and drop the
    others without a word: pytest 9.2 gave every schemathesis test the same id), then mark
    every test that runs on PostGIS, so ``-m postgis`` selects them."""
    repeated = repeated_node_ids(items)
    if repeated:
        raise pytest.UsageError(
            f"{len(repeated)} identifiant(s) de test portés par plusieurs tests (pytest -n "
            f"n'en lancerait qu'un) : {', '.join(repeated[:3])}")
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("backend") == "postgis":
            item.add_marker(pytest.mark.postgis)


_skipped_postgis: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and "postgis" in report.keywords:
        _skipped_postgis.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped PostGIS test is a failure, however it was skipped."""
    if IN_CI and _skipped_postgis:
        print(f"\nERREUR : {len(_skipped_postgis)} test(s) PostGIS ignoré(s) en CI")
        session.exitstatus = 1


REFERENCE_SOURCES = (
    "regions", "departements", "communes", "epci", "commune-contours", "densite",
    "qpv2015-occitanie", "qpv2015-ile-de-france-extrait", "qpv2015-ille-et-vilaine",
    "qpv2024-paca", "qpv2024-communes", "laureates",
)


@pytest.fixture(scope="session")
def reference_engine(tmp_path_factory, data_dir):
    """An embedded database with the real communes, classes, QPV and laureates, read-only."""
    from loaders.pipeline import load_source

    engine = make_engine(embedded_url(tmp_path_factory.mktemp("reference")))
    upgrade(engine)
    for name in REFERENCE_SOURCES:
        load_source(engine, name, data_dir=data_dir, progress=False)
    yield engine
    engine.dispose()
