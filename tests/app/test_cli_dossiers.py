"""``fabriques dossiers importer | exporter`` on both backends, with the hand-made wave of
``tests/data/dossiers`` and the local fake BAN."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from app.cli.dossiers import SHOWN, summary
from app.db import get_engine
from geodata.dossiers.export import COLUMNS, FRENCH_HEADERS
from geodata.storage.dossiers import StoreReport, dossier_events, list_dossiers
from loaders.dossiers import ImportReport
from loaders.ds_export import Intake, RowError
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import WAVE
from tests.support import close_app, make_app

pytestmark = pytest.mark.shared_data


@pytest.fixture
def runner(database_url, tmp_path, data_dir, ban_server):
    app = make_app(database_url, tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url)
    yield app.test_cli_runner()
    close_app(app)


def test_import_says_what_it_did_and_export_writes_every_dossier(runner, tmp_path):
    first = runner.invoke(args=["dossiers", "importer", str(WAVE)])
    assert first.exit_code == 0, first.output
    assert "24 dossiers lus — 24 créés, 0 mis à jour, 0 inchangé ; 7 lignes " \
        "écartées." in first.output
    assert "écartée : ligne 29, dossier 1234528, colonne « Type de Fabrique » : réponse " \
        "inconnue « Tiers-lieu »" in first.output
    assert "non localisé : dossier 1234514 (adresse introuvable" in first.output
    again = runner.invoke(args=["dossiers", "importer", str(WAVE)])
    assert "0 créé, 0 mis à jour, 24 inchangés" in again.output

    plain, french = tmp_path / "vague-2.csv", tmp_path / "vague-2-tableur.csv"
    answer = runner.invoke(args=["dossiers", "exporter", "--vague", "2", "-o", str(plain)])
    assert answer.exit_code == 0 and "20 dossiers écrits" in answer.output
    rows = list(csv.DictReader(io.StringIO(plain.read_text(encoding="utf-8"))))
    assert len(rows) == 20 and list(rows[0]) == list(COLUMNS)
    assert {row["vague"] for row in rows} == {"2"}
    runner.invoke(args=["dossiers", "exporter", "--vague", "2", "--tableur", "-o", str(french)])
    text = french.read_text(encoding="utf-8")
    assert text.startswith("\ufeff" + ";".join(FRENCH_HEADERS))
    assert len(text.splitlines()) == 21
    workbook = tmp_path / "vague-2.xlsx"  # as the pages' export: a typed workbook
    answer = runner.invoke(args=["dossiers", "exporter", "--vague", "2", "-o", str(workbook)])
    assert answer.exit_code == 0 and "20 dossiers écrits" in answer.output
    header, *sheet = openpyxl.load_workbook(workbook).active.iter_rows(values_only=True)
    assert header == FRENCH_HEADERS and len(sheet) == 20
    assert {row[0] for row in sheet} == {int(row["numero"]) for row in rows}
    for command in (["exporter", "-o", str(tmp_path / "v.csv")], ["reverifier"]):
        typo = runner.invoke(args=["dossiers", *command, "--vague", "vague-2"])
        assert typo.exit_code == 1, typo.output
        assert typo.output.startswith("Erreur — aucun dossier dans la vague 'vague-2' "
                                      "(vagues des dossiers : ")
        assert "2" in typo.output.split("vagues des dossiers : ")[1]
    assert not (tmp_path / "v.csv").exists()


@pytest.mark.parametrize("chosen", [[], ["--politique", "selon-la-vague"]])
def test_import_by_wave_takes_the_calendar_s_rules(runner, chosen):
    """Without ``--politique``, as the import page does for a first import: a 2019 export
    re-run from the command line was checked under today's rules."""
    answer = runner.invoke(args=["dossiers", "importer", str(WAVE), *chosen])
    assert answer.exit_code == 0, answer.output
    assert "règles de la ou des vagues du fichier : « AMI 2019" in answer.output
    with runner.app.app_context():
        assert {d.policy for d in list_dossiers(get_engine())} == {"ami-2019"}


def test_import_under_today_s_rules_is_asked_for(runner):
    answer = runner.invoke(args=["dossiers", "importer", str(WAVE), "--politique", "current"])
    assert answer.exit_code == 0, answer.output
    assert "règles de la ou des vagues" not in answer.output
    with runner.app.app_context():
        assert {d.policy for d in list_dossiers(get_engine())} == {"current"}


@pytest.mark.parametrize(("arguments", "said"), [
    (["--vague", "12"], "vague inconnue du calendrier : « 12 »"),
    (["--correspondance", "ami-2030"], "valeur invalide pour '--correspondance'"),
])
def test_a_refused_import_says_why_and_imports_nothing(runner, tmp_path, arguments, said):
    answer = runner.invoke(args=["dossiers", "importer", str(WAVE), *arguments])
    assert answer.exit_code != 0 and said in answer.output
    out = tmp_path / "vide.csv"
    runner.invoke(args=["dossiers", "exporter", "-o", str(out)])
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1  # the header only


def test_a_missing_file_is_an_error_in_french(runner, tmp_path):
    answer = runner.invoke(args=["dossiers", "importer", str(tmp_path / "absent.xlsx")])
    assert answer.exit_code == 1
    assert "Erreur — " in answer.output and "absent.xlsx" in answer.output
    assert "Aucun dossier importé." in answer.output


def test_state_moves_are_all_or_nothing_and_traced(runner):
    runner.invoke(args=["dossiers", "importer", str(WAVE)])
    first, second = "1234502", "1234503"
    unsaid = runner.invoke(args=["dossiers", "etat", first, "--vers", "en-instruction"])
    assert unsaid.exit_code == 2 and "--motivation" in unsaid.output  # as on the web page
    blank = runner.invoke(args=["dossiers", "etat", first, "--vers", "en-instruction",
                                "--motivation", "  "])
    assert blank.exit_code == 1 and "motivation vide" in blank.output
    moved = runner.invoke(args=["dossiers", "etat", first, second, "--vers", "en-instruction",
                                "--motivation", "Dossiers complets"])
    assert moved.exit_code == 0 and "2 dossiers passés à « En instruction »" in moved.output
    refused = runner.invoke(args=["dossiers", "etat", first, "1234505", "--vers", "recevable",
                                  "--motivation", "Recevables"])
    assert refused.exit_code == 1 and "aucun dossier n'a changé d'état" in refused.output
    assert "dossier 1234505 : de « Déposé », on ne passe pas à « Recevable »" in refused.output
    jury = runner.invoke(args=["dossiers", "etat", first, "--vers", "laureat",
                               "--motivation", "Projet solide"])
    assert jury.exit_code == 1 and "« Lauréat » est une décision du jury" in jury.output
    unknown = runner.invoke(args=["dossiers", "etat", "999", "--vers", "en-instruction",
                                  "--motivation", "Dossier complet"])
    assert "dossier 999 : dossier inconnu" in unknown.output
    back = runner.invoke(args=["dossiers", "etat", first, "--vers", "en-instruction",
                               "--motivation", "Dossier complet"])
    assert "déjà « En instruction »" in back.output

    with runner.app.app_context():
        engine = get_engine()
        events = dossier_events(engine, int(first))
        states = {d.number: d.state for d in list_dossiers(engine)}
    assert [(e.kind, e.from_state, e.to_state) for e in events] == [
        ("import", None, None), ("etat", "depose", "en-instruction")]
    assert events[1].actor.startswith("ligne de commande")
    assert states[int(first)] == states[int(second)] == "en-instruction"
    assert states[1234505] == "depose"
    assert runner.invoke(args=["dossiers", "etat", first, "--vers", "depose", "--motivation",
                               "Erreur"]).exit_code == 2
    again = runner.invoke(args=["dossiers", "importer", str(WAVE)])
    assert "24 inchangés" in again.output
    with runner.app.app_context():
        assert {d.number: d.state for d in list_dossiers(get_engine())} == states


def test_checking_again_follows_the_rules_of_each_wave_by_default(runner):
    """Imported under today's rules, then checked again without ``--politique``: each
    dossier is checked under the rules of its wave (AMI 2019 for the 2019 waves), as the
    import does; the command used to move them onto today's rules."""
    runner.invoke(args=["dossiers", "importer", str(WAVE), "--politique", "current"])
    with runner.app.app_context():
        waves = {d.number: d.wave for d in list_dossiers(get_engine())}
    answer = runner.invoke(args=["dossiers", "reverifier"])
    assert answer.exit_code == 0, answer.output
    assert "(politique « selon-la-vague »)" in answer.output
    with runner.app.app_context():
        policies = {d.number: d.policy for d in list_dossiers(get_engine())}
    assert {policies[n] for n, w in waves.items() if w in ("1", "2")} == {"ami-2019"}
    assert {policies[n] for n, w in waves.items() if w is None} <= {"current"}
    counted = sum(w in ("1", "2") for w in waves.values())
    assert f"note : {counted} dossiers selon « AMI 2019" in answer.output
    again = runner.invoke(args=["dossiers", "reverifier", "--vague", "1"])
    assert "0 changé, 4 inchangés" in again.output


def test_checking_again_under_another_policy_says_what_changed(runner):
    runner.invoke(args=["dossiers", "importer", str(WAVE), "--politique", "current"])
    answer = runner.invoke(args=["dossiers", "reverifier", "--vague", "1", "--politique",
                                 "ami-2019"])
    assert answer.exit_code == 0, answer.output
    assert "4 dossiers vérifiés de nouveau (politique « ami-2019 ») : 4 changés" \
        in answer.output
    same = runner.invoke(args=["dossiers", "reverifier", "--vague", "1", "--politique",
                               "ami-2019"])
    assert "0 changé, 4 inchangés" in same.output
    with runner.app.app_context():
        dossiers = list_dossiers(get_engine(), "1")
    assert {d.policy for d in dossiers} == {"ami-2019"}


def test_the_import_s_summary_agrees_each_count():
    """« 1 dossier(s) lu(s) — 1 créé(s) » was the summary of a one-dossier export: a count of
    1 (or 0) says its words in the singular, from 2 in the plural."""
    one = ImportReport(Intake(Path("vague.csv"), dossiers=[None],
                              errors=[RowError(3, "ID", "numéro illisible")]),
                       StoreReport(created=[1234501]))
    assert summary(one).startswith("vague.csv : 1 dossier lu — 1 créé, 0 mis à jour, "
                                   "0 inchangé ; 1 ligne écartée.")
    many = ImportReport(Intake(Path("vague.csv"), dossiers=[None] * 3,
                               errors=[RowError(n, "ID", "numéro illisible")
                                       for n in range(2, 2 + SHOWN + 2)]),
                        StoreReport(created=[1, 2], unchanged=[3]))
    said = summary(many)
    assert said.startswith("vague.csv : 3 dossiers lus — 2 créés, 0 mis à jour, 1 inchangé ; "
                           f"{SHOWN + 2} lignes écartées.")
    assert said.splitlines()[SHOWN + 1] == "  … et 2 autres"
