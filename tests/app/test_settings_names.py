"""A misspelt setting (``FABRIQUES_DATABSE_URL``, ``DATABASE_ULR`` in the instance's
``config.py``) left the default in force unseen: the service now says each name it reads
that is no setting, with the closest known one, on stderr for a command (a WARNING line
of each gunicorn worker: ``tests/app/test_gunicorn_start.py``), and still starts. The list
of settings is the one ``docs/exploitation.md`` documents."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from app import create_app
from app.cli import build
from app.db import EXTENSION
from app.settings import ENVIRONMENT_ONLY, SETTINGS, UNKNOWN, unknown

DOCS = Path(__file__).parents[2] / "docs" / "exploitation.md"
HINT = "(réglages : docs/exploitation.md)"


def test_a_misspelt_variable_or_instance_setting_is_said_and_the_command_runs(monkeypatch,
                                                                              tmp_path):
    (tmp_path / "config.py").write_text('DATABASE_ULR = "postgresql+psycopg://x@y/z"\n'
                                        'SERVER_NAME = "fabriques.anct.gouv.fr"\n')
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FABRIQUES_DATABSE_URL", "postgresql+psycopg://x@y/z")
    answer = CliRunner().invoke(build(), ["routes"])
    assert answer.exit_code == 0, answer.output
    assert (f"Attention — variable FABRIQUES_DATABSE_URL inconnue du service : vouliez-vous "
            f"dire FABRIQUES_DATABASE_URL ? {HINT}\n") in answer.output
    assert (f"Attention — réglage DATABASE_ULR de {tmp_path / 'config.py'} inconnu du "
            f"service : vouliez-vous dire DATABASE_URL ? {HINT}\n") in answer.output
    assert "SERVER_NAME" not in answer.output  # Flask's own setting


def test_known_names_are_not_said_and_far_ones_without_a_guess():
    environ = {"FABRIQUES_DATABASE_URL": "", "FABRIQUES_INSTANCE_PATH": "",
               "FABRIQUES_TEST_DATABASE_URL": "", "FABRIQUES_DEBUG": "1",
               "FABRIQUES_RATELIMIT__X": "", "PATH": "/bin", "FABRIQUES_RATELIMT": "off",
               "FABRIQUES_ZZZ": "1"}
    assert unknown(environ, ["CONTACT_EMAIL", "WTF_I18N_ENABLED", "QQQ"], "config.py") == [
        f"variable FABRIQUES_RATELIMT inconnue du service : vouliez-vous dire "
        f"FABRIQUES_RATELIMIT ? {HINT}",
        f"variable FABRIQUES_ZZZ inconnue du service {HINT}",
        f"réglage QQQ de config.py inconnu du service {HINT}"]


def test_an_app_built_from_a_tests_mapping_reads_no_name_to_say(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)}, web=False)
    try:
        assert UNKNOWN not in app.extensions
    finally:
        app.extensions[EXTENSION].dispose()


def test_the_docs_name_every_setting_and_no_other():
    """Each setting has its row in the table or its words just below; any other name of the
    docs is one of them, but the misspelt one they give as an example."""
    text = DOCS.read_text(encoding="utf-8")
    table = re.findall(r"^\| `(FABRIQUES_[A-Z_]+)` \|", text, flags=re.MULTILINE)
    below = text.partition("Cités ailleurs dans ces pages")[2].partition("\n\n")[0]
    documented = {*table, *re.findall(r"FABRIQUES_[A-Z][A-Z_]*", below)}
    settings = {f"FABRIQUES_{name}" for name in SETTINGS}
    assert documented == settings
    assert set(re.findall(r"FABRIQUES_[A-Z][A-Z_]*", text)) - settings == {
        "FABRIQUES_DATABSE_URL"}
    assert {"DATABASE_URL", "SECRET_KEY", "CONTACT_EMAIL"} | set(ENVIRONMENT_ONLY) <= set(
        SETTINGS)
