"""Places loaders on both backends, from the real shared lists and from broken copies of them."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from geodata.storage.models import DatasetVersion, Place
from loaders.pipeline import load_source
from loaders.places import precision_of_label, stage_places
from loaders.registry import get_source
from tests.loaders.common import edited_lines, refused, version_count, write_json

pytestmark = pytest.mark.shared_data

FRANCE_SERVICES = "places/france_services_20240801.csv"
CONSEILLERS = "places/conseillers_numeriques_structures_2021.json"
MANUFACTURES = "tierslieux/manufactures_proximite_anct_202201_list.csv"

EXPECTED = {  # source: (kind, places loaded, rows skipped)
    "tierslieux-cget-2019": ("tiers-lieu-cget-2019", 1512, 0),
    "manufactures-proximite": ("manufacture-proximite", 111, 0),
    "france-tiers-lieux-extrait": ("tiers-lieu-france-tiers-lieux", 77, 0),
    "france-services": ("france-services", 2845, 0),
    "conseillers-numeriques": ("conseiller-numerique", 1422, 28),
}


def place_rows(engine, kind=None):
    query = select(Place.__table__)
    if kind:
        query = query.where(Place.kind == kind)
    with engine.connect() as connection:
        return {(row.kind, row.external_id): row for row in connection.execute(query)}


def stage(name, data_dir):
    source = get_source(name)
    return stage_places(source, source.local_path(data_dir), source.vintage)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_list_loads_its_places(engine, data_dir, name):
    kind, count, skipped = EXPECTED[name]

    report = load_source(engine, name, data_dir=data_dir, progress=False)

    assert report.status == "chargé"
    assert report.loaded == {"places": count}
    assert len(report.skipped) == skipped
    rows = place_rows(engine)
    assert len(rows) == count
    assert {row.kind for row in rows.values()} == {kind}
    assert all(row.geom.geom_type == "Point" and row.territory for row in rows.values())


def test_all_lists_side_by_side(engine, data_dir):
    for name in EXPECTED:
        load_source(engine, name, data_dir=data_dir, progress=False)

    with engine.connect() as connection:
        per_kind = dict(connection.execute(
            select(Place.kind, func.count()).group_by(Place.kind)).all())
    assert per_kind == {kind: count for kind, count, _ in EXPECTED.values()}
    assert version_count(engine) == len(EXPECTED)


def test_cget_list(engine, data_dir):
    load_source(engine, "tierslieux-cget-2019", data_dir=data_dir, progress=False)
    rows = place_rows(engine)

    ade = rows["tiers-lieu-cget-2019", "1"]
    assert ade.name == "ADE Coworking"
    assert ade.address == "9 Rue du Petit Châtelier, 44300 Nantes"
    assert (ade.commune_code, ade.commune_name) == ("44109", "Nantes")
    assert ade.precision == "address"  # BAN label with a house number
    assert ade.attributes == {
        "typo": "Tiers lieux à dominante coworking", "web": "www.ade-coworking.net",
        "precision": "0.94", "geocod": "9 Rue du Petit Châtelier 44300 Nantes",
        "metro": "1", "nommetro": "Nantes Métropole"}
    assert ade.geom.x == pytest.approx(-1.5056, abs=1e-4)
    # INSEECOM "0" means no code: stored as None, not refused
    assert sum(row.commune_code is None for row in rows.values()) == 157
    assert rows["tiers-lieu-cget-2019", "26"].commune_name == "Moulins"
    # the integer codes of the other geocoder, and the 46 late additions with no score
    assert rows["tiers-lieu-cget-2019", "1038"].precision == "address"  # code 9
    assert Counter(row.precision for row in rows.values()) == {
        "address": 1201, "street": 211, "unknown": 65, "commune": 35}
    assert Counter(row.territory for row in rows.values()) == {
        "metropole": 1506, "reunion": 3, "guadeloupe": 1, "guyane": 1, "martinique": 1}


def test_precision_from_geocoder_labels():
    assert precision_of_label("9 Rue du Petit Châtelier 44300 Nantes") == "address"
    assert precision_of_label("10 BIS Rue Jangot 69007 Lyon") == "address"
    assert precision_of_label("Rue Charles Delesalle 59000 Lille") == "street"
    assert precision_of_label("Faureix 23260 Flayat") == "street"  # a lieu-dit
    assert precision_of_label("Lille") == "commune"
    assert precision_of_label("75001 Paris") == "commune"


def test_manufactures_keep_their_wave_and_the_known_anct_error(engine, data_dir):
    load_source(engine, "manufactures-proximite", data_dir=data_dir, progress=False)
    rows = place_rows(engine)

    assert Counter(row.attributes["vague"] for row in rows.values()) == {"1": 50, "2": 61}
    assert {row.precision for row in rows.values()} == {"commune"}
    marie_galante = rows["manufacture-proximite", "manuprox-2-103"]
    assert (marie_galante.commune_code, marie_galante.territory) == ("97414", "reunion")
    _, outcome = stage("manufactures-proximite", data_dir)
    assert len(outcome.notes) == 1 and "manuprox-2-103" in outcome.notes[0]


def test_france_tiers_lieux_extract_keeps_the_cognac_point_as_given(engine, data_dir):
    load_source(engine, "france-tiers-lieux-extrait", data_dir=data_dir, progress=False)
    rows = place_rows(engine)

    cocowork = rows["tiers-lieu-france-tiers-lieux", "6018f95a69086482678b4757"]
    assert cocowork.name == "CoCowork"
    assert cocowork.geom.x == pytest.approx(0.3331)
    assert cocowork.address == "34 rue Gabriel Jaulin, 16100 COGNAC"
    assert cocowork.attributes["typologie"] == "TIERS_LIEUX"
    assert all(row.commune_code is None for row in rows.values())  # code_insee is empty
    _, outcome = stage("france-tiers-lieux-extrait", data_dir)
    assert len(outcome.notes) == 1 and "CoCowork" in outcome.notes[0]


def test_france_services(engine, data_dir):
    report = load_source(engine, "france-services", data_dir=data_dir, progress=False)
    rows = place_rows(engine)

    # a multi-line address on one line, with the postcode and commune
    assert rows["france-services", "2632"].address == (
        "27 Avenue Robert Schuman, 59370 Mons-en-Barœul")
    valserhone = rows["france-services", "1"]
    assert valserhone.name == "France services de Valserhône"
    assert valserhone.attributes == {"type_fs": "Principal", "format_fs": "Fixe"}
    # the structures' contact mail and phone are not kept
    assert not any({"mail", "telephone"} & set(row.attributes) for row in rows.values())
    assert Counter(row.attributes["type_fs"] for row in rows.values()) == {
        "Principal": 2721, "Antenne": 124}
    assert {row.territory for row in rows.values()} >= {
        "metropole", "guadeloupe", "martinique", "guyane", "reunion", "mayotte",
        "saint-martin"}
    with engine.connect() as connection:
        version = connection.execute(select(DatasetVersion.__table__)).one()
    assert version.complete_for == {"scope": "country", "codes": []}
    assert version.id == report.version_id


def test_conseillers_numeriques_skips_rows_that_cannot_be_placed(engine, data_dir):
    report = load_source(engine, "conseillers-numeriques", data_dir=data_dir, progress=False)
    rows = place_rows(engine)

    reasons = Counter(reason for _, reason in report.skipped)
    assert reasons == {
        "pas de coordonnées": 12,
        "adresse absente dans la source : son point, géocodé sans adresse, est factice": 7,
        "point géocodé dans une autre commune que la sienne": 7,
        "point hors du territoire de sa commune": 2,
    }
    skipped = dict(report.skipped)
    assert skipped["enregistrement 31 (id 31)"] == "pas de coordonnées"  # CA Vichy Communauté
    assert "factice" in skipped["enregistrement 7 (id 7)"]
    # a structure of Saint-Georges (Guyane, 97308) geocoded to a town hall in the Ain
    assert skipped["enregistrement 1291 (id 1291)"] == "point hors du territoire de sa commune"
    # "1 PL DE LA MAIRIE 56130 CAMOEL" geocoded to the town hall of Férel next door
    assert skipped["enregistrement 335 (id 335)"] == (
        "point géocodé dans une autre commune que la sienne")
    # no place is left at the dummy point the geocoder gave to the rows with no address
    assert not any(row.geom.x == pytest.approx(4.691) and row.geom.y == pytest.approx(44.9687)
                   for row in rows.values())
    first = rows["conseiller-numerique", "1"]
    assert first.name == "HAUT - BUGEY AGGLOMERATION"
    assert first.address == "57 RUE RENE NICOD, 01100 OYONNAX"
    assert first.precision == "address"
    assert first.attributes == {
        "nb_cnfs": 5, "type": "publique", "zrr": "non", "qpv": "oui", "result_score": 0.97,
        "geocodage_manuel": "non", "siret": "20004293500011"}
    # the SIRET is not a key: Département du Rhône has three records, all loaded
    rhone = [row for row in rows.values() if row.attributes.get("siret") == "22690001700014"]
    assert len(rhone) == 3
    _, outcome = stage("conseillers-numeriques", data_dir)
    assert len(outcome.notes) == 1 and "15 SIRET" in outcome.notes[0]


@pytest.mark.parametrize("name", ["france-services", "conseillers-numeriques"])
def test_second_load_changes_nothing(engine, data_dir, name):
    first = load_source(engine, name, data_dir=data_dir, progress=False)
    before = {key: row.id for key, row in place_rows(engine).items()}

    second = load_source(engine, name, data_dir=data_dir, progress=False)

    assert second.status == "inchangé"
    assert second.version_id == first.version_id
    assert version_count(engine) == 1
    assert {key: row.id for key, row in place_rows(engine).items()} == before


# --- bad inputs: a clear error naming where, and the previous data intact -----------------

def snapshot(engine):
    return {key: (row.name, row.geom.wkb) for key, row in place_rows(engine).items()}


@pytest.fixture
def loaded(engine, data_dir):
    """France services and the conseillers numériques loaded: what bad loads must not touch."""
    load_source(engine, "france-services", data_dir=data_dir, progress=False)
    load_source(engine, "conseillers-numeriques", data_dir=data_dir, progress=False)
    load_source(engine, "manufactures-proximite", data_dir=data_dir, progress=False)
    return snapshot(engine)


def assert_intact(engine, loaded):
    assert snapshot(engine) == loaded
    assert version_count(engine) == 3


def test_truncated_json(engine, loaded, data_dir, tmp_path):
    path = tmp_path / "tronque.json"
    path.write_bytes((data_dir / CONSEILLERS).read_bytes()[:300_000])

    error = refused(engine, "conseillers-numeriques", path)

    assert "tronque.json" in str(error)
    assert "JSON invalide ou tronqué" in str(error)
    assert_intact(engine, loaded)


def test_json_field_missing_from_every_record(engine, loaded, data_dir, tmp_path):
    records = json.loads((data_dir / CONSEILLERS).read_text(encoding="utf-8"))
    for record in records:
        record.pop("raison_sociale")

    error = refused(engine, "conseillers-numeriques", write_json(tmp_path / "sans_nom.json",
                                                                 records))

    assert "sans_nom.json" in str(error) and error.field == "raison_sociale"
    assert_intact(engine, loaded)


def test_non_numeric_json_coordinate_names_its_record(engine, loaded, data_dir, tmp_path):
    records = json.loads((data_dir / CONSEILLERS).read_text(encoding="utf-8"))
    records[41]["latitude"] = "45°N"

    error = refused(engine, "conseillers-numeriques", write_json(tmp_path / "coord.json",
                                                                 records))

    assert "coord.json" in str(error) and "enregistrement 42" in str(error)
    assert error.field == "latitude"
    assert_intact(engine, loaded)


def test_csv_missing_a_required_column(engine, loaded, data_dir, tmp_path):
    text = (data_dir / FRANCE_SERVICES).read_text(encoding="utf-8")
    path = tmp_path / "sans_longitude.csv"
    path.write_text(text.replace('"longitude"', '"lng"', 1), encoding="utf-8")

    error = refused(engine, "france-services", path)

    assert "sans_longitude.csv" in str(error) and error.field == "longitude"
    assert_intact(engine, loaded)


def test_non_numeric_coordinate_names_its_real_line(engine, loaded, data_dir, tmp_path):
    """Multi-line fields come before that record: its line is not its record number + 1."""
    text = (data_dir / FRANCE_SERVICES).read_text(encoding="utf-8")
    assert text.count('"Pignans",43.301475,6.227297,') == 1
    broken = text.replace('"Pignans",43.301475,6.227297,', '"Pignans",43.301475,6.2x,')
    path = tmp_path / "coordonnee.csv"
    path.write_text(broken, encoding="utf-8")
    line = next(i for i, row in enumerate(broken.splitlines(), 1) if row.startswith('"2669",'))

    error = refused(engine, "france-services", path)

    record = next(i for i, row in enumerate(csv.reader(io.StringIO(broken))) if row[0] == "2669")
    assert line > record + 1  # counting records would give the wrong line
    message = str(error)
    assert "coordonnee.csv" in message and f"ligne {line}" in message
    assert "non numérique" in message
    assert (error.row, error.field) == (line, "longitude")
    assert_intact(engine, loaded)


def _in_tahiti(lines):
    lines[3] = lines[3].rsplit(",", 2)[0] + ",-149.57,-17.53"  # Tahiti: not covered
    return lines


def _duplicated_id(lines):
    lines[30] = "manuprox-1-2," + lines[30].split(",", 1)[1]
    return lines


def _commune_code_without_its_zero(lines):
    fields = lines[5].split(",")
    fields[3] = "4285"  # a code that lost its leading zero
    lines[5] = ",".join(fields)
    return lines


@pytest.mark.parametrize(("edit", "said", "row", "field"), [
    pytest.param(_in_tahiti, ["aucun territoire"], 4, "com_lon", id="outside-every-territory"),
    pytest.param(_duplicated_id, ["'manuprox-1-2'", "lignes/entités 3, 31"], None,
                 "id_manuprox", id="duplicated-external-id"),
    pytest.param(_commune_code_without_its_zero, ["'4285'"], 6, "insee_com",
                 id="malformed-commune-code"),
])
def test_broken_manufactures_row_is_refused(engine, loaded, data_dir, tmp_path, edit, said,
                                            row, field):
    path = edited_lines(data_dir / MANUFACTURES, tmp_path / "casse.csv", edit)

    error = refused(engine, "manufactures-proximite", path)

    assert "casse.csv" in str(error) and all(part in str(error) for part in said)
    assert (error.row, error.field) == (row, field)
    assert_intact(engine, loaded)
