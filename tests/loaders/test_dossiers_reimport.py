"""What importing a Démarches Simplifiées export again keeps and says, on both backends: a
column renamed or missing erases nothing stored, a decided dossier keeps its wave, the
dossiers a new export lacks are named; and what the address says beside the point (the
hand-made wave of ``tests/data/dossiers``, as ``test_dossiers_import`` imports it).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from geodata.dossiers.export import export_csv
from geodata.storage.dossier_models import Dossier
from geodata.storage.dossiers import dossier_events, give_avis, list_dossiers, move_dossiers
from geodata.storage.jury import decide
from loaders.errors import LoadError
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.common import load
from tests.loaders.test_dossiers_import import (  # noqa: F401 - the two fixtures
    WAVE,
    ban_fixture,
    count,
    imported,
    paca_fixture,
)

pytestmark = pytest.mark.shared_data


def renamed(tmp_path, *renames) -> Path:
    """The wave's export with header labels renamed, as a later export may have them."""
    header, rest = WAVE.read_text(encoding="utf-8").split("\n", 1)
    for old, new in renames:
        assert old in header
        header = header.replace(old, new, 1)
    path = tmp_path / "renomme.csv"
    path.write_text(f"{header}\n{rest}", encoding="utf-8")
    return path


def test_a_column_renamed_in_a_new_export_erases_nothing(paca, ban, data_dir, tmp_path):
    """A renamed column (« SIRET », « 1ère année ») made a re-import empty those fields of
    every dossier, an avis rendu's included."""
    imported(paca, ban, data_dir)
    before = {d.number: (d.siret, d.amount_1, d.checks) for d in list_dossiers(paca)}
    assert sum(siret is not None for siret, _, _ in before.values()) > 10

    again = imported(paca, ban, data_dir, path=renamed(
        tmp_path, ("Établissement SIRET", "SIRET"),
        ("Montant demandé 1re année", "Montant demandé 1ère année")))

    assert {d.number: (d.siret, d.amount_1, d.checks) for d in list_dossiers(paca)} == before
    assert again.stored.updated == {} and len(again.stored.unchanged) == 24
    note = next(n for n in again.intake.notes if "absente" in n)
    assert "Établissement SIRET" in note and "gardent leurs valeurs" in note


def test_a_file_with_one_coordinate_column_is_refused_whole(paca, ban, data_dir, tmp_path):
    """A renamed « Longitude » left every row out for a column the file does not have."""
    with pytest.raises(LoadError, match="« Longitude » absente alors que « Latitude » est là") \
            as error:
        imported(paca, ban, data_dir, path=renamed(tmp_path, ("Longitude", "Long.")))
    assert error.value.field == "Longitude" and count(paca, Dossier) == 0


def test_an_export_without_coordinates_keeps_the_known_places(paca, ban, data_dir, tmp_path):
    imported(paca, ban, data_dir)
    before = {d.number: (d.lon, d.lat, d.category) for d in list_dossiers(paca)}

    again = imported(paca, ban, data_dir, path=renamed(
        tmp_path, ("Longitude", "Long."), ("Latitude", "Lat.")))

    after = {d.number: (d.lon, d.lat, d.category) for d in list_dossiers(paca)}
    assert {number: after[number] for number in before} == before
    assert again.stored.updated == {}  # (rows 27-28, bad coordinates, are now new dossiers)


def test_a_decided_dossier_keeps_the_wave_of_its_jury(paca, ban, data_dir):
    """Imported again with ``--vague 3``, the laureates of wave 2 left its closed session:
    its jury page said there was no dossier in wave 2."""
    imported(paca, ban, data_dir)
    number = next(d.number for d in list_dossiers(paca) if d.wave == "2")
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(paca, [number], target, "instructrice@exemple.gouv.fr")
    decide(paca, [number], "laureat", "Projet retenu", "jury@exemple.gouv.fr")

    again = imported(paca, ban, data_dir, wave="3")

    waves = {d.number: d.wave for d in list_dossiers(paca)}
    assert waves[number] == "2" and again.stored.decided_kept == {number: ["wave"]}
    assert {w for n, w in waves.items() if n != number} == {"3"}
    assert any(f"{number} (vague)" in note for note in again.notes)


def test_a_decided_dossier_keeps_the_facts_of_its_decision(paca, ban, data_dir, tmp_path):
    """An export taken again after the jury moved a laureate's point out of its QPV (its
    letter said « non éligible »), made it an FNT with other amounts, renamed it (it lost its
    match with the published Fabrique, counted twice; an empty SIRET cell erased another's).
    Its DS state and e-mail still follow the export; the other values are kept, and what the
    export says is written once in its history, and the report says nothing of its export's
    place (« le point n'est pas dans la commune de l'adresse »: the COG's communes loaded
    for that reading)."""
    load(paca, "communes", data_dir)
    imported(paca, ban, data_dir)
    number = 1234509
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(paca, [number], target, "instructrice@exemple.gouv.fr")
    decide(paca, [number], "laureat", "Projet retenu", "jury@exemple.gouv.fr")
    fields = ("lon", "lat", "category", "kind", "amount_1", "siret", "project_name", "checks")
    before = {f: getattr(next(d for d in list_dossiers(paca) if d.number == number), f)
              for f in fields}
    text = WAVE.read_text(encoding="utf-8")
    line = next(row for row in text.splitlines() if row.startswith(f"{number},"))
    changed = (line.replace("porteur-09@", "porteuse-09@").replace("en_instruction", "accepte")
               .replace("5.390326,43.309625", "5.5702,43.2922")  # Aubagne: address's elsewhere
               .replace("Fabrique de Territoire,", "Fabrique Numérique de Territoire,")
               .replace(",SCIC FRICHE LA BELLE DE MAI,Fabrique", ",La Friche — tiers-lieu,Fabrique")
               .replace("50 000,50 000,50 000", "100 000,100 000,50 000"))
    assert changed.count("Friche — tiers-lieu") == 1 and "100 000" in changed
    export = tmp_path / "apres-jury.csv"
    export.write_text(text.replace(line, changed), encoding="utf-8")

    again = imported(paca, ban, data_dir, path=export)
    imported(paca, ban, data_dir, path=export)  # the same export once more

    dossier = next(d for d in list_dossiers(paca) if d.number == number)
    assert {f: getattr(dossier, f) for f in fields} == before
    assert dossier.ds_state == "accepte" and dossier.email.startswith("porteuse-09@")
    assert {"lon", "lat", "kind", "amount_1", "project_name"} <= set(
        again.stored.decided_kept[number])
    assert again.stored.updated[number] == ["email", "ds_state"]
    gaps = [e for e in dossier_events(paca, number) if e.kind == "ecart-export"]
    assert len(gaps) == 1 and gaps[0].details["apres"]["lon"] == 5.5702
    assert gaps[0].details["avant"]["kind"] == before["kind"]
    note = next(n for n in again.notes if "garde les valeurs de sa décision" in n)
    assert f"{number} (" in note and "longitude" in note
    assert not any(str(number) in n for n in again.notes if "commune de l'adresse" in n)
    same = imported(paca, ban, data_dir)  # the export the decision was taken on: nothing to
    assert number not in same.stored.decided_kept  # say (what today's data compute aside)
    assert len([e for e in dossier_events(paca, number) if e.kind == "ecart-export"]) == 1


def test_coordinates_outside_every_territory_are_to_be_checked(paca, ban, data_dir,
                                                                tmp_path):
    """Swapped coordinates were stored without a category: left out of the « à vérifier »
    filter and empty in the exports, and the report said nothing."""
    swapped = tmp_path / "inversees.csv"
    text = WAVE.read_text(encoding="utf-8")
    assert ",4.2834,46.9485," in text
    swapped.write_text(text.replace(",4.2834,46.9485,", ",46.9485,4.2834,"), encoding="utf-8")

    report = imported(paca, ban, data_dir, path=swapped)

    dossier = next(d for d in list_dossiers(paca) if d.number == 1234501)
    assert dossier.category == "a-verifier"
    assert "longitude et latitude inversées" in dossier.checks["territoire"]["explanation"]
    assert any("hors des territoires couverts" in note and "1234501" in note
               for note in report.notes)
    row = next(r for r in csv.DictReader(io.StringIO(export_csv([dossier]))))
    assert row["categorie"] == "a-verifier" and "territoire : à vérifier" in row["motifs"]


def test_a_dossier_not_located_takes_the_departement_its_address_names(paca, ban, data_dir):
    """Without a place, a dossier had no département: its prefecture could neither see it
    nor give the avis asked."""
    load(paca, "communes", data_dir)  # the official list of names the addresses are read by

    report = imported(paca, ban, data_dir)

    unplaced = {d.number: d.departement_code for d in list_dossiers(paca) if d.lon is None}
    assert set(unplaced) == set(report.not_located)
    assert unplaced == {1234514: "38", 1234518: "51", 1234522: "29", 1234523: "54"}
    assert all(d.commune_code is None for d in list_dossiers(paca) if d.lon is None)


def test_dossiers_missing_from_a_new_export_are_named(paca, ban, data_dir, tmp_path):
    """An export without two dossiers imported before said nothing of them."""
    imported(paca, ban, data_dir)
    shorter = tmp_path / "sans_deux.csv"
    shorter.write_text("\n".join(
        line for line in WAVE.read_text(encoding="utf-8").split("\n")
        if not line.startswith(("1234503,", "1234506,"))), encoding="utf-8")

    report = imported(paca, ban, data_dir, path=shorter)

    note = next(n for n in report.notes if "pas dans ce fichier" in n)
    assert note.startswith("2 dossiers déjà importés des vagues 1, 2 ne sont pas dans ce "
                           "fichier (gardés tels quels")  # not « de la ou des mêmes vagues »
    assert note.endswith(": 1234503, 1234506")
    assert {d.number for d in list_dossiers(paca)} >= {1234503, 1234506}  # kept


def test_an_export_with_its_header_only_is_said_empty(engine, ban, data_dir, tmp_path):
    header = tmp_path / "entete.csv"
    header.write_text(WAVE.read_text(encoding="utf-8").split("\n", 1)[0] + "\n",
                      encoding="utf-8")
    report = imported(engine, ban, data_dir, path=header)
    assert any("l'en-tête seulement" in note for note in report.intake.notes)
    assert count(engine, Dossier) == 0


def test_a_point_outside_the_commune_of_its_address_is_to_be_checked(paca, ban, data_dir,
                                                                       tmp_path):
    """A Strasbourg address with Marseille coordinates was stored in Marseille, « qpv »,
    without a word: its prefecture was Marseille's."""
    load(paca, "communes", data_dir)
    text = WAVE.read_text(encoding="utf-8")
    friche = next(row for row in csv.DictReader(io.StringIO(text)) if row["ID"] == "1234509")
    lon, lat = friche["Longitude"], friche["Latitude"]  # la Friche la Belle de Mai, Marseille
    moved = tmp_path / "deplace.csv"
    strasbourg = "8 RUE GEORGES EPSTEIN 67100 STRASBOURG,7.7738,48.5439"
    assert strasbourg in text
    moved.write_text(text.replace(strasbourg, f"8 RUE GEORGES EPSTEIN 67100 STRASBOURG,{lon},"
                                              f"{lat}"), encoding="utf-8")

    report = imported(paca, ban, data_dir, path=moved)

    dossier = next(d for d in list_dossiers(paca) if d.number == 1234502)
    assert dossier.commune_code == "13055" and dossier.category == "a-verifier"
    assert "l'adresse dans celle de Strasbourg (67482)" in \
        dossier.checks["territoire"]["explanation"]
    note = next(n for n in report.notes if "pas dans la commune de l'adresse" in n)
    assert note.endswith(": 1234502")  # the other dossiers' points agree with their address


def test_an_import_under_other_rules_says_so(paca, ban, data_dir):
    """Imported again under the page's default rules, a wave checked under the AMI 2019's
    had its categories flipped (20 of 21 « à vérifier », then back) with a bare count of
    updates."""
    imported(paca, ban, data_dir, policy_name="ami-2019")
    assert {d.policy for d in list_dossiers(paca)} == {"ami-2019"}
    same = imported(paca, ban, data_dir, policy_name="ami-2019")
    assert not [n for n in same.notes if "désormais selon" in n]

    again = imported(paca, ban, data_dir)  # the default rules

    (note,) = [n for n in again.notes if "désormais selon" in n]
    assert note.startswith("24 dossiers vérifiés jusqu'ici selon « AMI 2019")
    assert "le sont désormais selon « Règles actuelles" in note
    assert "importez avec « AMI 2019" in note


def test_an_import_that_moves_a_dossier_to_another_departement_says_so(paca, ban, data_dir,
                                                                         tmp_path):
    """La Fabulerie moved from Marseille to Avignon in a later export: the Bouches-du-Rhône's
    prefecture lost it (« Page introuvable ») and the report said « 1 mis à jour ».
    Synthetic: its address and point changed in a copy of the export."""
    imported(paca, ban, data_dir)
    assert {d.number: d.departement_code for d in list_dossiers(paca)}[1234505] == "13"
    moved = tmp_path / "vague.csv"
    moved.write_text(WAVE.read_text(encoding="utf-8").replace(
        '4 rue de la bibliotheque 13001 Marseille,"5,38391","43,295313"',
        '1 place de l\'Horloge 84000 Avignon,"4,8057","43,9493"'), encoding="utf-8")

    again = imported(paca, ban, data_dir, path=moved)

    assert {d.number: d.departement_code for d in list_dossiers(paca)}[1234505] == "84"
    assert "1 dossier change de département, donc de préfecture : 1234505 (13 → 84)" \
        in again.notes


def test_a_moved_dossier_s_avis_is_said_to_be_the_former_prefecture_s(paca, ban, data_dir,
                                                                       tmp_path):
    """The Bouches-du-Rhône's prefecture had given its avis: the Vaucluse's read « Avis
    rendu », signed by another, and the report said nothing of it."""
    imported(paca, ban, data_dir)
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(paca, [1234505], target, "instructrice")
    give_avis(paca, 1234505, "favorable", "Projet ancré", "pref13@exemple.gouv.fr")
    moved = tmp_path / "vague.csv"
    moved.write_text(WAVE.read_text(encoding="utf-8").replace(
        '4 rue de la bibliotheque 13001 Marseille,"5,38391","43,295313"',
        '1 place de l\'Horloge 84000 Avignon,"4,8057","43,9493"'), encoding="utf-8")

    again = imported(paca, ban, data_dir, path=moved)

    assert "1234505 (13 → 84, avis de la préfecture du 13 : à demander à la nouvelle)" in " ".join(
        again.notes)


def test_without_the_type_column_the_dossiers_keep_their_wave(paca, ban, data_dir, tmp_path):
    """Wave 1 admitted FNT only: an export without « Type de Fabrique » told its dossiers no
    wave, and the import took them out of it (« vague : « 1 » → « vide » »), while its
    report said the stored values were kept."""
    imported(paca, ban, data_dir)
    before = {d.number: (d.wave, d.kind) for d in list_dossiers(paca)}
    assert {wave for wave, _ in before.values()} >= {"1", "2"}

    again = imported(paca, ban, data_dir,
                     path=renamed(tmp_path, ("Type de Fabrique", "Autre question")))

    after = {d.number: (d.wave, d.kind) for d in list_dossiers(paca)}
    assert {number: after[number] for number in before} == before
    assert not set(again.stored.updated) & set(before)
    assert "Type de Fabrique" in next(n for n in again.intake.notes if "absente" in n)


def test_the_same_wave_as_a_spreadsheet_changes_nothing(paca, ban, data_dir, tmp_path):
    """An .xlsx of the same wave, its numbers as numbers (« 60000 » for « 60 000 € »):
    every dossier was « mis à jour par un import : champs de l'export », on every import.
    (1234525's « beaucoup » becomes an empty amount: a new dossier, not counted here.)"""
    imported(paca, ban, data_dir)
    frame = pd.read_csv(WAVE, dtype=str, keep_default_na=False)
    for column in ("Montant demandé 1re année", "Montant demandé 2e année",
                   "Montant demandé 3e année"):
        frame[column] = pd.to_numeric(frame[column].str.replace(r"[^\d]", "", regex=True),
                                      errors="coerce")
    sheet = tmp_path / "export.xlsx"
    frame.to_excel(sheet, index=False)
    events = {d.number: len(dossier_events(paca, d.number)) for d in list_dossiers(paca)}

    again = imported(paca, ban, data_dir, path=sheet)

    assert again.stored.updated == {}
    assert {number: len(dossier_events(paca, number)) for number in events} == events


@pytest.mark.parametrize("written", ["0001-01-01 00:30:00 +0100", "9999-12-31 23:59:59 +1400",
                                     "2019-07-10 12:00:00 +0200"])
def test_a_filing_date_out_of_the_programme_is_that_rows_error(engine, ban, data_dir,
                                                               tmp_path, written):
    """The first ended in an OverflowError (a traceback, a 500 on the page); the second took
    dossier 1234503 out of its wave 1; the third is the day before the AMI opened."""
    imported(engine, ban, data_dir)
    text = WAVE.read_text(encoding="utf-8")
    assert "1234503,porteur-03@exemple.fr,en_construction,2019-10-15 22:03:18 +0200," in text
    changed = tmp_path / "dates.csv"
    changed.write_text(text.replace(",2019-10-15 22:03:18 +0200,", f",{written},", 1),
                       encoding="utf-8")

    report = imported(engine, ban, data_dir, path=changed)

    (error,) = [e for e in report.intake.errors if e.dossier == 1234503]
    assert error.column == "Déposé le" and "hors de la période possible" in error.message
    (kept,) = [d for d in list_dossiers(engine) if d.number == 1234503]
    assert kept.wave == "1" and kept.filed_at.year == 2019
