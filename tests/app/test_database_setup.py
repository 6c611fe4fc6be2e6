"""A PostgreSQL server that answers but refuses the connection for a reason waiting will not
fix (the database named does not exist, the login is refused) is told as a set-up step,
never as « base de données injoignable … Réessayez quand elle répond »."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.cli import build
from geodata.storage.database import DatabaseUnreachable, unreachable_message
from tests.conftest import TEST_DATABASE_URL
from tests.support import close_app, make_app, unavailable

ABSENT = f"fabriques_absente_{os.getpid()}"


@pytest.fixture(scope="module")
def server():
    """The test server's URL, once it is known to answer."""
    url = make_url(TEST_DATABASE_URL)
    engine = create_engine(url.set(database="postgres"))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        unavailable(f"PostgreSQL requis ({TEST_DATABASE_URL}) : {error}")
    finally:
        engine.dispose()
    return url


def said(url, tmp_path, monkeypatch, *args: str) -> str:
    monkeypatch.setenv("FABRIQUES_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(build(), list(args))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "injoignable" not in result.output and "Réessayez" not in result.output
    return result.output


@pytest.mark.parametrize("command", [["datasets"], ["db", "upgrade"], ["load", "regions"]])
def test_a_database_that_does_not_exist_says_to_create_it(server, tmp_path, monkeypatch,
                                                          command):
    url = server.set(database=ABSENT)
    host, port = url.host or "localhost", url.port or 5432
    user = f" -U {url.username}" if url.username else ""
    assert (f"la base {ABSENT} n'existe pas sur le serveur {host}:{port} : créez-la "
            f"(createdb -h {host} -p {port}{user} {ABSENT}), puis lancez "
            "« fabriques db upgrade »") in said(url, tmp_path, monkeypatch, *command)


def test_a_login_refused_says_to_check_the_url(server, tmp_path, monkeypatch):
    url = server.set(username="fabriques_role_absent", password="x")
    output = said(url, tmp_path, monkeypatch, "datasets")
    assert "refuse l'utilisateur fabriques_role_absent pour la base" in output
    assert "vérifiez l'utilisateur et le mot de passe de FABRIQUES_DATABASE_URL" in output


@pytest.mark.parametrize(("words", "expected"), [
    ('FATAL:  la base de données « fabriques_x » n\'existe pas', "créez-la (createdb"),
    ("FATAL:  authentification par mot de passe échouée pour l'utilisateur « analyste »",
     "refuse l'utilisateur"),
    ('FATAL:  password authentication failed for user "analyste"', "refuse l'utilisateur"),
    ("Connection refused", "base de données injoignable"),
])
def test_the_servers_french_words_are_known_too(words, expected):
    """A server with ``lc_messages`` in French words its refusals so (libpq gives no
    SQLSTATE for a connection refused at start-up)."""
    error = DatabaseUnreachable(None, None, Exception(words))
    error.url = make_url("postgresql+psycopg://analyste@db.exemple:5433/fabriques_x")
    assert expected in unreachable_message(error)


def test_a_url_without_a_user_says_whose_login_was_refused():
    error = DatabaseUnreachable(None, None, Exception('FATAL:  role "x" does not exist'))
    error.url = make_url("postgresql+psycopg://db.exemple/fabriques")
    assert "refuse l'utilisateur du système (aucun dans l'URL)" in unreachable_message(error)


@pytest.mark.parametrize(("change", "status"), [
    ({"database": ABSENT}, "base absente"),
    ({"username": "fabriques_role_absent", "password": "x"}, "connexion refusée"),
])
def test_the_health_probe_names_a_setup_problem(server, tmp_path, change, status):
    """``/sante`` told « base injoignable » for a database dropped under the service, while
    its log said the database does not exist: monitoring sent the operator to the network.
    It names the cause in words that give neither host, user nor database name."""
    app = make_app(server.set(**change).render_as_string(hide_password=False),
                   tmp_path / "instance", tmp_path)
    try:
        health = app.test_client().get("/sante")
    finally:
        close_app(app)
    assert health.status_code == 503
    assert health.json == {"status": status, "datasets": None}
