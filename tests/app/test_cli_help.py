"""``fabriques --help`` in French, the project's commands first and Flask's apart; every
sub-command's help and usage errors in French too (Click's catalogue, ``app.cli.french``);
``fabriques load --help`` names every source of the registry with its title; a command that
needs only the database gets an app without its web part."""

from __future__ import annotations

import gettext
import importlib.metadata
import re
import string
import sys
from pathlib import Path

import click
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner

from app import create_app
from app.cli import DATABASE_ONLY, ORDER, build, french, project_command
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


def command_paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command of the project, as the words that call it."""
    found = [path] if path else []
    if isinstance(command, click.Group):
        for name, subcommand in sorted(command.commands.items()):
            found += command_paths(subcommand, (*path, name))
    return found


PROJECT_COMMANDS = [path for name in ORDER
                    for path in command_paths(project_command(name), (name,))]
ENGLISH = re.compile(r"Usage:|Show this message|Commands:|\[required\]|\[default:|Error:|Try '|"
                     r"for help|Missing|Invalid|No such|<=x|x<=|"
                     r"\b(COMMAND|ARGS|FLOAT|TEXT|INTEGER|PATH|FILE|DIRECTORY)\b")


def test_every_command_of_the_project_is_listed():
    assert len(PROJECT_COMMANDS) > len(ORDER)
    assert ("dossiers", "importer") in PROJECT_COMMANDS  # the dossiers' group, the jury's too
    assert ("dossiers", "decider") in PROJECT_COMMANDS
    assert ("laureats", "livrables", "importer") in PROJECT_COMMANDS


@pytest.mark.parametrize("path", PROJECT_COMMANDS, ids=" ".join)
def test_each_commands_help_is_in_french(path):
    text = help_of(*path)
    assert text.startswith(f"Utilisation : fabriques {' '.join(path)} [OPTIONS]")
    assert "--help  " in text and "Affiche cette aide et quitte." in text
    assert not ENGLISH.search(text), text


def test_a_groups_help_names_its_commands_in_french():
    text = help_of("dossiers")
    assert text.startswith("Utilisation : fabriques dossiers [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "\nCommandes:\n" in text and "  importer  " in text
    check = help_of("check")
    assert "--lon NOMBRE" in check and "[obligatoire]" in check
    assert "[par défaut : point]" in check and "--politique, --policy TEXTE" in check
    importing = help_of("dossiers", "importer")
    assert "--politique, --policy" in importing  # one word everywhere
    assert "[par défaut : selon-la-vague]" in importing  # the import page's, not today's rules


def test_the_version_is_the_services():
    """``fabriques --version`` printed Flask's (« Python 3.11.7 / Flask 3.1.3 / Werkzeug »)."""
    answer = CliRunner().invoke(build(), ["--version"])
    assert answer.exit_code == 0
    assert answer.output.startswith(f"fabriques {importlib.metadata.version('fabriques')} (")
    assert "Affiche la version du service." in help_of()


@pytest.mark.parametrize(("command", "args", "said"), [
    ("check", ["--lat", "43.3"], "Erreur — il manque l'option '--lon'."),
    ("check", ["--lon", "abc", "--lat", "43.3"],
     "Erreur — valeur invalide pour '--lon' : lon doit être un nombre (degrés décimaux "
     "WGS84), reçu « abc »"),
    ("check", ["--lon", "nan", "--lat", "43.3"],
     "Erreur — valeur invalide pour '--lon' : lon doit être un nombre fini"),
    ("check", ["--lon", "5.4", "--lat", "43.3", "--precision", "rue"],
     "Erreur — valeur invalide pour '--precision' : 'rue' n'est pas l'une des valeurs"),
    ("check", ["--lonn", "5.4"], "Erreur — option inconnue : '--lonn'. (Vouliez-vous dire"),
    ("dossiers importer", [], "Erreur — il manque l'argument 'FICHIER'."),
    ("dossiers importer", ["a.xlsx", "b.xlsx"], "Erreur — argument en trop (b.xlsx)"),
    ("classify", ["absent.csv", "-o", "x.csv"],
     "Erreur — valeur invalide pour 'FICHIER' : Fichier 'absent.csv' introuvable."),
    ("laureats livrables", ["inconnue"], "Erreur — commande inconnue : 'inconnue'."),
    ("classify", [__file__, "-o", "/dossier-absent/x.csv"],
     "Erreur — valeur invalide pour '-o' / '--output' : dossier introuvable : /dossier-absent"),
    ("quotas", ["--csv", "/dossier-absent/q.csv"],
     "Erreur — valeur invalide pour '--csv' : dossier introuvable : /dossier-absent"),
    ("dossiers exporter", ["-o", "/dossier-absent/x.csv"],
     "Erreur — valeur invalide pour '-o' / '--output' : dossier introuvable : /dossier-absent"),
])
def test_a_usage_error_is_in_french(command, args, said):
    answer = CliRunner().invoke(build(), [*command.split(), *args], terminal_width=200)
    assert answer.exit_code == 2
    assert answer.output.startswith(f"Utilisation : fabriques {command} [OPTIONS]")
    assert f"Pour l'aide, tapez « fabriques {command} --help »." in answer.output
    assert said in answer.output
    assert not ENGLISH.search(answer.output), answer.output


def test_an_unknown_command_is_said_in_french(monkeypatch, tmp_path):
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path))
    answer = CliRunner().invoke(build(), ["verifier"])
    assert answer.exit_code == 2
    assert answer.output.startswith("Utilisation : fabriques [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "Erreur — commande inconnue : 'verifier'." in answer.output


def test_a_setting_it_cannot_use_ends_a_command_with_the_settings_name(monkeypatch, tmp_path):
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FABRIQUES_BATCH_MAX_ROWS", "beaucoup")
    answer = CliRunner().invoke(build(), ["routes"])
    assert answer.exit_code == 2, answer.output
    assert answer.output.startswith("Erreur — réglage inutilisable : BATCH_MAX_ROWS : un "
                                    "entier d'au moins 1 est attendu, pas 'beaucoup'")
    assert "Traceback" not in answer.output


def test_classify_refuses_to_write_over_the_file_it_reads(monkeypatch, tmp_path):
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.chdir(tmp_path)
    Path("lieux.csv").write_text("id,lon,lat\n1,5.4,43.3\n", encoding="utf-8")
    answer = CliRunner().invoke(build(), ["classify", "lieux.csv", "-o", str(tmp_path /
                                                                           "lieux.csv")])
    assert answer.exit_code == 2, answer.output
    assert "le fichier produit serait le fichier lu" in answer.output
    assert Path("lieux.csv").read_text(encoding="utf-8") == "id,lon,lat\n1,5.4,43.3\n"


def test_flasks_development_commands_still_work(monkeypatch, tmp_path):
    monkeypatch.setenv("FABRIQUES_INSTANCE_PATH", str(tmp_path))
    assert help_of("run").startswith("Utilisation : fabriques run [OPTIONS]")
    answer = CliRunner().invoke(build(), ["routes"], terminal_width=200)
    assert answer.exit_code == 0, answer.output
    assert "/verifier" in answer.output


def test_the_app_runner_speaks_french_too(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    answer = app.test_cli_runner().invoke(args=["users", "add", "a@anct.gouv.fr"])
    assert answer.exit_code == 2 and "Erreur — il manque l'option '--role'." in answer.output


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_the_catalogue_translates_every_message_of_the_installed_click():
    """Each string Click passes to gettext (read from its source) has its French, whose
    placeholders are Click's: a new Click with a new message fails here."""
    with french.CATALOGUE.open("rb") as po:
        catalogue = read_po(po, locale="fr")
    assert not list(catalogue.check())
    translated = {message.id: message.string for message in catalogue if message.id}
    found = extract_from_dir(Path(click.__file__).parent, method_map=[("**.py", "python")],
                             keywords={"_": None, "ngettext": (1, 2)})
    click_ids = {message for _, _, message, _, _ in found} | {"required"}  # _(extra["required"])
    assert len(click_ids) > 70
    missing = [msgid for msgid in click_ids if not translated.get(msgid)
               or (isinstance(msgid, tuple) and not all(translated[msgid]))]
    assert not missing
    for msgid in click_ids:
        given = set().union(*map(_fields, msgid if isinstance(msgid, tuple) else [msgid]))
        for text in translated[msgid] if isinstance(msgid, tuple) else [translated[msgid]]:
            assert _fields(text) <= given, (msgid, text)  # str.format would fail


def test_every_module_of_click_asks_the_french_catalogue():
    for name, module in list(sys.modules.items()):
        if name == "click" or name.startswith("click."):
            assert vars(module).get("_") is not gettext.gettext, name
            assert vars(module).get("ngettext") is not gettext.ngettext, name
    assert french.translations().gettext("Usage:") == "Utilisation :"
