"""Laureates loader on both backends, from the real ANCT list and from broken copies of it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from geodata.storage.database import make_engine, upgrade
from geodata.storage.models import DatasetVersion, Laureate
from loaders.laureates import stage_laureates
from loaders.pipeline import load_source
from loaders.registry import get_source
from tests.loaders.common import edited_lines, refused, version_count
from tests.old_schema import insert_version

pytestmark = pytest.mark.shared_data

LIST = "laureates/fabriques_territoire_anct_202401_list.csv"


def laureate_rows(engine):
    with engine.connect() as connection:
        return {row.id: row for row in connection.execute(select(Laureate.__table__))}


def test_every_laureate_is_loaded_at_its_commune(engine, data_dir):
    report = load_source(engine, "laureates", data_dir=data_dir, progress=False)

    rows = laureate_rows(engine)
    assert report.status == "chargé"
    assert report.loaded == {"laureates": 382}
    assert report.skipped == []
    assert len(rows) == 382
    vichy = rows["fabt-01"]
    assert (vichy.name, vichy.commune_code, vichy.commune_name) == (
        "Fabrique Numérique VICHYCO", "03310", "Vichy")
    assert vichy.territory == "metropole"
    assert vichy.geom.x == pytest.approx(3.42, abs=0.01)
    assert vichy.geom.y == pytest.approx(46.13, abs=0.01)
    # the list publishes neither wave nor type, and its points are commune centroids
    assert {(row.wave, row.kind, row.precision) for row in rows.values()} == {
        (None, None, "commune")}
    territories = {row.territory for row in rows.values()}
    assert {"metropole", "reunion", "guyane", "martinique", "mayotte", "guadeloupe",
            "saint-martin"} == territories


def test_saint_martin_laureate_is_kept_without_a_point(engine, data_dir):
    load_source(engine, "laureates", data_dir=data_dir, progress=False)

    anis = laureate_rows(engine)["fabt-364"]
    assert anis.geom is None
    assert anis.commune_code == "97801"
    assert anis.territory == "saint-martin"
    assert anis.commune_name is None  # "NA" in the file
    assert sum(row.geom is None for row in laureate_rows(engine).values()) == 1


def test_the_unlocated_laureate_is_noted(data_dir):
    source = get_source("laureates")
    _, outcome = stage_laureates(source, data_dir / LIST, source.vintage)

    assert outcome.skipped == []
    (unlocated,) = [note for note in outcome.notes if "sans coordonnées" in note]
    assert "fabt-364" in unlocated and "97801" in unlocated


def test_second_load_changes_nothing(engine, data_dir):
    first = load_source(engine, "laureates", data_dir=data_dir, progress=False)

    second = load_source(engine, "laureates", data_dir=data_dir, progress=False)

    assert second.status == "inchangé"
    assert second.version_id == first.version_id
    assert version_count(engine) == 1
    assert len(laureate_rows(engine)) == 382


def test_version_records_source_and_completeness(engine, data_dir):
    load_source(engine, "laureates", data_dir=data_dir, progress=False)
    with engine.connect() as connection:
        version = connection.execute(select(DatasetVersion.__table__)).one()
    assert version.dataset == "laureates"
    assert version.vintage == "2024-01"
    assert version.complete_for == {"scope": "country", "codes": []}
    assert version.checksum.startswith("sha256:a1d8be68")
    assert "Licence Ouverte" in version.licence


# --- bad inputs: a clear error naming where, and the previous data intact -----------------

@pytest.fixture
def loaded(engine, data_dir):
    """The real list loaded once: the 'previous data' every bad load must leave alone."""
    load_source(engine, "laureates", data_dir=data_dir, progress=False)
    return {key: (row.name, row.geom.wkb if row.geom else None)
            for key, row in laureate_rows(engine).items()}


def assert_intact(engine, loaded):
    assert {key: (row.name, row.geom.wkb if row.geom else None)
            for key, row in laureate_rows(engine).items()} == loaded
    assert version_count(engine) == 1


def test_missing_coordinate_column(engine, loaded, data_dir, tmp_path):
    path = edited_lines(data_dir / LIST, tmp_path / "sans_lat.csv",
                        lambda lines: [line.rsplit(",", 1)[0] for line in lines])

    error = refused(engine, "laureates", path)

    assert "sans_lat.csv" in str(error)
    assert "colonne obligatoire absente : com_lat" in str(error)
    assert error.field == "com_lat"
    assert_intact(engine, loaded)


def _coordinate_in_degrees_and_minutes(lines):
    assert lines[9].startswith("fabt-09,")
    lines[9] = lines[9].rsplit(",", 2)[0] + ",4°50'E,45.76"
    return lines


def _duplicated_id(lines):
    lines[20] = "fabt-05," + lines[20].split(",", 1)[1]
    return lines


def _empty_commune_code(lines):
    fields = lines[1].split(",")
    fields[2] = ""
    lines[1] = ",".join(fields)
    return lines


@pytest.mark.parametrize(("edit", "said", "row", "field"), [
    pytest.param(_coordinate_in_degrees_and_minutes, ["ligne 10", "non numérique"], 10,
                 "com_lon", id="non-numeric-coordinate"),
    pytest.param(_duplicated_id, ["'fabt-05'", "lignes/entités 6, 21"], None, "id_fabt",
                 id="duplicated-id"),
    pytest.param(_empty_commune_code, ["valeur obligatoire manquante"], 2, "insee_com",
                 id="empty-commune-code"),
])
def test_broken_row_is_refused(engine, loaded, data_dir, tmp_path, edit, said, row, field):
    path = edited_lines(data_dir / LIST, tmp_path / "casse.csv", edit)

    error = refused(engine, "laureates", path)

    assert "casse.csv" in str(error) and all(part in str(error) for part in said)
    assert (error.row, error.field) == (row, field)
    assert_intact(engine, loaded)


def test_point_outside_its_communes_territory(engine, loaded, data_dir, tmp_path):
    """A Réunion laureate with a metropolitan point: the list contradicts itself."""
    def edit(lines):
        index = next(i for i, line in enumerate(lines) if ",974" in line)
        lines[index] = lines[index].rsplit(",", 2)[0] + ",2.35,48.85"
        edit.line = index + 1
        return lines

    error = refused(engine, "laureates", edited_lines(data_dir / LIST,
                                                      tmp_path / "territoire.csv", edit))

    assert error.row == edit.line
    assert "La Réunion" in str(error)
    assert_intact(engine, loaded)


def test_a_list_without_its_first_laureates_is_refused(engine, loaded, data_dir, tmp_path):
    """fabt-01 to fabt-40 removed: 342 records, more than the 340 expected, loaded
    « complet, prouvé », and the quotas counted 342 Fabriques. Synthetic: rows removed."""
    path = edited_lines(data_dir / LIST, tmp_path / "coupee.csv",
                        lambda lines: lines[:1] + lines[41:])

    error = refused(engine, "laureates", path)

    assert "40 numéros de lauréat manquent entre fabt-01 et fabt-382 (l'ANCT numérote ses " \
        "Fabriques sans trou : liste coupée ?) : fabt-01, fabt-02, fabt-03" in str(error)
    assert_intact(engine, loaded)
    with engine.connect() as connection:
        verified = connection.execute(select(DatasetVersion.counts)).scalar_one()["checks"]
    assert "les numéros de fabt-01 à fabt-382 se suivent, sans trou" in verified["verified"]


def test_a_list_without_its_last_laureates_is_refused_against_the_reference(
        engine, loaded, data_dir, tmp_path):
    """fabt-343 to fabt-382 removed: no gap in the numbers, 342 records, « complet »."""
    path = edited_lines(data_dir / LIST, tmp_path / "fin.csv", lambda lines: lines[:343])

    error = refused(engine, "laureates", path)

    assert "40 Fabriques lauréates du fichier de référence du registre absentes du " \
        "fichier : fabt-343, fabt-344" in str(error)
    assert_intact(engine, loaded)


def test_an_email_in_a_name_is_not_stored(engine, data_dir):
    """fabt-109's name holds an e-mail (a note of whoever typed the list): every page and
    the open data removed it when read, but the table and the PostGIS views kept it."""
    report = load_source(engine, "laureates", data_dir=data_dir, progress=False)
    name = laureate_rows(engine)["fabt-109"].name
    assert name == "SCENE NATIONALE 61 bdd h.s = modifier mail [adresse électronique retirée]"
    assert "1 nom contenant une adresse électronique ou un numéro de téléphone, " \
        "retiré au chargement : fabt-109" in report.notes
    assert laureate_rows(engine)["fabt-370"].name == "Le Touche@tout, tiers lieu rural"


def test_the_names_stored_before_are_cleaned_by_the_migration(unmigrated_url):
    """A database whose laureates were stored before 0017 (a load of the same file is then
    « inchangé »): migration 0017 cleans the rows. Synthetic rows written at 0016 as that
    schema was (today's loaders write columns of later migrations): a real name given back
    its e-mail and number."""
    engine = make_engine(unmigrated_url)
    upgrade(engine, "0016")
    laureates = sa.table("laureates", *(sa.column(name) for name in (
        "id", "name", "commune_code", "precision", "dataset_version_id")))
    with engine.begin() as connection:
        insert_version(connection, id=1, source="laureates", dataset="laureates",
                       vintage="2024-01")
        connection.execute(laureates.insert().values(
            id="fabt-109", commune_code="61001", precision="point", dataset_version_id=1,
            name="SCENE NATIONALE 61 mail x.y@scenenationale61.fr, tél. 02 33 29 16 96"))
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(laureates.c.name)) == (
            "SCENE NATIONALE 61 mail [adresse électronique retirée], tél. "
            "[numéro de téléphone retiré]")
    engine.dispose()


def test_html_entities_in_names_are_read_as_their_characters(engine, data_dir):
    """Three names of the 2024 list hold « &amp; » (« Vert&amp;Co »): every page, file and
    layer showed it as typed."""
    report = load_source(engine, "laureates", data_dir=data_dir, progress=False)
    names = {key: row.name for key, row in laureate_rows(engine).items()}
    assert "Vert&Co" in names["fabt-291"]
    assert not any("&amp;" in name for name in names.values())
    assert "3 noms contenant des entités HTML (« &amp; »), lues comme le caractère " \
        "qu'elles codent : fabt-194, fabt-210, fabt-291" in report.notes
