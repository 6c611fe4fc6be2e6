"""A size or an address the service could not use stops the start, in French, naming the
setting (``app.settings.check``): before, each was a 500 on the first batch, upload, login or
address search. So does an instance ``config.py`` that fails as Python, a contact address
that is no e-mail address (published as a ``mailto:``), a secret key too short, and a
database URL whose driver is not the service's (a traceback from an import deep in
SQLAlchemy). The values the service can use still start it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from app import create_app
from app.cli import build
from app.db import EXTENSION


def started(tmp_path, **settings):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), **settings})


@pytest.mark.parametrize(("setting", "value"), [
    ("BATCH_MAX_ROWS", "mille"),
    ("BATCH_MAX_ROWS", 0),
    ("API_MAX_ADDRESSES", -5),
    ("API_MAX_ADDRESSES", 2.5),
    ("MAX_CONTENT_LENGTH", "20 Mo"),
    ("PERMANENT_SESSION_LIFETIME", "8h"),
    ("PERMANENT_SESSION_LIFETIME", True),
    ("GEOCODER_URL", "data.geopf.fr/geocodage"),
    ("GEOCODER_URL", "ftp://data.geopf.fr/geocodage"),
    ("GEOCODER_URL", ""),
    ("CONTACT_EMAIL", "pas-une-adresse"),
    ("CONTACT_EMAIL", "contact@anct"),
    ("CONTACT_EMAIL", "contact@@anct.gouv.fr"),
    ("CONTACT_EMAIL", "contact anct@anct.gouv.fr"),
    ("CONTACT_EMAIL", "contact@anct.gouv.fr."),
])
def test_a_setting_the_service_cannot_use_stops_the_start(tmp_path, setting, value):
    with pytest.raises(ValueError, match=f"^{setting} : .*{value!r}"):
        started(tmp_path, **{setting: value})


@pytest.mark.parametrize("settings", [
    {"MAX_CONTENT_LENGTH": None},
    {"PERMANENT_SESSION_LIFETIME": timedelta(hours=2)},
    {"GEOCODER_URL": "http://127.0.0.1:8080/geocodage", "BATCH_MAX_ROWS": 1},
    {"CONTACT_EMAIL": "fabriques-de-territoire@anct.gouv.fr"},
    {"SECRET_KEY": "x" * 32},
])
def test_the_values_the_service_can_use_start_it(tmp_path, settings):
    app = started(tmp_path, **settings)
    try:
        assert all(app.config[name] == value for name, value in settings.items())
    finally:
        app.extensions[EXTENSION].dispose()


@pytest.mark.parametrize(("text", "said"), [
    ("BATCH_MAX_ROWS = = 3\n", "SyntaxError : invalid syntax"),
    ("import module_absent\n", "ModuleNotFoundError : No module named 'module_absent'"),
])
def test_an_instance_file_that_fails_as_python_says_which_and_why(monkeypatch, tmp_path,
                                                                   text, said):
    (tmp_path / "config.py").write_text(text)
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ValueError, match=f"^{tmp_path / 'config.py'} : {said}"):
        create_app()


@pytest.mark.parametrize("key", ["courte!", "31 caractères, pas un de plus !", 12345])
def test_a_short_secret_key_stops_the_start_without_being_said(tmp_path, key):
    with pytest.raises(ValueError, match="^SECRET_KEY : une clé d'au moins 32 caractères est "
                                         "attendue, pas ") as refused:
        started(tmp_path, SECRET_KEY=key)
    assert str(key) not in str(refused.value).removeprefix("SECRET_KEY : ")


def run(monkeypatch, tmp_path, command: str, **variables: str):
    """``fabriques COMMAND`` with these ``FABRIQUES_*`` variables, an instance of its own."""
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path))
    for name, value in variables.items():
        monkeypatch.setenv(f"FABRIQUES_{name}", value)
    return CliRunner().invoke(build(), command.split())


@pytest.mark.parametrize("url", ["postgresql+psycopg2://postgres@127.0.0.1:5432/fabriques",
                                 "postgresql+asyncpg://postgres@127.0.0.1:5432/fabriques",
                                 "postgresql+pilote://postgres@127.0.0.1:5432/fabriques",
                                 "sqlite+aiosqlite:///fabriques.sqlite3"])
def test_a_database_driver_other_than_the_services_is_a_setting_it_cannot_use(
        monkeypatch, tmp_path, url):
    answer = run(monkeypatch, tmp_path, "datasets", DATABASE_URL=url)
    assert answer.exit_code == 2, answer.output
    scheme = url.split("://")[0]
    assert answer.output.startswith(
        f"Erreur — réglage inutilisable : URL de base de données non prise en charge : "
        f"{scheme}:// (attendu : postgresql+psycopg://…, le pilote psycopg du service")
    assert "Traceback" not in answer.output


@pytest.mark.parametrize(("name", "value", "said"), [
    ("CONTACT_EMAIL", "pas-une-adresse", "CONTACT_EMAIL : une adresse électronique"),
    ("SECRET_KEY", "a", "SECRET_KEY : une clé d'au moins 32 caractères est attendue, pas une "
                        "de 1 caractère"),
])
def test_a_command_refuses_them_as_the_docs_say(monkeypatch, tmp_path, name, value, said):
    answer = run(monkeypatch, tmp_path, "datasets", **{name: value})
    assert answer.exit_code == 2, answer.output
    assert answer.output.startswith(f"Erreur — réglage inutilisable : {said}")
