"""``fabriques reseaux charger``: a file of declared networks (``docs/format-reseaux.md``)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.db import get_engine
from loaders.errors import LoadError
from loaders.networks import load_networks

__all__ = ["reseaux_group"]


@click.group("reseaux", help="Réseaux de lieux déclarés.")
def reseaux_group() -> None:
    """Declared networks commands."""


@reseaux_group.command("charger", help="Charge un fichier de réseaux (CSV ou GeoJSON, voir "
                                       "docs/format-reseaux.md).")
@click.argument("path", type=click.Path(dir_okay=False), metavar="FICHIER")
@click.option("--source", default="reseaux", show_default=True,
              help="Nom de la source : un nouveau chargement la remplace.")
@click.option("--millesime", "vintage", help="Millésime (par défaut : la date du jour).")
@click.option("--licence", default="non précisée", show_default=True,
              help="Licence du fichier, telle que la source la donne (« Licence Ouverte 2.0 »).")
@click.option("--url", help="Adresse d'origine du fichier.")
@with_appcontext
def load_command(path: str, source: str, vintage: str | None, licence: str,
                 url: str | None) -> None:
    try:
        report = load_networks(get_engine(), path, source=source, vintage=vintage,
                               licence=licence, url=url)
    except LoadError as error:
        raise click.ClickException(f"{error}. Données précédentes conservées.") from None
    click.echo(report.summary())
