"""Per-commune typologies (density grid, centralités, ruralités) on both backends, from the
real shared files and from broken copies of them."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from geodata.storage.models import CommuneClass, DatasetVersion
from geodata.storage.reference import read_commune_layer
from loaders.registry import SOURCES
from tests.loaders.common import edited_lines, load, refused, version_count

pytestmark = pytest.mark.shared_data

DENSITY = "urban/grille_densite_7niveaux_communes.csv"


def classes(engine, typology):
    with engine.connect() as connection:
        return {
            row.commune_code: (row.level, row.label)
            for row in connection.execute(
                select(CommuneClass.__table__).where(CommuneClass.typology == typology))
        }


def test_density_grid_levels(engine, data_dir):
    report = load(engine, "densite", data_dir)

    rows = classes(engine, "densite")
    assert report.loaded == {"commune_classes": 34_875} and not report.skipped
    per_level = {}
    for level, label in rows.values():
        per_level.setdefault((level, label), 0)
        per_level[(level, label)] += 1
    assert per_level == {
        (1, "Grands centres urbains"): 699,
        (2, "Centres urbains intermédiaires"): 637,
        (3, "Ceintures urbaines"): 1_996,
        (4, "Petites villes"): 947,
        (5, "Bourgs ruraux"): 5_072,
        (6, "Rural à habitat dispersé"): 18_288,
        (7, "Rural à habitat très dispersé"): 7_236,
    }
    assert rows["31555"] == (1, "Grands centres urbains")  # Toulouse
    assert rows["01001"] == (6, "Rural à habitat dispersé")


def test_centralite_skips_undefined_and_ruralite_is_trimmed(engine, data_dir):
    centralite = load(engine, "centralite", data_dir)
    ruralite = load(engine, "ruralite", data_dir)

    assert centralite.loaded == {"commune_classes": 34_875 - 129}
    assert len(centralite.skipped) == 129
    assert all(where.startswith("97") for where, _ in centralite.skipped)  # the DROM
    assert "non définie" in centralite.skipped[0][1]
    central = classes(engine, "centralite")
    assert central["31555"] == (None, "Centre majeur d'équipements et de services")
    assert "97101" not in central
    rural = classes(engine, "ruralite")
    assert len(rural) == 34_875
    assert rural["01001"] == (None, "Les ruralités résidentielles mixtes")  # no leading space
    assert sum(label == "Hors champ : DOM ou commune urbaine"
               for _, label in rural.values()) == 4_240
    assert ruralite.loaded == {"commune_classes": 34_875}


def test_each_typology_replaces_only_its_own_rows(engine, data_dir, tmp_path):
    load(engine, "densite", data_dir)
    load(engine, "ruralite", data_dir)
    density = classes(engine, "densite")

    assert load(engine, "ruralite", data_dir).status == "inchangé"
    # a changed ruralité file (its first 100 communes: partial) replaces the ruralité rows only
    short = edited_lines(data_dir / "urban/ruralite_communes.csv",
                         tmp_path / "ruralite_extrait.csv", lambda lines: lines[:101],
                         encoding="utf-8-sig")
    report = load(engine, "ruralite", path=short)

    assert report.loaded == {"commune_classes": 100}
    assert report.completeness.startswith("partiel")
    assert len(classes(engine, "ruralite")) == 100
    assert classes(engine, "densite") == density


def density_checks(engine) -> dict:
    with engine.connect() as connection:
        return connection.scalars(select(DatasetVersion.counts).where(
            DatasetVersion.source == "densite", DatasetVersion.current.is_(True))).one()["checks"]


def test_a_copy_in_another_order_is_proven_by_the_reference_file(engine, data_dir, tmp_path):
    copy = edited_lines(data_dir / DENSITY, tmp_path / "copie.csv",
                        lambda lines: lines[:1] + lines[:0:-1], encoding="utf-8-sig")

    load(engine, "densite", path=copy)

    assert "34 875 communes de la même classe qu'au fichier de référence du registre" \
        in [text.replace("\u202f", " ") for text in density_checks(engine)["verified"]]


def test_the_density_grid_is_cited_whatever_its_source_key(engine, data_dir, monkeypatch):
    """The verdict's density row cited the data loaded under the source key « densite »: the
    same grid loaded under another key (a new vintage, say) was « aucune source »."""
    renamed = dataclasses.replace(SOURCES["densite"], name="densite-autre-cle")
    monkeypatch.setitem(SOURCES, renamed.name, renamed)
    load(engine, "densite-autre-cle", data_dir)
    load(engine, "centralite", data_dir)  # another typology of the same dataset
    with engine.connect() as connection:
        sources = read_commune_layer(connection).sources
    assert list(sources) == ["densite"]
    (label,) = sources["densite"]
    assert label.startswith("Grille communale de densité")


# --- bad inputs: a clear error naming where, and the previous data intact -----------------

@pytest.fixture
def density_loaded(engine, data_dir):
    load(engine, "densite", data_dir)
    return classes(engine, "densite")


def assert_intact(engine, density):
    assert classes(engine, "densite") == density
    assert version_count(engine) == 1


def _unknown_label(lines):
    code, name, _ = lines[1233].rsplit(",", 2)
    lines[1233] = f"{code},{name},Bourg rural"
    return lines


def _without_label_column(lines):
    return [line.rsplit(",", 1)[0] for line in lines]


def _commune_twice(lines):
    return [*lines, lines[500]]


def _malformed_commune_code(lines):
    lines[9] = lines[9][1:]  # "01010,..." -> "1010,...": a lost leading zero
    return lines


def test_a_class_changed_is_refused_against_the_reference_file(engine, density_loaded,
                                                                data_dir, tmp_path):
    """Marseille « Bourgs ruraux »: 34,875 rows, loaded « complet, prouvé », and Marseille was
    outside the large urban centres. Synthetic: that row's class changed."""
    path = edited_lines(data_dir / DENSITY, tmp_path / "marseille.csv", lambda lines: [
        line.replace("13055,Marseille,Grands centres urbains", "13055,Marseille,Bourgs ruraux")
        for line in lines], encoding="utf-8-sig")

    error = refused(engine, "densite", path)

    assert "1 commune d'une autre classe qu'au fichier de référence du registre : 13055 " \
        "(Grands centres urbains au fichier de référence, Bourgs ruraux au fichier)" in str(error)
    assert_intact(engine, density_loaded)


@pytest.mark.parametrize(("edit", "said", "row", "field"), [
    pytest.param(_unknown_label, ["ligne 1234", "'Bourg rural'"], 1234, "niveau_densite",
                 id="unknown-density-label"),
    pytest.param(_without_label_column, [], None, "niveau_densite", id="missing-label-column"),
    pytest.param(_commune_twice, ["clé en double", "501", "34877"], None, "insee_com",
                 id="duplicated-commune"),
    pytest.param(_malformed_commune_code, [], 10, "insee_com", id="malformed-commune-code"),
])
def test_broken_file_is_refused(engine, density_loaded, data_dir, tmp_path, edit, said, row,
                                field):
    path = edited_lines(data_dir / DENSITY, tmp_path / "casse.csv", edit, encoding="utf-8-sig")

    error = refused(engine, "densite", path)

    assert "casse.csv" in str(error) and all(part in str(error) for part in said)
    assert (error.row, error.field) == (row, field)
    assert_intact(engine, density_loaded)
