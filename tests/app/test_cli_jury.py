"""``fabriques dossiers decider | cloturer`` on both backends: the jury from the command line,
with the hand-made wave of ``tests/data/dossiers`` and the local fake BAN (no outlines are
loaded: the dossiers have no commune, so the closing lists its laureate as not written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.db import get_engine
from geodata.storage.dossiers import dossier_events, list_dossiers
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import WAVE
from tests.support import close_app, make_app

pytestmark = pytest.mark.shared_data


@pytest.fixture
def runner(database_url, tmp_path, data_dir, ban_server):
    app = make_app(database_url, tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url)
    yield app.test_cli_runner()
    close_app(app)


def to_jury(runner, *numbers: str) -> None:
    assert runner.invoke(args=["dossiers", "importer", str(WAVE)]).exit_code == 0
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        assert runner.invoke(args=["dossiers", "etat", *numbers, "--vers", target,
                                   "--motivation", "Instruction de la vague"]).exit_code == 0


def test_decisions_from_the_command_line_then_the_closing(runner):
    to_jury(runner, "1234505", "1234509")
    refused = runner.invoke(args=["dossiers", "decider", "1234505", "1234502", "--decision",
                                  "laureat", "--motivation", "Projet solide"])
    assert refused.exit_code == 1 and "aucune décision enregistrée" in refused.output
    assert "dossier 1234502 : « Déposé » : seul un dossier « Transmis au jury »" \
        in refused.output
    unknown = runner.invoke(args=["dossiers", "decider", "1234505", "--decision", "gagne",
                                  "--motivation", "x"])
    assert unknown.exit_code == 2
    without = runner.invoke(args=["dossiers", "decider", "1234505", "--decision", "laureat"])
    assert without.exit_code == 2 and "--motivation" in without.output

    made = runner.invoke(args=["dossiers", "decider", "1234505", "--decision", "laureat",
                               "--motivation", "Ancrage dans le quartier"])
    assert made.exit_code == 0, made.output
    assert "1 dossier lauréat (vague 2, session n° 1" in made.output
    runner.invoke(args=["dossiers", "decider", "1234509", "--decision",
                        "refus-recandidater", "--motivation", "Budget à préciser"])
    with runner.app.app_context():
        states = {d.number: d.state for d in list_dossiers(get_engine())}
        last = dossier_events(get_engine(), 1234509)[-1]
    assert states[1234505] == "laureat" and states[1234509] == "refuse-recandidater"
    assert last.actor.startswith("ligne de commande") and last.motivation == "Budget à préciser"

    unnamed = runner.invoke(args=["dossiers", "cloturer", "--vague", "2", "--membres", " "])
    assert unnamed.exit_code == 1 and "membres présents sont obligatoires" in unnamed.output
    signs = runner.invoke(args=["dossiers", "cloturer", "--vague", "2", "--membres", ",;"])
    assert signs.exit_code == 1 and "au moins un nom" in signs.output  # as the page says
    closed = runner.invoke(args=["dossiers", "cloturer", "--vague", "2", "--membres",
                                 "Mme A (DGCL)"])
    assert closed.exit_code == 0, closed.output
    assert "close : 1 lauréat, 1 refusé, invité à recandidater." in closed.output
    assert "La table des Fabriques compte 0 lauréat des jurys" in closed.output
    assert "sans commune, non écrit (à localiser) : 1234505" in closed.output
    again = runner.invoke(args=["dossiers", "cloturer", "--vague", "2", "--membres", "Mme A"])
    assert again.exit_code == 1 and "aucune session de jury ouverte pour la vague 2" \
        in again.output


def test_a_decision_from_the_command_line_has_the_pages_motivation_limit(runner):
    """The command line took a 24,000-character motivation (the page caps it at 2,000)."""
    to_jury(runner, "1234505")
    long = runner.invoke(args=["dossiers", "decider", "1234505", "--decision", "laureat",
                               "--motivation", "x" * 2001])
    assert long.exit_code == 1 and "motivation de 2001 caractères : au plus 2000" in long.output
    assert runner.invoke(args=["dossiers", "decider", "1234505", "--decision", "laureat",
                               "--motivation", "x" * 2000]).exit_code == 0


def test_publishing_says_the_laureates_it_cannot_place(runner, tmp_path):
    """A laureate the address service could not place was left out of the open data with a
    single line at the closing, and « 389 Fabrique(s) publiée(s) » said nothing of it. Here
    no commune outline is loaded: the decided dossiers have no commune."""
    to_jury(runner, "1234505", "1234509")
    assert runner.invoke(args=["dossiers", "decider", "1234505", "1234509", "--decision",
                               "laureat", "--motivation", "Projet solide"]).exit_code == 0
    assert runner.invoke(args=["dossiers", "cloturer", "--vague", "2", "--membres",
                               "Mme A"]).exit_code == 0
    with runner.app.app_context():
        unplaced = [d.number for d in list_dossiers(get_engine())
                    if d.state == "laureat" and d.commune_code is None]
    assert unplaced == [1234505, 1234509]
    assert runner.invoke(args=["load", "laureates", "--quiet"]).exit_code == 0

    published = runner.invoke(args=["laureats", "publier", "-o", str(tmp_path / "od")])

    assert published.exit_code == 0, published.output
    assert "Attention : 2 lauréats décidés par un jury ne sont pas publiés, faute de " \
        "commune connue (dossiers 1234505, 1234509)" in published.output


def test_a_laureate_decided_from_the_command_line_is_warned_as_on_the_page(runner):
    """Le Chai 2.0 (legal form 1000, an entrepreneur: not admitted) named the second
    laureate of a wave capped at 1 (an instance calendar): the decision is taken, as on the
    page, with the warnings its confirmation page shows; the first laureate warns of none."""
    calendar = Path(runner.app.instance_path) / "vagues.toml"
    calendar.write_text('[[vague]]\nnumero = "2"\ntype = "toutes"\ndepot_limite = 2019-12-31\n'
                        'quota = 1\npolitique = "ami-2019"\n', encoding="utf-8")
    to_jury(runner, "1234508", "1234505")
    first = runner.invoke(args=["dossiers", "decider", "1234505", "--decision", "laureat",
                                "--motivation", "Ancrage dans le quartier"])
    assert first.exit_code == 0 and "Attention" not in first.stderr, first.stderr
    made = runner.invoke(args=["dossiers", "decider", "1234508", "--decision", "laureat",
                               "--motivation", "Projet solide"])
    assert made.exit_code == 0, made.output
    warned = made.stderr
    assert warned.startswith("Attention (décision annulable")
    assert "dossier 1234508 : forme juridique non conforme aux règles de l'AMI" in warned
    assert "Vague 2 : 2 lauréats pour un quota de 1 (1 de plus)." in warned
    with runner.app.app_context():
        assert {d.number: d.state for d in list_dossiers(get_engine())}[1234508] == "laureat"
