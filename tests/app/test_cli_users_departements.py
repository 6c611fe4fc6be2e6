"""A prefecture's départements, from the command line: shown by ``fabriques users list``,
changed by ``fabriques users departements`` (a typo at creation, a new perimeter), on both
backends."""

from __future__ import annotations

import pytest

from app.access import authenticate
from app.db import EXTENSION
from tests.app.conftest import PASSWORD
from tests.loaders.common import load


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


@pytest.mark.shared_data
def test_with_the_cog_loaded_a_departement_must_exist(app, runner, data_dir):
    """« 99 », « 20 » or « 00 » have the form of a code and were taken: the agent then saw
    « Aucun dossier de vos départements (99) » for ever. Once the COG's départements are
    loaded (a complete list), a code must be one of them, at creation and after."""
    load(app.extensions[EXTENSION], "departements", data_dir)
    for codes in ("99", "13,20", "00"):
        refused = add(runner, "pref@interieur.gouv.fr", "prefecture", "--departements", codes)
        assert refused.exit_code == 1, refused.output
        assert "département inconnu du Code officiel géographique chargé" in refused.output
    created = add(runner, "pref@interieur.gouv.fr", "prefecture", "--departements", "13,2A,974")
    assert created.exit_code == 0, created.output
    refused = runner.invoke(args=["users", "departements", "pref@interieur.gouv.fr", "13,99"])
    assert refused.exit_code == 1 and "chargé : 99" in refused.output, refused.output
