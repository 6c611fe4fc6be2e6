"""``fabriques users add | list | disable`` through Flask's CLI runner, on both backends."""

from __future__ import annotations

from sqlalchemy import func, select

from app.access import MIN_PASSWORD_LENGTH, authenticate
from app.db import EXTENSION
from geodata.storage.models import User
from tests.app.conftest import PASSWORD


def accounts(app) -> int:
    with app.extensions[EXTENSION].connect() as connection:
        return connection.scalar(select(func.count()).select_from(User))


def test_add_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["users", "add", "Admin@ANCT.gouv.fr", "--role", "admin",
                                 "--name", "Camille Admin", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Compte créé : admin@anct.gouv.fr (administration, Camille Admin)" in result.output
    assert PASSWORD not in result.output
    user = authenticate(app.extensions[EXTENSION], "admin@anct.gouv.fr", PASSWORD)
    assert user is not None and user.role == "admin" and user.name == "Camille Admin"


def test_add_prompts_twice_for_the_password(app, runner):
    result = runner.invoke(args=["users", "add", "inst@anct.gouv.fr", "--role", "instructor"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Mot de passe" in result.output and "Confirmez le mot de passe" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert authenticate(app.extensions[EXTENSION], "inst@anct.gouv.fr", PASSWORD) is not None


def test_two_different_passwords_create_nothing(app, runner):
    result = runner.invoke(args=["users", "add", "inst@anct.gouv.fr", "--role", "instructor"],
                           input=f"{PASSWORD}\nautre chose encore\n")
    assert result.exit_code != 0
    assert accounts(app) == 0


def test_errors_are_clear_and_exit_non_zero(app, runner):
    short = runner.invoke(args=["users", "add", "a@anct.gouv.fr", "--role", "instructor",
                                "--password-stdin"], input="court\n")
    assert short.exit_code == 1
    assert f"mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au moins" in short.output

    role = runner.invoke(args=["users", "add", "a@anct.gouv.fr", "--role", "chef",
                               "--password-stdin"], input=PASSWORD + "\n")
    assert role.exit_code == 2 and "rôle inconnu : 'chef'" in role.output
    assert "instructor, ministry, prefecture, admin" in role.output
    assert accounts(app) == 0

    args = ["users", "add", "a@anct.gouv.fr", "--role", "instructor", "--password-stdin"]
    assert runner.invoke(args=args, input=PASSWORD + "\n").exit_code == 0
    again = runner.invoke(args=args, input=PASSWORD + "\n")
    assert again.exit_code == 1 and "un compte existe déjà pour a@anct.gouv.fr" in again.output
    assert accounts(app) == 1


def test_list_and_disable(app, runner):
    empty = runner.invoke(args=["users", "list"])
    assert empty.exit_code == 0 and "Aucun compte" in empty.output
    for email, role in (("b@anct.gouv.fr", "ministry"), ("a@anct.gouv.fr", "instructor")):
        runner.invoke(args=["users", "add", email, "--role", role, "--password-stdin"],
                      input=PASSWORD + "\n")
    listed = runner.invoke(args=["users", "list"]).output.splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["a@anct.gouv.fr", "instructor", "actif"], ["b@anct.gouv.fr", "ministry", "actif"]]

    disabled = runner.invoke(args=["users", "disable", "A@anct.gouv.fr"])
    assert disabled.exit_code == 0 and "Compte désactivé : a@anct.gouv.fr" in disabled.output
    assert runner.invoke(args=["users", "list"]).output.splitlines()[0].split()[2] == "désactivé"
    assert authenticate(app.extensions[EXTENSION], "a@anct.gouv.fr", PASSWORD) is None

    unknown = runner.invoke(args=["users", "disable", "personne@anct.gouv.fr"])
    assert unknown.exit_code == 1 and "aucun compte pour personne@anct.gouv.fr" in unknown.output


def test_enable_and_new_password(app, runner):
    engine = app.extensions[EXTENSION]
    runner.invoke(args=["users", "add", "a@anct.gouv.fr", "--role", "instructor",
                        "--password-stdin"], input=PASSWORD + "\n")
    runner.invoke(args=["users", "disable", "a@anct.gouv.fr"])
    enabled = runner.invoke(args=["users", "enable", "A@anct.gouv.fr"])
    assert enabled.exit_code == 0 and "Compte réactivé : a@anct.gouv.fr" in enabled.output
    assert authenticate(engine, "a@anct.gouv.fr", PASSWORD) is not None

    new = "un tout autre mot de passe"
    changed = runner.invoke(args=["users", "password", "a@anct.gouv.fr"],
                            input=f"{new}\n{new}\n")
    assert changed.exit_code == 0, changed.output
    assert "Mot de passe changé : a@anct.gouv.fr" in changed.output and new not in changed.output
    assert authenticate(engine, "a@anct.gouv.fr", PASSWORD) is None
    assert authenticate(engine, "a@anct.gouv.fr", new) is not None

    short = runner.invoke(args=["users", "password", "a@anct.gouv.fr", "--password-stdin"],
                          input="court\n")
    assert short.exit_code == 1 and "mot de passe trop court" in short.output
    assert authenticate(engine, "a@anct.gouv.fr", new) is not None  # unchanged
    unknown = runner.invoke(args=["users", "enable", "personne@anct.gouv.fr"])
    assert unknown.exit_code == 1 and "aucun compte pour personne@anct.gouv.fr" in unknown.output


def test_a_prefecture_account_names_its_departements(app, runner):
    def add(email, role, *more):
        return runner.invoke(args=["users", "add", email, "--role", role, "--password-stdin",
                                   *more], input=PASSWORD + "\n")

    made = add("pref13@interieur.gouv.fr", "prefecture", "--departements", "13, 84,13")
    assert made.exit_code == 0, made.output
    assert "(préfecture, pref13, départements 13, 84)" in made.output
    user = authenticate(app.extensions[EXTENSION], "pref13@interieur.gouv.fr", PASSWORD)
    assert user.departements == ["13", "84"]
    for email, role, more, said in (
            ("sans@interieur.gouv.fr", "prefecture", [], "au moins un département"),
            ("mauvais@interieur.gouv.fr", "prefecture", ["--departements", "Bouches"],
             "code de département invalide : BOUCHES"),
            ("inst@anct.gouv.fr", "instructor", ["--departements", "13"],
             "seul un compte de préfecture a des départements")):
        refused = add(email, role, *more)
        assert refused.exit_code != 0 and said in refused.output
    assert accounts(app) == 1


def test_fields_are_refused_before_the_password_is_asked(app, runner):
    """Nobody types a password twice to learn that the address was wrong."""
    args = ["users", "add", "a@anct.gouv.fr", "--role", "instructor", "--password-stdin"]
    assert runner.invoke(args=args, input=PASSWORD + "\n").exit_code == 0
    for email, more, said in (
            ("pas-une-adresse", [], "adresse électronique invalide : 'pas-une-adresse'"),
            ("pref@interieur.gouv.fr", ["--role", "prefecture", "--departements", "999"],
             "code de département invalide : 999"),
            ("A@anct.gouv.fr", [], "un compte existe déjà pour a@anct.gouv.fr")):
        refused = runner.invoke(args=["users", "add", email, *(more or ["--role", "admin"])])
        assert refused.exit_code == 1 and said in refused.output, refused.output
        assert "Mot de passe" not in refused.output
    assert accounts(app) == 1
