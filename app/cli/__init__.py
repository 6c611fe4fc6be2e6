"""The ``fabriques`` command: Flask's CLI group plus the project's commands, one module per
command group.

    fabriques db | load | datasets        data (app/cli/data.py)
    fabriques check | classify | quotas   eligibility (app/cli/eligibility.py)
    fabriques users ...                   accounts (app/cli/users.py)
    fabriques reseaux charger             declared networks (app/cli/reseaux.py)
    fabriques dossiers importer|exporter  a wave's dossiers (app/cli/dossiers.py)
    fabriques dossiers decider|cloturer   its jury (app/cli/jury.py)
    fabriques laureats publier|livrables  open data, deliverables (app/cli/laureats.py)
    fabriques run                         development server (gunicorn in production)
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from app.cli import data, dossiers, eligibility, jury, laureats, reseaux, users

__all__ = ["init_app", "main"]


def init_app(app: Flask) -> None:
    """Attach the project's commands to the app's CLI group."""
    for command in jury.COMMANDS:
        dossiers.dossiers_group.add_command(command)
    for command in (*data.COMMANDS, *eligibility.COMMANDS, users.users_group,
                    reseaux.reseaux_group, dossiers.dossiers_group,
                    laureats.laureats_group):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from app import create_app  # the factory imports this package: resolved at call time

    return create_app()


def main() -> None:
    """Entry point of the ``fabriques`` console script."""
    FlaskGroup(create_app=_create_app, help="Service Fabriques de Territoire.")()
