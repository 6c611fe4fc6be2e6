"""Per-commune typologies (density grid, centralités, ruralités) on both backends, from the
real shared files and from broken copies of them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from geodata.storage.models import CommuneClass, DatasetVersion
from loaders.errors import LoadError
from loaders.pipeline import load_source

pytestmark = pytest.mark.shared_data

DENSITY = "urban/grille_densite_7niveaux_communes.csv"


def load(engine, name, data_dir=None, path=None):
    return load_source(engine, name, path, data_dir=data_dir, progress=False)


def classes(engine, typology):
    with engine.connect() as connection:
        return {
            row.commune_code: (row.level, row.label)
            for row in connection.execute(
                select(CommuneClass.__table__).where(CommuneClass.typology == typology))
        }


def version_count(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(DatasetVersion))


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
    # a changed ruralité file (its first 100 communes) replaces the ruralité rows only
    lines = (data_dir / "urban/ruralite_communes.csv").read_text(encoding="utf-8-sig")
    short = tmp_path / "ruralite_extrait.csv"
    short.write_text("\n".join(lines.splitlines()[:101]) + "\n", encoding="utf-8")
    report = load(engine, "ruralite", path=str(short))

    assert report.loaded == {"commune_classes": 100}
    assert len(classes(engine, "ruralite")) == 100
    assert classes(engine, "densite") == density


# --- bad inputs: a clear error naming where, and the previous data intact -----------------

@pytest.fixture
def density_loaded(engine, data_dir):
    load(engine, "densite", data_dir)
    return classes(engine, "densite")


def assert_intact(engine, density):
    assert classes(engine, "densite") == density
    assert version_count(engine) == 1


def broken_copy(data_dir, tmp_path, name, change):
    lines = (data_dir / DENSITY).read_text(encoding="utf-8-sig").splitlines()
    path = tmp_path / name
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    return str(path)


def test_unknown_density_label(engine, density_loaded, data_dir, tmp_path):
    def change(lines):
        code, name, _ = lines[1233].rsplit(",", 2)
        lines[1233] = f"{code},{name},Bourg rural"
        return lines

    path = broken_copy(data_dir, tmp_path, "libelle.csv", change)
    with pytest.raises(LoadError) as error:
        load(engine, "densite", path=path)

    message = str(error.value)
    assert "libelle.csv" in message and "ligne 1234" in message and "'Bourg rural'" in message
    assert (error.value.row, error.value.field) == (1234, "niveau_densite")
    assert_intact(engine, density_loaded)


def test_missing_label_column(engine, density_loaded, data_dir, tmp_path):
    path = broken_copy(data_dir, tmp_path, "sans_niveau.csv",
                       lambda lines: [line.rsplit(",", 1)[0] for line in lines])
    with pytest.raises(LoadError) as error:
        load(engine, "densite", path=path)

    assert "sans_niveau.csv" in str(error.value)
    assert error.value.field == "niveau_densite"
    assert_intact(engine, density_loaded)


def test_duplicated_commune(engine, density_loaded, data_dir, tmp_path):
    path = broken_copy(data_dir, tmp_path, "doublon.csv",
                       lambda lines: [*lines, lines[500]])
    with pytest.raises(LoadError) as error:
        load(engine, "densite", path=path)

    message = str(error.value)
    assert "doublon.csv" in message and "clé en double" in message
    assert "501" in message and "34877" in message
    assert error.value.field == "insee_com"
    assert_intact(engine, density_loaded)


def test_malformed_commune_code(engine, density_loaded, data_dir, tmp_path):
    def change(lines):
        lines[9] = lines[9][1:]  # "01010,..." -> "1010,...": a lost leading zero
        return lines

    path = broken_copy(data_dir, tmp_path, "code.csv", change)
    with pytest.raises(LoadError) as error:
        load(engine, "densite", path=path)

    assert "code.csv" in str(error.value)
    assert (error.value.row, error.value.field) == (10, "insee_com")
    assert_intact(engine, density_loaded)
