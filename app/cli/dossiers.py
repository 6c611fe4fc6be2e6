"""``fabriques dossiers importer | exporter | etat``: a wave's dossiers from a Démarches
Simplifiées export, back out as CSV, and moved along the instruction."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import OutputFile, fail, write_or_fail
from app.db import calendar_file, data_dir, get_engine, get_geocoder
from geodata.dossiers.actors import command_line_actor
from geodata.dossiers.calendar import CalendarError
from geodata.dossiers.export import export_csv, export_xlsx
from geodata.dossiers.states import workflow
from geodata.french import agreed
from geodata.policy import PolicyError, available_policies
from geodata.storage.dossiers import MoveRefused, dossier_waves, list_dossiers, move_dossiers
from geodata.storage.jury import standing_decisions
from loaders.dossier_rules import BY_WAVE
from loaders.dossiers import ImportReport, import_dossiers, reverify_dossiers
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
@click.argument("path", type=click.Path(dir_okay=False), metavar="FICHIER")
@click.option("--vague", help="Vague de tous les dossiers (sinon : d'après « Déposé le » et "
                              "le calendrier des vagues).")
@click.option("--correspondance", default="ami-2019", show_default=True,
              type=click.Choice(available_mappings()),
              help="Correspondance des colonnes du formulaire (loaders/correspondances).")
@click.option("--politique", "--policy", "policy", default=BY_WAVE, show_default=True,
              type=click.Choice([BY_WAVE, *available_policies()]),
              help=f"Politique des vérifications ({BY_WAVE} : celle que le calendrier des "
                   "vagues donne à la vague des dossiers, comme la page d'import pour un "
                   "premier import ; current : les règles actuelles).")
@with_appcontext
def import_command(path: str, vague: str | None, correspondance: str, policy: str) -> None:
    try:
        report = import_dossiers(
            get_engine(), get_geocoder(), path, data_dir=data_dir(current_app),
            mapping=correspondance, wave=vague,
            policy_name=None if policy == BY_WAVE else policy,
            calendar_file=calendar_file(current_app),
            actor=command_line_actor())
    except (LoadError, CalendarError, PolicyError) as error:
        fail(f"Erreur — {error}. Aucun dossier importé.")
    click.echo(summary(report))


def summary(report: ImportReport) -> str:
    """What the import did, in French: counts, rows left out, dossiers without location."""
    stored, intake = report.stored, report.intake
    read, created, unchanged, errors = (len(intake.dossiers), len(stored.created),
                                        len(stored.unchanged), intake.left_out)
    lines = [f"{intake.path} : {read} {agreed('dossier(s) lu(s)', read)} — "
             f"{created} {agreed('créé(s)', created)}, {len(stored.updated)} mis à jour, "
             f"{unchanged} {agreed('inchangé(s)', unchanged)} ; "
             f"{errors} {agreed('ligne(s) écartée(s)', errors)}."]
    lines += [f"  écartée : {error}" for error in intake.errors[:SHOWN]]
    if len(intake.errors) > SHOWN:
        more = len(intake.errors) - SHOWN
        lines.append(f"  … et {more} {agreed('autre(s)', more)}")
    for number, why in sorted(report.not_located.items())[:SHOWN]:
        lines.append(f"  non localisé : dossier {number} ({why}) : territoire à vérifier")
    lines += [f"  note : {note}" for note in (*intake.notes, *report.notes)]
    return "\n".join(lines)


@dossiers_group.command("exporter", short_help="Écrit les dossiers (d'une vague) en CSV ou "
                                                  "en classeur .xlsx.",
                        help="Écrit les dossiers (d'une vague) en CSV : sans --tableur, "
                             "les codes et les textes tels quels, pour un programme ; un "
                             "fichier nommé .xlsx est un classeur pour un tableur, comme "
                             "l'export des pages (chaque cellule typée, codes en texte).")
@click.option("--vague", help="Seulement les dossiers de cette vague.")
@click.option("-o", "--output", "output", required=True, type=OutputFile(path_type=str),
              help="Fichier à écrire : CSV, ou classeur s'il finit par .xlsx.")
@click.option("--tableur", is_flag=True, help="CSV pour un tableur français : en-têtes en "
                                              "français, oui/non, virgules décimales, « ; », "
                                              "aucun texte lu comme une formule.")
@with_appcontext
def export_command(vague: str | None, output: str, tableur: bool) -> None:
    _wave_with_dossiers(vague)
    dossiers = list_dossiers(get_engine(), vague)
    decided = standing_decisions(get_engine(), dossiers)
    if output.lower().endswith(".xlsx"):
        write_or_fail(output, export_xlsx(dossiers, f"Vague {vague}" if vague else "Dossiers",
                                          decided))
    else:
        write_or_fail(output, export_csv(dossiers, tableur=tableur, decisions=decided))
    click.echo(f"{len(dossiers)} {agreed('dossier(s) écrit(s)', len(dossiers))} dans {output}.")


@dossiers_group.command("etat", help="Fait passer des dossiers à un état de l'instruction "
                                     "(tous ou aucun).")
@click.argument("numbers", nargs=-1, required=True, type=int, metavar="NUMERO...")
@click.option("--vers", "target", required=True,
              type=click.Choice(workflow().instruction_targets), help="État visé.")
@click.option("--motivation", required=True,
              help="Motivation du changement (obligatoire, comme sur la page des dossiers : "
                   "elle est gardée dans l'historique de chaque dossier).")
@with_appcontext
def state_command(numbers: tuple[int, ...], target: str, motivation: str) -> None:
    if not motivation.strip():
        fail("Erreur — motivation vide : dites pourquoi les dossiers changent d'état.")
    try:
        moved = move_dossiers(get_engine(), numbers, target, command_line_actor(), motivation,
                              instruction=True)
    except MoveRefused as refused:
        lines = [f"  dossier {number} : {why}" for number, why in refused.reasons.items()]
        fail("Erreur — aucun dossier n'a changé d'état :\n" + "\n".join(lines))
    click.echo(f"{len(moved)} {agreed('dossier(s) passé(s)', len(moved))} "
               f"à « {workflow().labels[target]} ».")


def _wave_with_dossiers(wave: str | None) -> None:
    """A ``--vague`` that names no wave of the imported dossiers (a typo, say) ends the
    command with the waves there are, rather than an empty answer."""
    if wave is None:
        return
    waves = [w for w in dossier_waves(get_engine()) if w is not None]
    if wave not in waves:
        known = ", ".join(waves) if waves else "aucun dossier importé"
        fail(f"Erreur — aucun dossier dans la vague {wave!r} (vagues des dossiers : {known}).")


@dossiers_group.command("reverifier", help="Refait les vérifications des dossiers (d'une "
                                           "vague) avec les données du jour.")
@click.option("--vague", help="Seulement les dossiers de cette vague.")
@click.option("--politique", "--policy", "policy", default=BY_WAVE, show_default=True,
              type=click.Choice([BY_WAVE, *available_policies()]),
              help=f"Politique des vérifications ({BY_WAVE} : pour chaque dossier, celle que "
                   "le calendrier des vagues donne à sa vague ; current : les règles "
                   "actuelles).")
@with_appcontext
def reverify_command(vague: str | None, policy: str) -> None:
    _wave_with_dossiers(vague)
    engine = get_engine()
    before = {d.number: d for d in list_dossiers(engine, vague)}
    try:
        stored, not_located, notes = reverify_dossiers(
            engine, get_geocoder(), data_dir=data_dir(current_app), wave=vague,
            policy_name=None if policy == BY_WAVE else policy, actor=command_line_actor(),
            calendar_file=calendar_file(current_app))
    except CalendarError as error:
        fail(f"Erreur — {error}. Aucun dossier vérifié de nouveau.")
    after = {d.number: d for d in list_dossiers(engine, vague)}
    changed, unchanged = len(stored.updated), len(stored.unchanged)
    click.echo(f"{len(before)} {agreed('dossier(s) vérifié(s)', len(before))} de nouveau "
               f"(politique « {policy} ») : {changed} {agreed('changé(s)', changed)}, "
               f"{unchanged} {agreed('inchangé(s)', unchanged)}.")
    for number, fields in sorted(stored.updated.items()):
        old, new = before[number], after[number]
        said = [f"catégorie {old.category} → {new.category}"] \
            if old.category != new.category else []
        said += [f"{name} {_value(old, name)} → {_value(new, name)}"
                 for name in ("forme_juridique", "financement")
                 if _value(old, name) != _value(new, name)]
        click.echo(f"  dossier {number} : {', '.join(said) or ', '.join(fields)}")
    for note in notes:
        click.echo(f"  note : {note}")
    for number, why in sorted(not_located.items())[:SHOWN]:
        click.echo(f"  non localisé : dossier {number} ({why})")


def _value(dossier, check: str):
    value = (dossier.checks or {}).get(check, {}).get("value")
    return {True: "oui", False: "non"}.get(value, "à vérifier")
