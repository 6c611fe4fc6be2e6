"""Importing a wave of dossiers from a Démarches Simplifiées export, on both backends.

The export is the hand-made wave of ``tests/data/dossiers`` (real organisations, see
``tests/data/README.md``): 24 good rows, then one bad row of each kind. The QPV 2024 PACA
outlines and the outlines of the communes hosting a QPV are loaded, so that the Marseille
dossiers get a territorial answer; addresses are geocoded by the local fake BAN.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import func, select, update

from geodata.checks import check_point
from geodata.dossiers.calendar import load_calendar
from geodata.dossiers.export import COLUMNS, export_csv
from geodata.geocoder import BanClient
from geodata.storage.dossier_models import Dossier, DossierEvent
from geodata.storage.dossiers import (
    dossier_events,
    give_avis,
    list_dossiers,
    move_dossiers,
)
from geodata.storage.models import Laureate
from loaders.dossiers import import_dossiers, reverify_dossiers
from loaders.ds_export import load_mapping, read_dossiers
from loaders.errors import LoadError
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.common import load

pytestmark = pytest.mark.shared_data

WAVE = Path(__file__).parents[1] / "data" / "dossiers" / "ami2019_vague.csv"
BAD_LINES = {26: "Montant demandé 2e année", 27: "Latitude", 28: "Latitude",
             29: "Type de Fabrique", 30: "ID", 31: "ID", 32: "Déposé le"}


@pytest.fixture(name="paca")
def paca_fixture(qpv_facts, data_dir):
    load(qpv_facts, "qpv2024-paca", data_dir)
    return qpv_facts


@pytest.fixture(name="ban")
def ban_fixture(ban_server):
    with BanClient(ban_server.url, max_retries=0) as client:
        yield client


def imported(engine, ban, data_dir, path=WAVE, **options):
    return import_dossiers(engine, ban, path, data_dir=data_dir, actor="test", **options)


def count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_a_wave_is_imported_with_its_bad_rows_reported(paca, ban, data_dir):
    report = imported(paca, ban, data_dir)

    assert len(report.stored.created) == 24 and not report.stored.updated
    assert {error.line: error.column for error in report.intake.errors} == BAD_LINES
    dossiers = {d.number: d for d in list_dossiers(paca)}
    assert len(dossiers) == 24 and count(paca, DossierEvent) == 24
    assert {d.wave for d in dossiers.values() if d.kind == "FNT"} == {"1"}
    assert {d.wave for d in dossiers.values() if d.kind == "FT"} == {"2"}
    assert all(d.state == "depose" for d in dossiers.values())
    # geocoded by the BAN (the fake knows two of the six addresses without coordinates)
    assert dossiers[1234512].precision == "address" and dossiers[1234512].geocoded_label
    assert dossiers[1234504].precision == "commune"
    unplaced = {n for n, d in dossiers.items() if d.lon is None}
    assert unplaced == set(report.not_located) and len(unplaced) == 4
    assert all("introuvable" in why for why in report.not_located.values())
    for number in unplaced:
        assert dossiers[number].category == "a-verifier"
        assert "Non localisé" in dossiers[number].checks["territoire"]["explanation"]


def test_each_dossier_gets_the_engines_answer_and_the_other_checks(paca, ban, data_dir):
    imported(paca, ban, data_dir)
    dossiers = list_dossiers(paca, whole=True)
    in_marseille = [d for d in dossiers if d.commune_code == "13055"]
    assert len(in_marseille) == 3
    assert {d.category for d in in_marseille} >= {"qpv"}
    for dossier in dossiers:
        if dossier.lon is None:
            continue
        expected = check_point(paca, "current", dossier.lon, dossier.lat, dossier.precision,
                               dossier.commune_code).verdict.row
        assert dossier.category == expected["category"], dossier.number
        assert dossier.checks["territoire"]["qpv_code"] == expected["qpv_code"]
        assert dossier.policy == "current" and dossier.dataset_versions
    legal = {d.legal_form_code: d.checks["forme_juridique"]["value"] for d in dossiers}
    assert legal["9220"] is True and legal["1000"] is False and legal["2900"] is False
    assert legal[None] is None
    funding = [d.checks["financement"]["value"] for d in dossiers]
    assert funding.count(False) == 2 and funding.count(True) > 15


def test_importing_again_duplicates_nothing_and_keeps_the_instruction(paca, ban, data_dir):
    imported(paca, ban, data_dir)
    with paca.begin() as connection:  # an instructor moved one dossier on
        connection.execute(update(Dossier).where(Dossier.number == 1234502)
                           .values(state="en-instruction"))

    again = imported(paca, ban, data_dir)

    assert again.stored.created == [] and again.stored.updated == {}
    assert len(again.stored.unchanged) == 24 and count(paca, Dossier) == 24
    assert count(paca, DossierEvent) == 24
    assert next(d for d in list_dossiers(paca) if d.number == 1234502).state == \
        "en-instruction"


def test_a_changed_row_is_updated_and_the_change_recorded(paca, ban, data_dir, tmp_path):
    imported(paca, ban, data_dir)
    changed = tmp_path / "vague.csv"
    changed.write_text(WAVE.read_text(encoding="utf-8").replace(
        "Espace Numérique Sud Charente,Fabrique", "Espace Numérique du Sud Charente,Fabrique"),
        encoding="utf-8")

    report = imported(paca, ban, data_dir, path=changed)

    assert report.stored.updated == {1234503: ["project_name", "source"]}
    events = dossier_events(paca, 1234503)
    assert [e.kind for e in events] == ["import", "mise-a-jour"]
    assert events[1].details["apres"]["project_name"] == "Espace Numérique du Sud Charente"


def test_a_ban_out_of_reach_loses_no_location(paca, ban, ban_server, data_dir):
    imported(paca, ban, data_dir)
    ban_server.fail_next(10, 503)

    report = imported(paca, ban, data_dir)

    note = next(n for n in report.notes if n.startswith("géocodage impossible"))
    # the six addresses were asked; the two placed before keep their place (it said 6)
    assert note.endswith(": 4 dossiers sans localisation, à importer de nouveau plus tard")
    placed = {d.number: (d.lon, d.lat) for d in list_dossiers(paca)}
    assert placed[1234512][0] is not None  # kept from the first import
    assert report.stored.updated == {}


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_spreadsheet_export_reads_as_its_csv(engine, ban, data_dir, tmp_path, suffix):
    frame = pd.read_csv(WAVE, dtype=str, keep_default_na=False)
    sheet = tmp_path / f"export{suffix}"
    with pd.ExcelWriter(str(sheet)) as writer:  # a Path ending in .ods made an .xlsx
        frame.head(3).to_excel(writer, sheet_name="Avis", index=False)  # another sheet first
        frame.to_excel(writer, sheet_name="Dossiers", index=False)

    report = imported(engine, ban, data_dir, path=sheet)

    assert len(report.stored.created) == 24
    assert {error.line for error in report.intake.errors} == set(BAD_LINES)


def test_a_file_without_its_required_columns_is_refused_whole(engine, ban, data_dir,
                                                                tmp_path):
    broken = tmp_path / "sans_id.csv"
    broken.write_text(WAVE.read_text(encoding="utf-8").replace("ID,Email", "Numéro,Email", 1),
                      encoding="utf-8")
    with pytest.raises(LoadError) as error:
        imported(engine, ban, data_dir, path=broken)
    assert error.value.field == "ID" and "sans_id.csv" in str(error.value)
    assert count(engine, Dossier) == 0


def test_a_field_of_a_page_long_is_that_rows_error(engine, ban, data_dir, tmp_path):
    """A project name of 50,000 characters was stored: its page grew 145,000 px tall."""
    long = tmp_path / "long.csv"
    text = WAVE.read_text(encoding="utf-8")
    assert ",Espace Numérique Sud Charente," in text
    long.write_text(text.replace(",Espace Numérique Sud Charente,", "," + "x" * 50_000 + ",",
                                 1), encoding="utf-8")
    report = imported(engine, ban, data_dir, path=long)
    problem = next(e for e in report.intake.errors if e.column == "Nom du projet")
    said = problem.message.replace("\u202f", " ").replace("\xa0", " ")
    assert "50 000 caractères : au plus 1 000" in said and problem.line == 4
    assert 1234503 not in {d.number for d in list_dossiers(engine)}
    assert len(report.stored.created) == 23


def test_a_wave_given_by_hand_must_be_in_the_calendar(engine, ban, data_dir):
    with pytest.raises(LoadError, match="vague inconnue du calendrier : « 11 »"):
        imported(engine, ban, data_dir, wave="11")
    report = imported(engine, ban, data_dir, wave="3")
    assert {d.wave for d in list_dossiers(engine)} == {"3"} and report.stored.created


def test_by_wave_one_import_takes_one_set_of_rules(engine, ban, data_dir, tmp_path):
    """Without rules named, the calendar's for the file's waves: the AMI 2019's for waves 1
    and 2; a file whose waves were instructed under different rules is refused whole (a
    dossier without a wave takes today's)."""
    report = imported(engine, ban, data_dir, policy_name=None)
    assert {d.policy for d in list_dossiers(engine)} == {"ami-2019"}
    assert any("AMI 2019" in note for note in report.notes)
    late = tmp_path / "tardif.csv"
    late.write_text(WAVE.read_text(encoding="utf-8").replace(
        "2019-10-24 11:05:12 +0200", "2020-03-02 11:05:12 +0100"), encoding="utf-8")
    with pytest.raises(LoadError, match="instruites selon des règles différentes") as error:
        imported(engine, ban, data_dir, path=late, policy_name=None)
    assert "pour les dossiers sans vague" in str(error.value)
    assert "pour les vagues 1, 2" in str(error.value)
    assert {d.policy for d in list_dossiers(engine)} == {"ami-2019"}  # nothing stored


def test_the_export_has_the_agreed_columns(paca, ban, data_dir):
    imported(paca, ban, data_dir)
    dossiers = list_dossiers(paca, "1")
    rows = list(csv.DictReader(io.StringIO(export_csv(dossiers))))
    assert list(rows[0]) == list(COLUMNS) and len(rows) == 4
    assert {row["type_fabrique"] for row in rows} == {"FNT"}
    assert all(row["forme_juridique_eligible"] in {"true", "false", ""} for row in rows)
    french = export_csv(dossiers, tableur=True)
    assert french.startswith("\ufeffNuméro;Vague;État") and ";oui;" in french
    # the codes as the pages say them (a prefecture read « avis-demande », « FT », « qpv »)
    table = list(csv.DictReader(io.StringIO(french.lstrip("\ufeff")), delimiter=";"))
    assert {row["État"] for row in table} == {"Déposé"}
    assert {row["Type de Fabrique"] for row in table} == {"Fabrique Numérique de Territoire"}
    assert {row["Catégorie"] for row in table} <= {"à vérifier", "QPV ou proximité",
                                                   "hors grands centres urbains",
                                                   "non éligible"}
    headers = list(table[0])  # the jury's columns come after (appended)
    assert headers[headers.index("Département"):][:3] == [
        "Département", "Avis de la préfecture", "Texte de l'avis"]
    # the project and the amount of each year (a jury checks « at most 50,000 € a year »)
    stored = {d.number: d for d in dossiers}
    for plain_row, french_row in zip(rows, table, strict=True):
        dossier = stored[int(plain_row["numero"])]
        assert plain_row["nom_projet"] == french_row["Nom du projet"] == dossier.project_name
        years = [dossier.amount_1, dossier.amount_2, dossier.amount_3]
        assert [plain_row[f"montant_annee_{k}_eur"] for k in (1, 2, 3)] == [
            "" if a is None else str(a) for a in years]
        assert [french_row[f"Montant {k} année (€)"] for k in ("1re", "2e", "3e")] == [
            "" if a is None else str(a) for a in years]  # a number the sheet can sum


def test_the_export_says_the_prefectures_avis(paca, ban, data_dir):
    imported(paca, ban, data_dir)
    number = next(d.number for d in list_dossiers(paca, "2"))
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(paca, [number], target, "instructrice@exemple.gouv.fr")
    give_avis(paca, number, "reserve", "Bail à consolider", "pref@exemple.gouv.fr")
    dossier = next(d for d in list_dossiers(paca, "2") if d.number == number)
    plain = next(csv.DictReader(io.StringIO(export_csv([dossier]))))
    assert (plain["etat"], plain["avis"], plain["avis_texte"]) == (
        "avis-rendu", "reserve", "Bail à consolider")
    french = next(csv.DictReader(io.StringIO(export_csv([dossier], tableur=True)
                                             .lstrip("\ufeff")), delimiter=";"))
    assert (french["État"], french["Avis de la préfecture"]) == (
        "Avis de la préfecture rendu", "Réservé")


def test_checking_again_after_a_load_records_what_changed(qpv_facts, ban, data_dir):
    """Imported before the PACA outlines: the Marseille dossiers are "à vérifier"; checked
    again once the outlines are loaded, those in a QPV say so, with an event each."""
    imported(qpv_facts, ban, data_dir)
    with qpv_facts.begin() as connection:  # an instructor moved one on meanwhile
        connection.execute(update(Dossier).where(Dossier.number == 1234505)
                           .values(state="en-instruction"))
    before = {d.number: d.category for d in list_dossiers(qpv_facts)}
    load(qpv_facts, "qpv2024-paca", data_dir)

    stored, _, _ = reverify_dossiers(qpv_facts, ban, data_dir=data_dir, actor="test")

    after = {d.number: d for d in list_dossiers(qpv_facts)}
    changed = {n for n in after if after[n].category != before[n]}
    assert changed and changed <= set(stored.updated)
    assert {after[n].commune_code for n in changed} == {"13055"}
    assert {after[n].category for n in changed} == {"qpv"}
    for number in changed:
        event = dossier_events(qpv_facts, number)[-1]
        assert event.kind == "verification" and "category" in event.details["champs"]
        assert event.details["avant"]["category"] == before[number]
    assert after[1234505].state == "en-instruction"
    again, _, _ = reverify_dossiers(qpv_facts, ban, data_dir=data_dir, actor="test")
    assert again.updated == {} and len(again.unchanged) == 24


def test_the_nearest_fabrique_is_measured_in_metres(paca, ban, data_dir):
    """With the laureates loaded: each located dossier's nearest Fabrique, against a
    brute-force Lambert-93 computation over every laureate."""
    load(paca, "laureates", data_dir)
    imported(paca, ban, data_dir)
    with paca.connect() as connection:
        laureates = connection.execute(select(Laureate.id, Laureate.geom)
                                       .where(Laureate.territory == "metropole")).all()
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    x, y = to_l93.transform([shapely.get_x(r.geom) for r in laureates],
                            [shapely.get_y(r.geom) for r in laureates])
    points = shapely.points(x, y)
    checked = 0
    for dossier in list_dossiers(paca):
        near = dossier.checks["non_pourvu"]
        if dossier.lon is None:
            assert "non localisé" in near["reason"]
            continue
        here = shapely.Point(*to_l93.transform(dossier.lon, dossier.lat))
        distances = shapely.distance(here, points)
        assert near["fabrique"]["distance_m"] == round(float(distances.min()))
        assert near["fabrique"]["id"] in {laureates[i].id for i in
                                          np.flatnonzero(distances <= distances.min() + 1)}
        assert near["tiers_lieu"] is None  # no list of tiers-lieux loaded
        assert near["reason"].startswith("Fabrique la plus proche connue : ")
        assert "; Tiers-lieu le plus proche connu : aucun dans le territoire" in near["reason"]
        checked += 1
    assert checked >= 18


def test_a_rows_error_says_its_spreadsheet_row_and_dossier(tmp_path):
    """An address on three lines in the second record put the later rows' errors two text
    lines down: « ligne 13 » named another dossier in a spreadsheet. Synthetic: the real
    fixture with the second record's address on three lines."""
    lines = WAVE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    column = header.index("Adresse du lieu")
    cells = next(csv.reader([lines[2]]))
    cells[column] = "8 RUE GEORGES EPSTEIN\nBÂTIMENT B\n67100 STRASBOURG"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    multiline = tmp_path / "vague.csv"
    multiline.write_text("\n".join([*lines[:2], buffer.getvalue().rstrip("\n"), *lines[3:]])
                         + "\n", encoding="utf-8")

    intake = read_dossiers(multiline, load_mapping("ami-2019"), load_calendar())

    error = next(e for e in intake.errors if e.column == "Montant demandé 2e année")
    assert (error.line, error.text_line, error.dossier) == (26, 28, 1234525)
    assert str(error).startswith("ligne 26 (ligne 28 du fichier texte), dossier 1234525, "
                                 "colonne « Montant demandé 2e année » :")
    assert {e.line: e.column for e in intake.errors} == BAD_LINES  # the rows a sheet shows


def test_an_export_saved_by_excel_in_windows_1252_is_read(tmp_path):
    """A DS export opened and saved as CSV by Excel in France is in Windows-1252: refused
    (« CSV UTF-8 attendu ») while the checker's batch read the same file. Synthetic: the real
    fixture encoded in Windows-1252."""
    saved = tmp_path / "vague.csv"
    saved.write_bytes(WAVE.read_text(encoding="utf-8").encode("cp1252"))

    intake = read_dossiers(saved, load_mapping("ami-2019"), load_calendar())
    expected = read_dossiers(WAVE, load_mapping("ami-2019"), load_calendar())

    assert intake.dossiers == expected.dossiers  # accents and all
    assert any("é" in (d.project_name or "") for d in intake.dossiers)
    assert any("fichier lu en Windows-1252" in note for note in intake.notes)
    assert not any("Windows-1252" in note for note in expected.notes)
