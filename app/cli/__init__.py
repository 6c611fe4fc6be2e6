"""The ``fabriques`` command: Flask's CLI group plus the project's commands, one module per
command group.

    fabriques load | datasets | db        data (app/cli/data.py)
    fabriques check | classify | quotas   eligibility (app/cli/eligibility.py)
    fabriques dossiers importer|exporter  a wave's dossiers (app/cli/dossiers.py)
    fabriques dossiers decider|cloturer   its jury (app/cli/jury.py)
    fabriques laureats publier|livrables  open data, deliverables (app/cli/laureats.py)
    fabriques reseaux charger             declared networks (app/cli/reseaux.py)
    fabriques users ...                   accounts (app/cli/users.py)
    fabriques run | routes | shell        Flask's development commands (gunicorn in production)

``fabriques --help`` is in French: the project's commands first, in the order above, then
Flask's development commands in a section of their own. Click's own words (usage, sections,
the help option, errors) are French for every command, through ``app.cli.french``.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import os
import sys
from importlib import import_module

import click
from flask import Flask
from flask.cli import FlaskGroup

from app.cli import common, french
from geodata.storage.database import DatabaseError, DatabaseUnreachable, unreachable_message

__all__ = ["DEVELOPMENT", "FabriquesGroup", "ORDER", "build", "init_app", "main"]

french.install()  # before the command modules build their parameters (click.Path names itself)

ORDER = ("load", "datasets", "db", "check", "classify", "quotas", "dossiers", "laureats",
         "reseaux", "users")
"""The project's commands, as ``fabriques --help`` lists them."""
MODULES = {"load": "data", "datasets": "data", "db": "data", "check": "eligibility",
           "classify": "eligibility", "quotas": "eligibility", "dossiers": "dossiers",
           "laureats": "laureats", "reseaux": "reseaux", "users": "users"}
"""Where each of the project's commands is defined (``app.cli.<module>``)."""
DATABASE_ONLY = {"check", "classify", "quotas", "datasets"}
"""Commands that need the settings and the database only: their app has no web part
(``create_app(web=False)``), so ``fabriques check`` answers without importing the pages."""
DEVELOPMENT = {"run": "Serveur de développement (en production : gunicorn, make serve).",
               "routes": "Les adresses du site et leurs vues.",
               "shell": "Une console Python dans le contexte de l'application.",
               "limiter": "Maintenance de Flask-Limiter (limites de requêtes)."}
"""Flask's (and its extensions') commands, apart, with a French line each."""
OPTIONS_HELP = {
    "env_file": "Fichier de variables d'environnement (python-dotenv), prioritaire sur "
                ".env et .flaskenv.",
    "app": "Application Flask à charger (module:nom) : par défaut celle du service.",
    "debug": "Mode débogage.",
}

VERSION_MESSAGE = (f"%(prog)s %(version)s (Python {sys.version.split()[0]}, "
                   f"Flask {importlib.metadata.version('flask')})")
"""What ``fabriques --version`` prints: the service's version first (Flask's own option printed
only Python's, Flask's and Werkzeug's)."""


def _commands_of(module_name: str) -> dict[str, click.Command]:
    """The commands a module of ``app.cli`` defines, by name (the dossiers' with the jury's)."""
    module = import_module(f"app.cli.{module_name}")
    commands = list(getattr(module, "COMMANDS", ()))
    commands += [value for name, value in vars(module).items() if name.endswith("_group")
                 and isinstance(value, click.Group)]
    if module_name == "dossiers":
        for command in import_module("app.cli.jury").COMMANDS:
            module.dossiers_group.add_command(command)
    for command in commands:
        _say_commande(command)
    return {command.name: command for command in commands}


def _say_commande(command: click.Command) -> None:
    """A group's usage line in French (« COMMANDE [ARGUMENTS]... »), its sub-groups' too."""
    if isinstance(command, click.Group):
        command.subcommand_metavar = french.SUBCOMMAND_METAVAR
        for subcommand in command.commands.values():
            _say_commande(subcommand)


def project_command(name: str) -> click.Command | None:
    """One of the project's commands, importing only the module that defines it."""
    return _commands_of(MODULES[name]).get(name) if name in MODULES else None


def init_app(app: Flask) -> None:
    """Attach the project's commands to the app's CLI group."""
    for name in ORDER:
        app.cli.add_command(project_command(name))


class FabriquesGroup(FlaskGroup):
    """Flask's group, whose help speaks French and lists the project's commands first."""

    def __init__(self, **kwargs) -> None:
        super().__init__(add_version_option=False, **kwargs)
        for param in self.params:
            if param.name in OPTIONS_HELP:
                param.help = OPTIONS_HELP[param.name]
        click.version_option(package_name="fabriques", help="Affiche la version du service.",
                             message=VERSION_MESSAGE)(self)

    def invoke(self, ctx: click.Context):
        """Run the command; a database it cannot use (``DatabaseError``: without the service's
        schema, with a newer one, busy with another load…) ends it with the reason, and
        the command that fixes it when there is one, whichever command met it."""
        try:
            return super().invoke(ctx)
        except DatabaseError as error:
            common.fail(f"Erreur — {str(error).rstrip('.')}.")
        except DatabaseUnreachable as error:  # the commands that load say what they kept
            common.fail(f"Erreur — {unreachable_message(error)}.")

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The project's commands without loading the application; Flask's with it."""
        return project_command(name) or super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ours, development = [], []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            if name in DEVELOPMENT:
                development.append((name, DEVELOPMENT[name]))
            else:
                ours.append((name, command.get_short_help_str(70)))
        rank = {name: at for at, name in enumerate(ORDER)}
        ours.sort(key=lambda item: (rank.get(item[0], len(ORDER)), item[0]))
        with formatter.section("Commandes du service"):
            formatter.write_dl(ours)
        if development:
            with formatter.section("Commandes de développement (Flask)"):
                formatter.write_dl(development)


def _create_app() -> Flask:
    """The application the command runs in; a setting it cannot use (``ValueError``, which
    names the setting) ends the command with that reason, not a traceback; a name that is
    no setting (a typo) is said on stderr, and the command runs."""
    from app import create_app, settings  # the factory imports this package: at call time

    ctx = click.get_current_context(silent=True)
    try:
        app = create_app(web=ctx is None or ctx.command.name not in DATABASE_ONLY)
    except ValueError as error:
        common.fail(f"Erreur — réglage inutilisable : {error} (variable FABRIQUES_… ou "
                    f"config.py du dossier d'instance)", status=2)
    for message in app.extensions.get(settings.UNKNOWN, ()):
        click.echo(f"Attention — {message}", err=True)
    return app


def build() -> FabriquesGroup:
    """The ``fabriques`` group."""
    return FabriquesGroup(create_app=_create_app, name="fabriques",
                          subcommand_metavar=french.SUBCOMMAND_METAVAR,
                          help="Service Fabriques de Territoire : éligibilité des lieux, "
                               "données, dossiers et lauréats.")


def main() -> None:
    """Entry point of the ``fabriques`` console script."""
    try:
        build()()
    except SystemExit as end:
        if common.teardown_skipped() and end.code in (0, None):
            sys.stdout.flush()
            sys.stderr.flush()
            atexit._run_exitfuncs()
            os._exit(0)
        raise
