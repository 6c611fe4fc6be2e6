"""``fabriques dossiers importer | exporter``: a wave's dossiers from a Démarches Simplifiées
export, and back out as CSV."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import fail
from app.db import data_dir, get_engine, get_geocoder
from geodata.dossiers.calendar import CalendarError
from geodata.dossiers.export import export_csv
from geodata.policy import DEFAULT_POLICY, PolicyError, available_policies
from geodata.storage.dossiers import list_dossiers
from loaders.dossiers import ImportReport, import_dossiers
from loaders.ds_export import available_mappings
from loaders.errors import LoadError

__all__ = ["dossiers_group"]

SHOWN = 20
"""Rows left out that the report names one by one."""


@click.group("dossiers", help="Dossiers des vagues : import d'un export Démarches "
                              "Simplifiées, export CSV.")
def dossiers_group() -> None:
    """Dossiers commands."""


@dossiers_group.command("importer", help="Importe les dossiers d'un export Démarches "
                                         "Simplifiées (xlsx, ods ou csv).")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--vague", help="Vague de tous les dossiers (sinon : d'après « Déposé le » et "
                              "le calendrier des vagues).")
@click.option("--correspondance", default="ami-2019", show_default=True,
              type=click.Choice(available_mappings()),
              help="Correspondance des colonnes du formulaire (loaders/correspondances).")
@click.option("--politique", "policy", default=DEFAULT_POLICY, show_default=True,
              type=click.Choice(available_policies()), help="Politique des vérifications.")
@with_appcontext
def import_command(path: str, vague: str | None, correspondance: str, policy: str) -> None:
    try:
        report = import_dossiers(
            get_engine(), get_geocoder(), path, data_dir=data_dir(current_app),
            mapping=correspondance, wave=vague, policy_name=policy,
            calendar_file=Path(current_app.instance_path) / "vagues.toml",
            actor=f"ligne de commande ({getpass.getuser()})")
    except (LoadError, CalendarError, PolicyError) as error:
        fail(f"Erreur — {error}. Aucun dossier importé.")
    click.echo(summary(report))


def summary(report: ImportReport) -> str:
    """What the import did, in French: counts, rows left out, dossiers without location."""
    stored, intake = report.stored, report.intake
    lines = [f"{intake.path} : {len(intake.dossiers)} dossier(s) lu(s) — "
             f"{len(stored.created)} créé(s), {len(stored.updated)} mis à jour, "
             f"{len(stored.unchanged)} inchangé(s) ; {len(intake.errors)} ligne(s) écartée(s)."]
    lines += [f"  écartée : {error}" for error in intake.errors[:SHOWN]]
    if len(intake.errors) > SHOWN:
        lines.append(f"  … et {len(intake.errors) - SHOWN} autre(s)")
    for number, why in sorted(report.not_located.items())[:SHOWN]:
        lines.append(f"  non localisé : dossier {number} ({why}) : territoire à vérifier")
    lines += [f"  note : {note}" for note in (*intake.notes, *report.notes)]
    return "\n".join(lines)


@dossiers_group.command("exporter", help="Écrit les dossiers (d'une vague) en CSV.")
@click.option("--vague", help="Seulement les dossiers de cette vague.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Fichier CSV à écrire.")
@click.option("--tableur", is_flag=True, help="Pour un tableur français : en-têtes en "
                                              "français, oui/non, virgules décimales, « ; ».")
@with_appcontext
def export_command(vague: str | None, output: str, tableur: bool) -> None:
    dossiers = list_dossiers(get_engine(), vague)
    text = export_csv(dossiers, tableur=tableur)
    Path(output).write_text(text, encoding="utf-8", newline="")
    click.echo(f"{len(dossiers)} dossier(s) écrit(s) dans {output}.")
