"""Eligibility commands: a contract other tools script against, keep the names stable.

    fabriques check --lon X --lat Y [--policy NAME] [--precision P] [--json]
    fabriques classify INPUT.csv -o OUTPUT.csv [--policy NAME] [--explications courtes|completes]
        [--workers N]   (id + lon, lat or an address)
    fabriques quotas [--policy NAME] [--by wave|region|departement] [--json | --csv FILE|-]
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from app.cli.common import OutputFile, fail, leave_without_teardown, write_or_fail
from app.db import get_engine, get_geocoder, postcodes
from geodata.checks import LocationError, address_geocoding, check_point, parse_coordinate
from geodata.eligibility import EligibilityError
from geodata.eligibility.engine import PRECISIONS
from geodata.files import written_whole
from geodata.french import agreed
from geodata.geocoder import GeocoderError
from geodata.policy import DEFAULT_POLICY, Policy, PolicyError, available_policies, load_policy
from geodata.quota_report import CSV_COLUMNS, as_dict, csv_rows, render_text
from geodata.quotas import GROUPINGS, quota_table
from geodata.spreadsheet import spreadsheet_csv
from geodata.storage.candidates import group_names
from geodata.storage.jury_quotas import programme_records
from geodata.storage.reference import dataset_versions, reference_index

__all__ = ["COMMANDS"]


def _data_loaded() -> None:
    """A command that answers from the loaded data refuses to answer without any: « à
    vérifier, région inconnue » or a table of zeros would read as answers."""
    if not dataset_versions(get_engine()):  # no schema: SchemaMissing, said with its remedy
        where = get_engine().url.render_as_string(hide_password=True)
        fail(f"Erreur — aucune donnée chargée dans {where} : lancez « fabriques load demo » "
             "(ou « fabriques load SOURCE » ; « fabriques datasets » dit ce qui l'est).")


def _policy(name: str) -> Policy:
    try:
        return load_policy(name)
    except PolicyError as error:
        raise click.UsageError(str(error)) from None


def _policy_option():
    return click.option("--politique", "--policy", "policy_name", default=DEFAULT_POLICY,
                        show_default=True,
                        help=f"Règles appliquées : {', '.join(available_policies())}.")


class _Coordinate(click.ParamType):
    """A coordinate read as the pages and the API read it (``parse_coordinate``: a decimal
    comma is taken, "nan" and "inf" are refused as such)."""

    name = "nombre"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            return parse_coordinate(value, param.name if param else "valeur")
        except LocationError as error:
            self.fail(str(error), param, ctx)


@click.command("check", help="Classe un lieu (longitude, latitude WGS84) et explique le verdict.")
@click.option("--lon", type=_Coordinate(), required=True,
              help="Longitude (WGS84, degrés décimaux ; 5.4034 ou 5,4034).")
@click.option("--lat", type=_Coordinate(), required=True,
              help="Latitude (WGS84, degrés décimaux ; 43.3305 ou 43,3305).")
@click.option("--precision", type=click.Choice(PRECISIONS), default="point", show_default=True,
              help="Précision du lieu : une commune ne décide pas du QPV.")
@_policy_option()
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (clés du contrat).")
@with_appcontext
def check_command(lon: float, lat: float, precision: str, policy_name: str,
                  as_json: bool) -> None:
    _policy(policy_name)
    _data_loaded()
    try:
        row = check_point(get_engine(), policy_name, lon, lat, precision).verdict.row
    except LocationError as error:
        raise click.BadParameter(str(error), param_hint=f"--{error.parameter}") from None
    except EligibilityError as error:
        click.echo(json.dumps({"error": str(error)}, ensure_ascii=False) if as_json
                   else f"Erreur : {error}")
        sys.exit(1)
    row["id"] = None
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False, indent=2))
    else:
        click.echo(row["explanation"])


EXPLANATIONS = ("courtes", "completes")
"""``--explications``: the one-line explanation (default) or the paragraph of a check."""
MAX_WORKERS = 32


class _Bar(tqdm):
    monitor_interval = 0  # no monitor thread: the workers are forked from this process


@click.command("classify", help="Classe chaque ligne d'un CSV : colonnes id, lon, lat, ou id et "
                                "adresse (géocodée par la BAN, FABRIQUES_GEOCODER_URL). Le "
                                "fichier est lu et écrit par lots : la mémoire ne croît pas "
                                "avec sa taille.")
@click.argument("input_path", metavar="FICHIER",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "output_path", required=True,
              type=OutputFile(),
              help="Fichier CSV produit (colonnes du contrat, puis du géocodage s'il y a lieu).")
@_policy_option()
@click.option("--explications", "explanations", type=click.Choice(EXPLANATIONS),
              default="courtes", show_default=True,
              help="« courtes » : la condition qui a décidé, en une ligne (100 à 150 octets, "
                   "« QPV QN01352M à 81,8 m ≤ 300 m : en QPV ou à sa proximité ») ; "
                   "« completes » : le paragraphe de fabriques check (environ 1 Ko par ligne).")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=1, show_default=True,
              help="Processus qui classent les lots ; chacun occupe déjà deux cœurs (un pour "
                   "deux cœurs libres au plus) ; le fichier produit est le même, dans l'ordre "
                   "des lignes lues.")
@click.option("--quiet", is_flag=True, help="Sans barre de progression.")
@with_appcontext
def classify_command(input_path: Path, output_path: Path, policy_name: str,
                     explanations: str, workers: int, quiet: bool) -> None:
    # batches only (polars, pandas): ``fabriques check`` starts without them
    from geodata.eligibility.addresses import address_column, write_file_batch
    from geodata.eligibility.batch import summary
    from geodata.eligibility.chunks import opened_table
    from geodata.eligibility.reading import BatchError
    from geodata.eligibility.workers import WorkerError, WorkerPool
    from geodata.storage.index_files import keep_grids
    from geodata.storage.reference import index_builder

    policy = _policy(policy_name)
    if output_path.resolve() == input_path.resolve():
        raise click.BadParameter("le fichier produit serait le fichier lu, remplacé : "
                                 "donnez-lui un autre nom", param_hint="'-o' / '--output'")
    _data_loaded()
    try:  # the output appears whole or not at all, Ctrl-C included (geodata.files)
        with opened_table(input_path) as table, ExitStack() as stack:
            # the workers start now and build their own index while this process does
            pool = stack.enter_context(WorkerPool(
                workers - 1, index_builder(get_engine(), policy.qpv_vintage))) \
                if workers > 1 else None
            index = reference_index(get_engine(), policy.qpv_vintage)
            geocoding = address_geocoding(get_engine(), get_geocoder(), postcodes()) \
                if address_column(table.columns) else None
            with written_whole(output_path, binary=True) as target, _Bar(
                desc="Géocodage et classement" if geocoding else "Classement",
                unit=" lignes", disable=True if quiet else None, leave=False,
            ) as bar:
                report = write_file_batch(index, policy, table, target, geocoding=geocoding,
                                          progress=bar.update,
                                          short=explanations == "courtes", workers=workers,
                                          pool=pool)
    except (BatchError, GeocoderError, WorkerError) as error:
        raise click.ClickException(f"{input_path} : {error} ; aucun fichier écrit") from None
    keep_grids(index)  # the next run, and its workers, start with the grids built here
    for line in summary(report):
        click.echo(line)
    leave_without_teardown()


@click.command("quotas", help=(
    "Compte les lauréats par catégorie face aux cibles de la politique. Chaque ligne est une "
    "fourchette : le minimum compte les Fabriques décidées, le maximum y ajoute celles « à "
    "vérifier » qui peuvent encore y tomber (les lignes « à vérifier » et « total » sont "
    "exactes). Régions et départements sont donnés par leur nom."))
@_policy_option()
@click.option("--by", type=click.Choice(GROUPINGS), help="Détail par vague, région ou département.")
@click.option("--json", "as_json", is_flag=True,
              help="Sortie JSON : chaque ligne porte « min » et « max ».")
@click.option("--csv", "csv_path", type=OutputFile(allow_dash=True, path_type=str),
              help="Écrit le tableau en CSV pour un tableur français (UTF-8 avec BOM, « ; ») "
                   "dans FICHIER, ou sur la sortie standard avec « --csv - ».",
              metavar="FICHIER")
@with_appcontext
def quotas_command(policy_name: str, by: str | None, as_json: bool,
                   csv_path: str | None) -> None:
    policy = _policy(policy_name)
    if as_json and csv_path:
        raise click.UsageError("--json et --csv s'excluent : choisissez une seule sortie.")
    _data_loaded()
    engine = get_engine()
    table = quota_table(programme_records(engine, policy), policy, by=by)
    names = group_names(engine, by)
    if as_json:
        click.echo(json.dumps(as_dict(table, names), ensure_ascii=False, indent=2))
    elif csv_path:
        text = spreadsheet_csv(CSV_COLUMNS, csv_rows(table, names))
        if csv_path == "-":
            click.echo(text, nl=False)
        else:
            write_or_fail(csv_path, text)
            written = len(table.lines)
            click.echo(f"{written} {agreed('ligne(s) écrite(s)', written)} dans {csv_path}.",
                       err=True)
    else:
        click.echo(render_text(table, names))


COMMANDS = (check_command, classify_command, quotas_command)
