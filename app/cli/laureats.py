"""``fabriques laureats publier | livrables importer``: the laureates as open data (CSV,
GeoJSON, Table Schema, Data Package), and the deliverables of the Fabriques from a CSV file."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli.common import fail
from app.db import get_engine
from geodata.deliverables import COLUMNS, ImportRefused, read_deliverables
from geodata.files import os_reason
from geodata.french import agreed
from geodata.policy import DEFAULT_POLICY, available_policies, load_policy
from geodata.publication import write_publication
from geodata.storage.deliverables import record_deliverables
from geodata.storage.jury_laureates import unwritten_laureates
from geodata.storage.laureates import laureate_table, publication_sources

__all__ = ["laureats_group"]


@click.group("laureats", help="Lauréats : publication en données ouvertes, livrables.")
def laureats_group() -> None:
    """Laureates commands."""


@laureats_group.command("publier", help="Écrit les lauréats en données ouvertes dans un "
                                        "dossier : fabriques.csv, fabriques.geojson, "
                                        "schema.json (Table Schema), datapackage.json "
                                        "(Licence Ouverte 2.0, sources, date).")
@click.option("-o", "--output", "output", required=True,
              type=click.Path(file_okay=False), help="Dossier à écrire (créé s'il manque).")
@click.option("--politique", "--policy", "policy", default=DEFAULT_POLICY, show_default=True,
              type=click.Choice(available_policies()),
              help="Politique qui donne la catégorie de chaque Fabrique.")
@with_appcontext
def publish_command(output: str, policy: str) -> None:
    engine = get_engine()
    rules = load_policy(policy)
    rows = laureate_table(engine, rules)
    if not rows:
        fail("Erreur — aucun lauréat chargé (fabriques load laureates) : rien n'est écrit.")
    try:
        paths = write_publication(Path(output), rows, publication_sources(engine, rules),
                                  datetime.now(UTC))
    except OSError as error:
        fail(f"Erreur — {output} : publication impossible ({os_reason(error)} : "
             f"{error.filename}) ; la publication précédente, s'il y en a une, est intacte.")
    located = sum(row["lon"] is not None for row in rows)
    click.echo(f"{len(rows)} {agreed('Fabrique(s) publiée(s)', len(rows))} "
               f"({len(rows) - located} sans position) "
               f"dans {output} : {', '.join(path.name for path in paths.values())}.")
    unwritten = unwritten_laureates(engine)
    if unwritten:
        said = agreed("lauréat(s) décidé(s) par un jury (n'est|ne sont) pas publié(s), "
                      "faute de commune connue (dossier(s) ", len(unwritten))
        click.echo(f"Attention : {len(unwritten)} {said}{', '.join(map(str, unwritten))}) : "
                   + agreed("importez de nouveau l'export de (sa|leur) vague pour (le|les) "
                            "localiser, puis publiez de nouveau.", len(unwritten)))


@laureats_group.group("livrables", help="Livrables des Fabriques (ce qu'elles documentent "
                                        "et partagent).")
def deliverables_group() -> None:
    """Deliverables commands."""


@deliverables_group.command("importer", help="Importe des livrables d'un fichier CSV "
                                             f"(colonnes {','.join(COLUMNS)}) : un fichier "
                                             "avec une ligne en erreur n'enregistre rien.")
@click.argument("path", type=click.Path(dir_okay=False, exists=True), metavar="FICHIER")
@with_appcontext
def import_command(path: str) -> None:
    engine = get_engine()
    known = {row["id"] for row in laureate_table(engine, load_policy(DEFAULT_POLICY))}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"Erreur — {path} : le fichier doit être en UTF-8. Aucun livrable enregistré.")
    try:
        items = read_deliverables(text, known)
    except ImportRefused as refused:
        fail(f"Erreur — {path} : {refused}.\n" + "\n".join(f"  {e}" for e in refused.errors))
    stored = record_deliverables(engine, items, f"import ({getpass.getuser()})")
    click.echo(f"{stored} {agreed('livrable(s) enregistré(s)', stored)} depuis {path}.")
