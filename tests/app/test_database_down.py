"""The service while its database does not answer, then once it is back.

The fault-injection test starts a PostgreSQL cluster of its own (``initdb`` and ``pg_ctl`` of
PostgreSQL 15, in a temporary folder, on its own port: never the shared server), loads real
sources into it, serves the app with a threaded werkzeug server, then stops and starts that
cluster under the running server. The quicker tests point the app at a port where nothing
listens, and at a database without the service's schema (both backends): pages, API and
commands say which command prepares it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app import create_app
from app.cli import build
from app.db import EXTENSION
from geodata.storage.cache import forget_versions
from geodata.storage.database import (
    CONNECT_TIMEOUT_S,
    DatabaseError,
    DatabaseUnreachable,
    embedded_url,
    make_engine,
    upgrade,
)
from tests.own_postgres import own_postgres_fixture  # noqa: F401 - module-scoped
from tests.support import close_app, make_app

SOURCES = ("regions", "departements", "qpv2024-paca")
API = ("/api/v1/datasets", "/api/v1/fabriques", "/api/v1/reseaux/declares",
       "/api/v1/couches/qpv?bbox=5.3,43.2,5.5,43.4&zoom=12")
PAGES = ("/", "/carte", "/verifier?lon=5.4034&lat=43.3305", "/reseaux")
DOWN_TITLE = "Base de données injoignable"


@pytest.fixture(scope="module")
def served(own_postgres, tmp_path_factory, data_dir):
    """The app on that cluster with real sources loaded, served on 127.0.0.1; yields the app
    and its base URL."""
    app = make_app(own_postgres.url, tmp_path_factory.mktemp("instance"), data_dir,
                   RATELIMIT="off")
    for source in SOURCES:
        result = app.test_cli_runner().invoke(args=["load", source, "--quiet"])
        assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    close_app(app)


def assert_all_answer(base: str) -> None:
    """Every page and API route, and the health check, answer 200."""
    for path in (*API, *PAGES):
        answer = requests.get(base + path, timeout=60)
        assert answer.status_code == 200, f"{path} : {answer.status_code} {answer.text[:300]}"
    health = requests.get(f"{base}/sante", timeout=60)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "datasets": len(SOURCES)}


def assert_down(base: str) -> None:
    """The API's 503 ``base-indisponible``, a French 503 page, ``/sante`` "base injoignable"."""
    for path in API:
        answer = requests.get(base + path, timeout=60)
        assert answer.status_code == 503, f"{path} : {answer.status_code} {answer.text[:300]}"
        error = answer.json()["error"]
        assert set(error) == {"status", "code", "message", "parameter"}
        assert (error["status"], error["code"]) == (503, "base-indisponible")
        assert "base de données ne répond pas" in error["message"]
    for path in PAGES:
        page = requests.get(base + path, timeout=60)
        assert page.status_code == 503, f"{path} : {page.status_code}"
        assert 'lang="fr"' in page.text and DOWN_TITLE in page.text
        assert "pas encore créée" not in page.text and "load demo" not in page.text
    health = requests.get(f"{base}/sante", timeout=60)
    assert health.status_code == 503
    assert health.json() == {"status": "base injoignable", "datasets": None}


@pytest.mark.postgis
@pytest.mark.shared_data
def test_database_stopped_under_a_running_server_then_back(own_postgres, served, login):
    app, base = served
    engine = app.extensions[EXTENSION]
    assert_all_answer(base)
    client = app.test_client()
    login(client)  # a logged-in person's pages ask the database who they are

    own_postgres.stop()
    forget_versions(engine)  # what VERSIONS_TTL_S would do: read the versions again
    assert_down(base)
    page = client.get("/instruction/historique")
    assert page.status_code == 503 and DOWN_TITLE in page.text

    own_postgres.start()  # the same app, never restarted
    assert_all_answer(base)
    assert client.get("/instruction/historique").status_code == 200

    own_postgres.stop()  # a restart between two requests: the pool's connections are dead,
    own_postgres.start()  # pre-ping replaces them before they are used
    assert_all_answer(base)


@pytest.fixture
def nowhere() -> Iterator[str]:
    """A PostgreSQL URL on a port where nothing listens (held by a socket that never listens,
    so that nothing else takes it meanwhile)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"postgresql+psycopg://postgres@127.0.0.1:{holder.getsockname()[1]}/fabriques"


@pytest.fixture
def down_app(nowhere, tmp_path, data_dir):
    app = make_app(nowhere, tmp_path / "instance", data_dir)
    yield app
    close_app(app)


def test_unreachable_database_is_not_a_missing_schema(down_app):
    client = down_app.test_client()
    health = client.get("/sante")
    assert health.status_code == 503
    assert health.json == {"status": "base injoignable", "datasets": None}
    home = client.get("/")
    assert home.status_code == 503 and DOWN_TITLE in home.text
    assert "pas encore créée" not in home.text and "load demo" not in home.text
    answer = client.get("/api/v1/datasets")
    assert answer.status_code == 503 and answer.json["error"]["code"] == "base-indisponible"


def test_a_silent_server_is_given_up_after_the_connect_timeout(nowhere):
    """A host that drops packets would hold a worker for minutes: each new connection asks
    for ``CONNECT_TIMEOUT_S`` (seen here on a refused one), unless the URL says otherwise."""
    for url, expected in ((nowhere, CONNECT_TIMEOUT_S),
                          (nowhere + "?connect_timeout=2", "2")):
        engine = make_engine(url)
        asked = []
        event.listen(engine, "do_connect", lambda _dialect, _record, _args, params,
                     asked=asked: asked.append(dict(params)))
        with pytest.raises(DatabaseUnreachable):
            engine.connect()
        engine.dispose()
        assert asked and asked[0]["connect_timeout"] == expected


def test_embedded_file_that_cannot_be_opened_is_unreachable(tmp_path, data_dir):
    """The embedded backend's outage: its file cannot be opened (here a folder in its place)."""
    (tmp_path / "instance" / "fabriques.sqlite3").mkdir(parents=True)
    app = make_app("", tmp_path / "instance", data_dir)
    try:
        assert app.test_client().get("/sante").json["status"] == "base injoignable"
    finally:
        close_app(app)


def test_datasets_before_the_schema_exists_says_so(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "neuve")})
    result = app.test_cli_runner().invoke(args=["datasets"])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur — ") and "fabriques db upgrade" in result.output
    assert isinstance(result.exception, SystemExit)
    app.extensions[EXTENSION].dispose()


def test_datasets_while_the_database_is_down_says_so(down_app):
    result = down_app.test_cli_runner().invoke(args=["datasets"])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur — base de données injoignable")
    assert "Connection refused" in result.output


def test_an_embedded_file_that_does_not_open_says_where_and_why(tmp_path, monkeypatch):
    """« base de données injoignable … unable to open database file. Réessayez quand elle
    répond » for a file that will never open (synthetic: a folder where the file should
    be, as a read-only folder does for a user who is not root); a file where the instance
    folder should be ended in a traceback."""
    (tmp_path / "instance" / "fabriques.sqlite3").mkdir(parents=True)
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path / "instance"))
    said = CliRunner().invoke(build(), ["datasets"])
    assert said.exit_code == 1 and "Traceback" not in said.output
    assert f"le fichier {tmp_path}/instance/fabriques.sqlite3 ne s'ouvre pas (unable to open " \
        f"database file) : vérifiez que son dossier {tmp_path}/instance existe" in said.output
    assert "Réessayez" not in said.output

    (tmp_path / "un-fichier").write_text("")
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path / "un-fichier" / "instance"))
    said = CliRunner().invoke(build(), ["datasets"])
    assert said.exit_code == 2 and said.exception.__class__ is SystemExit
    assert f"le dossier de la base embarquée {tmp_path}/un-fichier/instance ne peut être " \
        "créé (Not a directory)" in said.output


@pytest.fixture
def schemaless_url(backend, tmp_path, request) -> str:
    """A database of the test's backend that answers without the service's tables: a new
    embedded file, or a migrated PostGIS copy whose tables are all dropped (PostGIS's own
    ``spatial_ref_sys`` kept)."""
    if backend == "sqlite":
        return embedded_url(tmp_path / "neuve")
    url = request.getfixturevalue("postgis_url")
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = connection.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'spatial_ref_sys'")).all()
        listed = ", ".join(f'"{table}"' for table in tables)
        connection.execute(text(f"DROP TABLE {listed} CASCADE"))
    engine.dispose()
    return url


def test_a_database_without_the_schema_says_which_command_prepares_it(schemaless_url,
                                                                      tmp_path, data_dir):
    """Pages and API answer 503 with the command (they were 500); the home page and /sante
    say it as before."""
    app = make_app(schemaless_url, tmp_path / "instance", data_dir)
    try:
        client = app.test_client()
        for path in API[:3]:
            answer = client.get(path)
            assert answer.status_code == 503, f"{path} : {answer.status_code}"
            error = answer.json["error"]
            assert (error["status"], error["code"]) == (503, "schema-absent")
            assert "fabriques load demo" in error["message"]
        for path in PAGES[1:]:
            page = client.get(path)
            assert page.status_code == 503, f"{path} : {page.status_code}"
            assert "Service pas encore prêt" in page.text and "fabriques db upgrade" in page.text
        assert client.get("/").status_code == 200
        assert client.get("/sante").json == {"status": "schéma absent", "datasets": 0}
    finally:
        close_app(app)


def test_a_database_one_migration_behind_says_which_command_migrates_it(database_url,
                                                                        tmp_path, data_dir):
    """The code updated, the database not migrated: a column the code reads is missing
    (``dataset_versions.title``, migration 0023). Pages and API answered 500 on every
    check; they answer 503 with the command, as for a missing table."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE dataset_versions DROP COLUMN title"))
    engine.dispose()
    app = make_app(database_url, tmp_path / "instance", data_dir)
    try:
        client = app.test_client()
        answer = client.get("/api/v1/eligibility?lon=5.4034&lat=43.3305")
        assert answer.status_code == 503 and answer.json["error"]["code"] == "schema-absent"
        assert "fabriques db upgrade" in answer.json["error"]["message"]
        page = client.get(PAGES[2])
        assert page.status_code == 503 and "fabriques db upgrade" in page.text
        said = app.test_cli_runner().invoke(args=["datasets"])
        assert said.exit_code == 1 and "n'a pas le schéma du service" in said.output
        assert "fabriques db upgrade" in said.output and "Traceback" not in said.output
    finally:
        close_app(app)


@pytest.mark.parametrize("command", [["check", "--lon", "5.4", "--lat", "43.3"], ["quotas"],
                                     ["dossiers", "exporter", "-o", "x.csv"]])
def test_a_command_on_a_database_without_the_schema_says_which_prepares_it(
        tmp_path, monkeypatch, command):
    """As a new user's first command would meet it: a new instance folder, its embedded file
    (the error is the engine's on both backends: see the test above)."""
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build(), command)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Erreur — la base ")
    assert "n'a pas le schéma du service" in result.output
    assert "fabriques load demo" in result.output and "fabriques db upgrade" in result.output
    assert "Traceback" not in result.output and "sqlalche.me" not in result.output


def test_a_schema_from_a_newer_version_is_said_and_left_as_it_is(database_url, tmp_path,
                                                                 data_dir):
    """A deployment rolled back under a database a newer version migrated: every command
    that migrates says so, in French, and changes nothing."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    app = make_app(database_url, tmp_path / "instance", data_dir)
    try:
        for command in (["db", "upgrade"], ["load", "regions", "--quiet"], ["users", "list"]):
            result = app.test_cli_runner().invoke(args=command)
            assert result.exit_code == 1, result.output
            assert "a un schéma que cette version du service ne connaît pas" in result.output
            assert "'9999_future'" in result.output and "Traceback" not in result.output
            assert "servez-la avec cette version plus récente" in result.output
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == (
                "9999_future")
    finally:
        close_app(app)
        engine.dispose()


@pytest.mark.postgis
def test_postgis_missing_where_the_role_cannot_install_it_is_said(own_postgres):
    """A database made for the service without PostGIS, and a role that may not install it
    (not a superuser): the migration says what an administrator must run, changes nothing."""
    admin = create_engine(own_postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE ROLE sans_droits LOGIN"))
        connection.execute(text("CREATE DATABASE sans_postgis OWNER sans_droits"))
    url = make_url(own_postgres.url).set(username="sans_droits", database="sans_postgis")
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(DatabaseError, match="PostGIS manque dans la base .*sans_postgis et "
                           "n'a pas pu y être installé .*CREATE EXTENSION postgis;"):
            upgrade(engine)
        with engine.connect() as connection:
            assert connection.scalar(text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) == 0
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE sans_postgis WITH (FORCE)"))
            connection.execute(text("DROP ROLE sans_droits"))
        admin.dispose()
