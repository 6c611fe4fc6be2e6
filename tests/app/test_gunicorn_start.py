"""What a gunicorn worker says as it starts (``app.gunicorn_conf``): the database it uses,
without its password, and its instance folder; each name read that is no setting; and, when
the database does not answer or lacks the service's schema, one WARNING line for the caches
it could not warm, where each worker logged a traceback of a hundred lines. The hooks are
called as gunicorn calls them, with a worker reduced to what they use."""

from __future__ import annotations

import logging
import socket
from types import SimpleNamespace

import pytest

from app import create_app
from app.gunicorn_conf import post_worker_init, start_report, worker_exit
from tests.support import close_app

URL = "postgresql+psycopg://fabriques:mot-de-passe@127.0.0.1:5432/fabriques"


def test_a_worker_says_its_database_without_the_password_and_its_instance(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": URL,
                      "CONTACT_EMAIL": "fabriques@anct.gouv.fr", "HOSTING": "ANCT"}, web=False)
    try:
        assert start_report(app) == [(logging.INFO, f"base de données : postgresql+psycopg://"
                                                    f"fabriques:***@127.0.0.1:5432/fabriques ; "
                                                    f"dossier d'instance : {tmp_path}")]
    finally:
        close_app(app)


def test_a_worker_warns_of_a_name_that_is_no_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FABRIQUES_DATABSE_URL", URL)
    app = create_app(web=False)
    try:
        report = start_report(app)
        assert report[0] == (logging.INFO, f"base de données : sqlite:///{tmp_path}/"
                                           f"fabriques.sqlite3 ; dossier d'instance : {tmp_path}")
        assert (logging.WARNING, "variable FABRIQUES_DATABSE_URL inconnue du service : "
                                 "vouliez-vous dire FABRIQUES_DATABASE_URL ? (réglages : "
                                 "docs/exploitation.md)") in report
    finally:
        close_app(app)


class Kept(logging.Handler):
    """The records a logger emits, kept."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def nowhere():
    """A PostgreSQL URL on a port where nothing listens (held, never listening)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"postgresql+psycopg://postgres@127.0.0.1:{holder.getsockname()[1]}/fabriques"


@pytest.mark.parametrize(("database", "said"), [
    ("nowhere", "(base de données injoignable : "),
    ("empty", "(la base sqlite:///"),  # a file without the service's schema
])
def test_warming_without_the_database_is_one_warning_without_traceback(request, tmp_path,
                                                                        database, said):
    url = request.getfixturevalue("nowhere") if database == "nowhere" \
        else f"sqlite:///{tmp_path / 'vide.sqlite3'}"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "DATABASE_URL": url})
    log = logging.getLogger(f"test-gunicorn-start-{database}")
    log.propagate = False
    kept = Kept()
    log.addHandler(kept)
    worker = SimpleNamespace(wsgi=app, log=log, notify=lambda: None)
    try:
        post_worker_init(worker)
    finally:
        worker_exit(None, worker)
        log.removeHandler(kept)
        close_app(app)
    warming = [record for record in kept.records if "préchauffage" in record.getMessage()]
    assert len(warming) == 1
    assert warming[0].levelno == logging.WARNING and warming[0].exc_info is None
    assert warming[0].getMessage().startswith(
        f"préchauffage des caches de la carte impossible {said}")
    assert all(record.exc_info is None for record in kept.records)
