"""Accounts from the command line (there is no sign-up page).

    fabriques users add EMAIL --role instructor|ministry|admin [--name NAME] [--password-stdin]
    fabriques users list
    fabriques users disable EMAIL
    fabriques users enable EMAIL
    fabriques users password EMAIL [--password-stdin]   (ends the account's open sessions)
    fabriques users departements EMAIL 13,84            (a prefecture's départements)
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import Engine

from app.access import (
    ROLE_LABELS,
    AccountError,
    check_password,
    create_user,
    disable_user,
    update_user,
)
from app.db import get_engine
from geodata.storage.accounts import ROLES, check_new_user, list_users, user_by_email
from geodata.storage.database import DatabaseError, upgrade

__all__ = ["users_group"]


def _engine() -> Engine:
    """The app's engine, its schema brought up to date first."""
    engine = get_engine()
    try:
        upgrade(engine)
    except DatabaseError as error:
        raise click.ClickException(str(error)) from None
    return engine


@click.group("users", help="Comptes des instructeurs, du ministère, des préfectures et des "
                           "administrateurs.")
def users_group() -> None:
    """Account commands."""


def _password(from_stdin: bool) -> str:
    """One line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Mot de passe", hide_input=True,
                        confirmation_prompt="Confirmez le mot de passe")


@users_group.command("add", help="Crée un compte ; le mot de passe est demandé deux fois.")
@click.argument("email", metavar="COURRIEL")
@click.option("--role", required=True, help=f"Rôle : {', '.join(ROLES)}.")
@click.option("--name", help="Nom affiché (par défaut : le début de l'adresse).")
@click.option("--password-stdin", is_flag=True,
              help="Lit le mot de passe sur l'entrée standard (une ligne), sans le demander.")
@click.option("--departements", help="Pour une préfecture : ses départements (13,84).")
@with_appcontext
def add_command(email: str, role: str, name: str | None, password_stdin: bool,
                departements: str | None) -> None:
    if role not in ROLES:
        raise click.BadParameter(f"rôle inconnu : {role!r} (attendu : {', '.join(ROLES)})",
                                 param_hint="--role")
    codes = (departements or "").split(",") if departements else None
    engine = _engine()
    try:
        check_new_user(engine, email, role, codes)  # before the password is typed
        password = _password(password_stdin)
        check_password(password)
        user = create_user(engine, email, password, role, name, codes)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    scope = f", départements {', '.join(user.departements)}" if user.departements else ""
    click.echo(f"Compte créé : {user.email} ({ROLE_LABELS[user.role]}, {user.name}{scope})")


@users_group.command("list", help="Liste les comptes.")
@with_appcontext
def list_command() -> None:
    users = list_users(_engine())
    if not users:
        click.echo("Aucun compte : créez-en un avec « fabriques users add EMAIL --role admin ».")
    for user in users:
        state = "actif" if user.active else "désactivé"
        scope = f"  (départements {', '.join(user.departements)})" if user.departements \
            else ""
        click.echo(f"{user.email:40} {user.role:10} {state:9} {user.created_at:%Y-%m-%d}  "
                   f"{user.name}{scope}")


@users_group.command("disable", help="Désactive un compte (son historique est conservé).")
@click.argument("email", metavar="COURRIEL")
@with_appcontext
def disable_command(email: str) -> None:
    try:
        user = disable_user(_engine(), email)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Compte désactivé : {user.email} (son historique est conservé)")


@users_group.command("enable", help="Réactive un compte désactivé.")
@click.argument("email", metavar="COURRIEL")
@with_appcontext
def enable_command(email: str) -> None:
    try:
        user = update_user(_engine(), email, active=True)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Compte réactivé : {user.email}")


@users_group.command("password", help="Donne un nouveau mot de passe à un compte ; ses sessions "
                                      "ouvertes sont fermées.")
@click.argument("email", metavar="COURRIEL")
@click.option("--password-stdin", is_flag=True,
              help="Lit le mot de passe sur l'entrée standard (une ligne), sans le demander.")
@with_appcontext
def password_command(email: str, password_stdin: bool) -> None:
    try:
        user = update_user(_engine(), email, password=_password(password_stdin))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Mot de passe changé : {user.email} (ses sessions ouvertes sont fermées)")


@users_group.command("departements", help="Donne à un compte de préfecture ses départements "
                                          "(13,84), vus dès sa page suivante.")
@click.argument("email", metavar="COURRIEL")
@click.argument("codes", metavar="DEPARTEMENTS")
@with_appcontext
def departements_command(email: str, codes: str) -> None:
    engine = _engine()
    try:
        found = user_by_email(engine, email)
        before = found.departements if found is not None else None
        user = update_user(engine, email, departements=codes.split(","))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Départements de {user.email} : {', '.join(user.departements)} "
               f"(avant : {', '.join(before or []) or 'aucun'})")
