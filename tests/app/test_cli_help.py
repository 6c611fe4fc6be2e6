"""``fabriques --help`` in French, the project's commands first and Flask's apart;
``fabriques load --help`` names every source of the registry with its title; a command that
needs only the database gets an app without its web part."""

from __future__ import annotations

import click
from click.testing import CliRunner

from app import create_app
from app.cli import DATABASE_ONLY, ORDER, build
from loaders.registry import SOURCES


def help_of(*args: str) -> str:
    answer = CliRunner().invoke(build(), [*args, "--help"], terminal_width=200)
    assert answer.exit_code == 0, answer.output
    return answer.output


def test_the_help_lists_the_projects_commands_first_in_french(monkeypatch, tmp_path):
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path))
    text = help_of()
    assert text.startswith("Utilisation : fabriques [OPTIONS] COMMANDE")
    assert "Affiche cette aide et quitte." in text and "Show this message" not in text
    ours, _, development = text.partition("Commandes de développement (Flask):")
    listed = [line.split()[0] for line in ours.split("Commandes du service:")[1].splitlines()
              if line.startswith("  ")]
    assert listed == list(ORDER)
    assert {"run", "routes", "shell"} <= {line.split()[0] for line in development.splitlines()
                                          if line.startswith("  ")}


def test_load_help_lists_the_sources_with_their_titles():
    text = help_of("load")
    for name, source in SOURCES.items():
        assert f"{name}  " in text and source.title in text


def test_database_only_commands_get_an_app_without_pages(tmp_path):
    assert {"check", "classify", "quotas"} <= DATABASE_ONLY
    app = create_app({"INSTANCE_PATH": str(tmp_path)}, web=False)
    assert app.blueprints == {} and "nombre" not in app.jinja_env.filters
    with click.Context(build()), app.app_context():
        from app.db import get_engine

        assert get_engine().url.drivername == "sqlite"
