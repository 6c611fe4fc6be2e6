"""The network file loader on both backends.

No real network file is published in the shared data (``SOURCES.md``, "Not found"), so the
network files here are small synthetic ones written to tmp_path; the places and Fabriques
they name are the real ones, loaded from the shared lists.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from geodata.storage.models import DatasetVersion, Laureate, Network, NetworkMember
from geodata.storage.networks import declared_networks, network_for
from loaders.errors import LoadError
from loaders.networks import (
    SELF_MEMBER,
    UNKNOWN_FABRIQUE,
    UNKNOWN_KIND,
    UNKNOWN_PLACE,
    load_networks,
    stage_networks,
)
from loaders.pipeline import LoadReport, load_source

pytestmark = pytest.mark.shared_data

DOC = Path(__file__).resolve().parents[2] / "docs" / "format-reseaux.md"
HEADER = ["reseau", "type_reseau", "fabrique", "type_lieu", "id_lieu", "role"]
ROWS = [
    ["Réseau du Hublot", "fabrique", "fabt-02", "manufacture-proximite", "manuprox-1-1", "membre"],
    ["Réseau du Hublot", "fabrique", "fabt-02", "tiers-lieu-france-tiers-lieux",
     "6018f94d69086482678b468d", "partenaire"],
    ["Réseau du Hublot", "fabrique", "fabt-02", "fabrique", "fabt-01", ""],
    ["Tiers-lieux du Sud", "regional", "", "tiers-lieu-france-tiers-lieux",
     "645bacd4fce1277c0c14ad3a", ""],
    ["Tiers-lieux du Sud", "regional", "", "manufacture-proximite", "manuprox-2-51", "membre"],
]


@pytest.fixture
def loaded(engine, data_dir):
    """The real laureates, Manufactures and France Tiers-Lieux extract, on each backend."""
    for name in ("laureates", "manufactures-proximite", "france-tiers-lieux-extrait"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    return engine


def write_csv(path: Path, rows, header=HEADER, delimiter=",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_geojson(path: Path, rows, header=HEADER) -> Path:
    features = [{"type": "Feature", "geometry": None,
                 "properties": {k: v for k, v in zip(header, row, strict=True) if v != ""}}
                for row in rows]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def stored(engine) -> dict:
    with engine.connect() as connection:
        networks = connection.execute(select(Network.id, Network.name, Network.kind,
                                             Network.laureate_id)).all()
        members = connection.execute(select(NetworkMember)).all()
    return {n.name: (n.kind, n.laureate_id, sorted(
        (m.place_kind, m.place_external_id, m.role) for m in members if m.network_id == n.id))
        for n in networks}


EXPECTED = {
    "Réseau du Hublot": ("fabrique", "fabt-02", [
        ("fabrique", "fabt-01", None), ("fabrique", "fabt-02", "ressource"),
        ("manufacture-proximite", "manuprox-1-1", "membre"),
        ("tiers-lieu-france-tiers-lieux", "6018f94d69086482678b468d", "partenaire")]),
    "Tiers-lieux du Sud": ("regional", None, [
        ("manufacture-proximite", "manuprox-2-51", "membre"),
        ("tiers-lieu-france-tiers-lieux", "645bacd4fce1277c0c14ad3a", None)]),
}


@pytest.mark.parametrize("writer", [write_csv, write_geojson])
def test_a_file_loads_its_networks(loaded, tmp_path, writer):
    path = writer(tmp_path / ("reseaux.csv" if writer is write_csv else "reseaux.geojson"), ROWS)

    report = load_networks(loaded, path, source="essai", vintage="2024-06")

    assert report.status == "chargé" and report.skipped == []
    assert report.loaded == {"networks": 2, "network_members": 6}
    assert stored(loaded) == EXPECTED
    assert "essai (2024-06) : chargé — 2 networks, 6 network_members" in report.summary()
    with loaded.connect() as connection:
        version = connection.execute(select(DatasetVersion).where(
            DatasetVersion.source == "essai")).one()
    assert version.dataset == "networks" and version.current
    assert version.counts["loaded"] == report.loaded
    declared = {n.name: n for n in declared_networks(loaded)}
    assert declared["Réseau du Hublot"].laureate_id == "fabt-02"
    view = network_for(loaded, "fabt-02", "declared")
    assert {m.external_id for m in view.members} == {"fabt-01", "manuprox-1-1",
                                                     "6018f94d69086482678b468d"}
    assert all(m.distance_m is not None for m in view.members)


def test_unknown_fabrique_place_or_kind_are_skipped_with_reasons(loaded, tmp_path):
    rows = ROWS + [
        ["Réseau fantôme", "fabrique", "fabt-999", "manufacture-proximite", "manuprox-1-2", ""],
        ["Tiers-lieux du Sud", "regional", "", "manufacture-proximite", "manuprox-9-999", ""],
        ["Tiers-lieux du Sud", "regional", "", "france-services", "1458", ""],
        ["Réseau vide", "regional", "", "manufacture-proximite", "manuprox-0-0", ""],
        ["Réseau du Hublot", "fabrique", "fabt-02", "fabrique", "fabt-02", ""],
    ]
    report = load_networks(loaded, write_csv(tmp_path / "r.csv", rows), source="essai")

    reasons = {where.split(" (")[0]: reason for where, reason in report.skipped}
    assert reasons == {"ligne 7": UNKNOWN_FABRIQUE, "ligne 8": UNKNOWN_PLACE,
                       "ligne 9": UNKNOWN_KIND, "ligne 10": UNKNOWN_PLACE,
                       "ligne 11": SELF_MEMBER}
    assert any("Réseau vide" in note for note in report.notes)
    assert stored(loaded) == EXPECTED  # everything else loaded as given
    assert "ignorées : 2 × lieu inconnu" in report.summary()


BROKEN = [
    ("missing column", lambda rows: (rows, HEADER[:3] + HEADER[4:]), "type_lieu",
     "colonne obligatoire absente"),
    ("empty value", lambda rows: ([rows[0][:4] + [""] + rows[0][5:]], HEADER), "id_lieu",
     "valeur obligatoire manquante"),
    ("network kind", lambda rows: ([["R", "national", "", "fabrique", "fabt-01", ""]], HEADER),
     "type_reseau", "type de réseau inconnu"),
    ("laureate id", lambda rows: ([["R", "fabrique", "fabt02", "fabrique", "fabt-01", ""]],
                                  HEADER), "fabrique", "format inattendu"),
    ("regional with a fabrique",
     lambda rows: ([["R", "regional", "fabt-02", "fabrique", "fabt-01", ""]], HEADER),
     "fabrique", "un réseau régional n'a pas de Fabrique"),
    ("declared twice", lambda rows: (rows[:1] + [["Réseau du Hublot", "fabrique", "fabt-03",
                                                   "fabrique", "fabt-01", ""]], HEADER),
     "fabrique", "déclaré autrement en ligne 2"),
    ("duplicate member", lambda rows: (rows[:2] + rows[:1], HEADER), "id_lieu",
     "clé en double"),
    ("too long", lambda rows: ([rows[0][:5] + ["x" * 33]], HEADER), "role",
     "valeur trop longue"),
]


@pytest.mark.parametrize(("case", "broken", "field", "message"), BROKEN,
                         ids=[case[0] for case in BROKEN])
def test_a_malformed_file_is_refused_whole(loaded, tmp_path, case, broken, field, message):
    load_networks(loaded, write_csv(tmp_path / "ok.csv", ROWS), source="essai")
    before = stored(loaded)
    rows, header = broken(ROWS)
    path = write_csv(tmp_path / "broken.csv", rows, header)

    with pytest.raises(LoadError) as error:
        load_networks(loaded, path, source="essai")

    assert error.value.field == field
    assert message in str(error.value)
    assert str(path) in str(error.value)
    assert stored(loaded) == before  # the previous version stays in service
    with loaded.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(DatasetVersion).where(
            DatasetVersion.source == "essai")) == 1


@pytest.mark.parametrize(("content", "name", "where", "message"), [
    ('{"type": "Feature"}', "r.geojson", None, "FeatureCollection"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}', "r.geojson",
     "entité 1", "sans objet properties"),
    ('{"type": "FeatureCollection", "features": [', "r.geojson", 1, "JSON invalide"),
    ("reseau\tx\n", "r.txt", None, "format inconnu"),
])
def test_a_malformed_geojson_names_the_feature(tmp_path, content, name, where, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(LoadError) as error:
        stage_networks(path)
    assert message in str(error.value) and error.value.row == where


def test_reloading_is_unchanged_then_replaces_and_keeps_other_sources(loaded, tmp_path):
    path = write_csv(tmp_path / "r.csv", ROWS)
    first = load_networks(loaded, path, source="essai")
    other = load_networks(loaded, write_csv(tmp_path / "o.csv", ROWS[3:4]), source="autre")
    assert load_networks(loaded, path, source="essai").status == "inchangé"
    assert load_networks(loaded, path, source="essai",
                         vintage=first.vintage).status == "inchangé"

    smaller = write_csv(tmp_path / "r2.csv", ROWS[:2], delimiter=";")
    again = load_networks(loaded, smaller, source="essai")

    assert again.status == "chargé" and again.version_id != first.version_id
    networks = declared_networks(loaded)
    assert sorted((n.name, n.source) for n in networks) == [
        ("Réseau du Hublot", "essai"), ("Tiers-lieux du Sud", "autre")]
    assert len(next(n for n in networks if n.source == "essai").members) == 3
    with loaded.connect() as connection:
        versions = dict(connection.execute(select(DatasetVersion.id, DatasetVersion.current)
                                           .where(DatasetVersion.dataset == "networks")).all())
    assert versions == {first.version_id: False, other.version_id: True,
                        again.version_id: True}


def test_a_source_name_of_another_dataset_is_refused(loaded, tmp_path):
    with pytest.raises(LoadError, match="existe déjà pour un autre jeu"):
        load_networks(loaded, write_csv(tmp_path / "r.csv", ROWS), source="laureates")
    assert stored(loaded) == {}


def test_memberships_survive_reloading_places_and_laureates(loaded, tmp_path, data_dir):
    load_networks(loaded, write_csv(tmp_path / "r.csv", ROWS), source="essai")
    # new copies of the real files (one more blank line: a new checksum, same rows)
    for name, relative in (("manufactures-proximite",
                            "tierslieux/manufactures_proximite_anct_202201_list.csv"),
                           ("laureates", "laureates/fabriques_territoire_anct_202401_list.csv")):
        copy = tmp_path / Path(relative).name
        shutil.copy(data_dir / relative, copy)
        with open(copy, "a", encoding="utf-8") as handle:
            handle.write("\n")
        assert load_source(loaded, name, str(copy), progress=False).status == "chargé"

    # the laureates were deleted and inserted again: whatever the foreign key did to
    # networks.laureate_id, the Fabrique is still known by its stable key
    networks = {n.name: n for n in declared_networks(loaded)}
    assert networks["Réseau du Hublot"].laureate_id == "fabt-02"
    view = network_for(loaded, "fabt-02", "declared")
    assert view.missing == ()
    assert {m.external_id for m in view.members} == {"fabt-01", "manuprox-1-1",
                                                     "6018f94d69086482678b468d"}


def test_a_network_without_laureate_column_uses_its_resource_member(loaded, tmp_path):
    load_networks(loaded, write_csv(tmp_path / "r.csv", ROWS), source="essai")
    with loaded.begin() as connection:
        connection.execute(update(Network).values(laureate_id=None))
        assert connection.scalar(select(func.count()).select_from(Laureate)) == 382
    assert {n.name: n.laureate_id for n in declared_networks(loaded)} == {
        "Réseau du Hublot": "fabt-02", "Tiers-lieux du Sud": None}


def test_the_documented_example_loads(loaded, tmp_path, data_dir):
    for name in ("tierslieux-cget-2019", "france-services"):
        load_source(loaded, name, data_dir=data_dir, progress=False)
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "exemple.csv"
    path.write_text(example, encoding="utf-8")
    geojson = re.search(r"```json\n(.*?)```", text, re.S).group(1)
    (tmp_path / "exemple.geojson").write_text(geojson, encoding="utf-8")
    networks, outcome = stage_networks(tmp_path / "exemple.geojson")
    assert [n.name for n in networks] == ["Réseau du Hublot"] and not outcome.skipped

    report = load_networks(loaded, path, source="exemple")

    assert report.skipped == [] and report.loaded == {"networks": 2, "network_members": 4}
    view = network_for(loaded, "fabt-02", "declared")
    assert {(m.kind, m.name) for m in view.members} == {
        ("tiers-lieu-cget-2019", "Le LABO Coworking"),
        ("france-services", "France services Nice Pasteur")}


def test_a_file_that_would_empty_its_source_is_refused(loaded, tmp_path):
    """A header alone (an export that failed) or rows that are all skipped (the laureates not
    loaded yet) would have replaced the source's networks by none, without a word."""
    load_networks(loaded, write_csv(tmp_path / "r.csv", ROWS), source="essai")
    for name, rows, said in (
            ("entete.csv", [], "aucune ligne : aucun réseau à charger"),
            ("inconnus.csv", [["R", "fabrique", "fabt-999", "fabrique", "fabt-01", ""],
                              ["R", "fabrique", "fabt-999", "fabrique", "fabt-02", ""]],
             f"toutes les lignes sont ignorées (2 × {UNKNOWN_FABRIQUE})")):
        with pytest.raises(LoadError, match=re.escape(said)):
            load_networks(loaded, write_csv(tmp_path / name, rows), source="essai")
        assert stored(loaded) == EXPECTED


def test_the_load_report_agrees_each_count():
    """« 1 géométrie(s) réparée(s) ; 1 ignorée(s) » and « ignorée(s) : 1 × … » said a load
    that repaired and skipped one row: singular for 1, plural from 2."""
    one = LoadReport("reseaux", "reseaux.csv", "2024", "chargé", {"network_members": 3},
                     repaired=1, skipped=[("ligne 4", "lieu inconnu")])
    assert one.summary().splitlines()[:2] == [
        "reseaux (2024) : chargé — 3 network_members ; 1 géométrie réparée ; 1 ignorée [0.0 s]",
        "    ignorée : 1 × lieu inconnu (ex. ligne 4)"]
    two = LoadReport("reseaux", "reseaux.csv", "2024", "chargé", {"network_members": 3},
                     repaired=2, skipped=[("ligne 4", "lieu inconnu"), ("ligne 5", "lieu inconnu")])
    assert two.summary().splitlines()[:2] == [
        "reseaux (2024) : chargé — 3 network_members ; 2 géométries réparées ; 2 ignorées "
        "[0.0 s]", "    ignorées : 2 × lieu inconnu (ex. ligne 4, ligne 5)"]
