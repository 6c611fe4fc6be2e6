"""A prefecture's départements, from the command line: shown by ``fabriques users list``,
changed by ``fabriques users departements`` (a typo at creation, a new perimeter), on both
backends."""

from __future__ import annotations

from app.access import authenticate
from app.db import EXTENSION
from tests.app.conftest import PASSWORD


def add(runner, email, role, *more):
    return runner.invoke(args=["users", "add", email, "--role", role, "--password-stdin",
                               *more], input=PASSWORD + "\n")


def test_the_list_shows_a_prefectures_departements(app, runner):
    """``users list`` did not say which départements a prefecture sees."""
    assert add(runner, "pref@interieur.gouv.fr", "prefecture", "--departements", "84,13")\
        .exit_code == 0
    assert add(runner, "inst@anct.gouv.fr", "instructor").exit_code == 0
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if row.startswith("pref@"))
    assert line.endswith("pref  (départements 13, 84)")
    assert "départements" not in next(row for row in listed.output.splitlines()
                                      if row.startswith("inst@"))


def test_a_prefectures_departements_are_changed(app, runner):
    """A département typed wrong at creation could not be corrected (only a new account,
    under another address, whose avis are signed by another name)."""
    engine = app.extensions[EXTENSION]
    assert add(runner, "pref@interieur.gouv.fr", "prefecture", "--departements", "31")\
        .exit_code == 0
    changed = runner.invoke(args=["users", "departements", "Pref@interieur.gouv.fr", "13, 2a"])
    assert changed.exit_code == 0, changed.output
    assert "Départements de pref@interieur.gouv.fr : 13, 2A (avant : 31)" in changed.output
    assert authenticate(engine, "pref@interieur.gouv.fr", PASSWORD).departements \
        == ["13", "2A"]


def test_departements_are_refused_as_at_creation(app, runner):
    engine = app.extensions[EXTENSION]
    assert add(runner, "pref@interieur.gouv.fr", "prefecture", "--departements", "13")\
        .exit_code == 0
    assert add(runner, "inst@anct.gouv.fr", "instructor").exit_code == 0
    for email, codes, said in (
            ("pref@interieur.gouv.fr", "Bouches", "code de département invalide : BOUCHES"),
            ("pref@interieur.gouv.fr", " , ", "au moins un département"),
            ("inst@anct.gouv.fr", "13", "seul un compte de préfecture a des départements"),
            ("personne@anct.gouv.fr", "13", "aucun compte pour personne@anct.gouv.fr")):
        refused = runner.invoke(args=["users", "departements", email, codes])
        assert refused.exit_code == 1 and said in refused.output, refused.output
    assert authenticate(engine, "pref@interieur.gouv.fr", PASSWORD).departements == ["13"]
    assert authenticate(engine, "inst@anct.gouv.fr", PASSWORD).departements is None
