"""The data commands: the schema, the loads, and what is in service.

    fabriques db upgrade                  create or migrate the schema
    fabriques db cache-sql                compute fabriques_classify's cache (PostGIS)
    fabriques load DATASET [PATH_OR_URL]  load one registered source (its shared file by default)
    fabriques load DATASET FILE --force   load a file that contradicts the facts, as partial
    fabriques load demo                   load every source of the shared data folder
    fabriques datasets                    list the dataset versions in use, with completeness

On PostGIS, a load that changed data ends by computing ``fabriques_classify``'s cache.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import fail
from app.db import data_dir, get_engine
from geodata.french import agreed, decimal, in_paris
from geodata.storage.database import (
    DatabaseError,
    DatabaseUnreachable,
    is_postgis,
    schema_revision,
    unreachable_message,
    upgrade,
)
from geodata.storage.reference import loaded_versions, scope_names
from geodata.storage.sql_classification import prepare_sql_classification
from loaders.claims import describe
from loaders.errors import LoadError
from loaders.pipeline import load_source
from loaders.registry import SOURCES, UnknownSourceError

__all__ = ["COMMANDS"]


@click.group("db", help="Schéma de la base de données.")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade", help="Crée ou met à jour le schéma (migrations Alembic).")
@with_appcontext
def db_upgrade() -> None:
    engine = get_engine()
    where = engine.url.render_as_string(hide_password=True)
    try:
        before = schema_revision(engine)
    except DatabaseUnreachable as error:
        fail(f"Erreur — {_unreachable(engine, error)}")
    after = schema_revision(_upgraded(engine))
    if before is None:
        click.echo(f"Schéma créé (migration {after}) : {where}")
    elif before == after:
        click.echo(f"Schéma déjà à jour (migration {after}) : {where}")
    else:
        click.echo(f"Schéma mis à jour (migration {before} → {after}) : {where}")
        if is_postgis(engine):  # a migration may have changed what the cache holds
            _prepare_after_load(engine, "après la mise à jour du schéma")


@db_group.command("cache-sql", help="Calcule le cache de la classification SQL "
                  "(fabriques_classify, PostGIS) pour chaque millésime de QPV chargé, puis "
                  "passe un VACUUM sur ses tables de carrés : à lancer après un chargement, "
                  "pour que les analystes le trouvent prêt.")
@with_appcontext
def db_cache_sql() -> None:
    try:
        done = prepare_sql_classification(get_engine())
    except DatabaseUnreachable as error:
        fail(f"Erreur — {_unreachable(get_engine(), error)}")
    except DatabaseError as error:
        fail(str(error))
    if not done:
        click.echo("Aucun millésime de QPV chargé : rien à calculer.")
    _echo_prepared(done)


def _echo_prepared(done: list[tuple[str, float]]) -> None:
    for vintage, seconds in done:
        click.echo(f"Classification SQL prête pour les QPV {vintage} ({decimal(seconds)} s)")


def _prepare_after_load(engine, why: str = "pour les données chargées") -> None:
    """After a load that changed data in PostGIS (or a schema upgrade), compute
    ``fabriques_classify``'s cache (as ``fabriques db cache-sql``), so that the analysts'
    first call or view does not wait for it (20 s to a minute per vintage). The data are in
    service whatever happens here: a failure is said, with the command that computes the
    cache later, and the load still succeeds."""
    click.echo(f"Classification SQL (PostGIS) : calcul de son cache {why} (de 20 s à une "
               "minute par millésime de QPV modifié)…")
    try:
        _echo_prepared(prepare_sql_classification(engine))
    except DatabaseUnreachable as error:
        _not_prepared(_unreachable(engine, error))
    except DatabaseError as error:  # a statement refused or cut (timeout, lock, disk)
        _not_prepared(str(error))
    except KeyboardInterrupt:
        fail(f"Calcul du cache de la classification SQL interrompu (Ctrl-C). {PREPARE_LATER}",
             status=130)


def _shared_folder_or_fail(folder: Path) -> None:
    """A folder that holds none of the registry's files (absent, or not the shared data) is
    said once, with the setting to change, before any load, instead of once a source."""
    if any(source.local_path(folder).is_file() for source in SOURCES.values()):
        return
    state = "introuvable" if not folder.is_dir() else "sans aucun des fichiers du registre"
    fail(f"Erreur — dossier des données partagées {state} : {folder} (réglage "
         f"FABRIQUES_DATA_DIR ; par défaut ../shared/data à côté du dépôt). Rien n'a été "
         f"chargé. {KEPT}")


def _checksum(value: str | None) -> str | None:
    """``--sha256`` as 64 lowercase hexadecimal digits (« sha256: » before them accepted)."""
    if value is None:
        return None
    digits = value.strip().removeprefix("sha256:").lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digits):
        raise click.BadParameter(f"{value[:80]!r} n'est pas une somme SHA-256 (64 chiffres "
                                 "hexadécimaux)")
    return digits


def _sources_list() -> str:
    """The registry's sources and their titles, as ``fabriques load --help`` lists them."""
    width = max(len(name) for name in SOURCES)
    lines = [f"  {name:{width}}  {source.title}" for name, source in SOURCES.items()]
    return "\b\nSources (SOURCE) :\n" + "\n".join(["  demo" + " " * (width - 2)
                                                  + "toutes les sources ci-dessous", *lines])


@click.command("load", help="Charge une source (ou « demo » : toutes les sources partagées), "
                            "depuis son fichier du dossier partagé, un autre fichier ou une "
                            "adresse http(s). Sur PostGIS, calcule ensuite le cache de "
                            "fabriques_classify (comme « fabriques db cache-sql »).",
               epilog=_sources_list())
@click.argument("dataset", metavar="SOURCE")
@click.argument("path_or_url", required=False, metavar="[FICHIER_OU_URL]")
@click.option("--vintage", help="Millésime d'un autre fichier que celui du registre (avec "
                                "FICHIER_OU_URL) ; pour des QPV : 2015 ou 2024.")
@click.option("--sha256", callback=lambda _ctx, _param, value: _checksum(value),
              help="Somme de contrôle SHA-256 attendue du fichier (téléchargé ou local), en "
                   "64 chiffres hexadécimaux : un autre fichier n'est pas chargé.")
@click.option("--quiet", is_flag=True, help="Sans barre de progression.")
@click.option("--force", is_flag=True,
              help="Charge un fichier que les données de référence contredisent (codes QPV "
              "manquants, contours hors de leurs communes, trop peu de lignes), comme partiel "
              "(jamais complet) ; le forçage est enregistré dans la version.")
@with_appcontext
def load_command(dataset: str, path_or_url: str | None, vintage: str | None,
                 sha256: str | None, quiet: bool, force: bool) -> None:
    engine = _upgraded(get_engine())
    if dataset == "demo":
        if path_or_url or vintage or sha256 or force:
            raise click.UsageError("« load demo » lit le dossier partagé : sans chemin ni option")
        names = list(SOURCES)
    else:
        names = [dataset]
    if path_or_url is None and (dataset == "demo" or dataset in SOURCES):
        _shared_folder_or_fail(data_dir(current_app))
    failures, changed = 0, False
    for name in names:
        try:
            report = load_source(
                engine, name, path_or_url, vintage=vintage, sha256=sha256,
                data_dir=data_dir(current_app), force=force, progress=not quiet,
            )
        except UnknownSourceError as error:
            raise click.UsageError(str(error)) from None
        except LoadError as error:
            failures += 1
            click.echo(f"Erreur — {name} : {error}. {KEPT}", err=True)
            continue
        except DatabaseUnreachable as error:
            fail(f"Erreur — {name} : {_unreachable(engine, error)}. {KEPT}")
        except KeyboardInterrupt:
            fail(f"Erreur — {name} : chargement interrompu (Ctrl-C). {KEPT}", status=130)
        click.echo(report.summary())
        changed = changed or report.status != "inchangé"
    if changed and is_postgis(engine):
        _prepare_after_load(engine)
    if failures:
        raise click.ClickException(f"{failures} {agreed('source(s) non chargée(s)', failures)}")


@click.command("datasets", help="Liste les versions de données en service.")
@with_appcontext
def datasets_command() -> None:
    engine = get_engine()
    where = engine.url.render_as_string(hide_password=True)
    try:
        versions = loaded_versions(engine)
    except DatabaseUnreachable as error:
        fail(f"Erreur — {_unreachable(engine, error)}")
    if versions is None:
        fail(f"Erreur — la base {where} n'a pas le schéma du service : lancez "
              "« fabriques db upgrade » (ou « fabriques load demo » pour une base neuve).")
    if not versions:
        click.echo("Aucune donnée chargée : lancez « fabriques load demo ».")
    else:
        click.echo("Données en service (chargées le …, heure de Paris) :")
    names = scope_names(engine) if versions else {}
    source_width = max((len(v.source) for v in versions), default=0)
    vintage_width = max((len(v.vintage) for v in versions), default=0)
    for v in versions:
        loaded = ", ".join(f"{n} {t}" for t, n in v.counts.get("loaded", {}).items())
        click.echo(f"{v.source:{source_width}}  {v.vintage:{vintage_width}}  "
                   f"{in_paris(v.loaded_at):%Y-%m-%d %H:%M}  {loaded}")
        click.echo(f"    {describe(v.complete_for, names)}")
        click.echo(f"    licence : {v.licence or 'non dite'} ; origine : {v.url or v.path}")


KEPT = "Données précédentes conservées."
"""What a load that fails leaves: the data in service, its transaction never committed."""
PREPARE_LATER = ("Les données chargées sont en service ; « fabriques db cache-sql » calculera "
                 "le cache (sinon le premier appel de fabriques_classify l'attendra).")
"""What a load whose SQL cache could not be computed leaves, and how to finish it."""


def _unreachable(engine, error: DatabaseUnreachable) -> str:
    """« base de données injoignable (URL) : the driver's reason », or what to set up."""
    return unreachable_message(error, engine.url.render_as_string(hide_password=True))


def _not_prepared(reason: str) -> None:
    click.echo(f"Attention — cache de la classification SQL non calculé : {reason}. "
               f"{PREPARE_LATER}", err=True)


def _upgraded(engine):
    """The engine, its schema brought up to date; a French error and exit 1 if it cannot."""
    try:
        upgrade(engine)
    except DatabaseUnreachable as error:
        fail(f"Erreur — {_unreachable(engine, error)}")
    except DatabaseError as error:
        raise click.ClickException(str(error)) from None
    return engine


COMMANDS = (db_group, load_command, datasets_command)
