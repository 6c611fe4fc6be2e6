"""A laureate's point lies in its commune, against the commune outlines in service, on both
backends: a point of another commune is refused, or loaded as partial with ``--force``.

The outlines are an extract of the real file (the communes of the laureates); the broken
list is a copy of the real one altered in ``tmp_path`` (synthetic alteration of real data):
Le Hublot in Nice (fabt-02) given a point in Marseille.
"""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

from geodata.storage.models import DatasetVersion, Laureate
from loaders.pipeline import load_source
from tests.loaders.common import edited_lines, load, refused, write_json
from tests.loaders.conftest import CONTOURS

pytestmark = pytest.mark.shared_data

LIST = "laureates/fabriques_territoire_anct_202401_list.csv"
COUNTRY = {"scope": "country", "codes": []}


@pytest.fixture(scope="module")
def laureate_contours(tmp_path_factory, data_dir):
    """The real outlines of the laureates' communes (fabt-379's Orée d'Anjou has none)."""
    with open(data_dir / LIST, encoding="utf-8", newline="") as handle:
        communes = {row["insee_com"] for row in csv.DictReader(handle)}
    document = json.loads((data_dir / CONTOURS).read_text(encoding="utf-8"))
    document["features"] = [f for f in document["features"]
                            if f["properties"]["code"] in communes]
    return write_json(tmp_path_factory.mktemp("faits") / "contours_laureats.geojson",
                      document)


@pytest.fixture
def with_contours(engine, laureate_contours):
    load(engine, "commune-contours", path=laureate_contours)
    return engine


def nice_in_marseille(lines):
    assert lines[2].startswith("fabt-02,Le Hublot,06088,Nice,")
    lines[2] = lines[2].rsplit(",", 2)[0] + ",5.3698,43.2965"
    return lines


def laureates_version(engine):
    with engine.connect() as connection:
        return connection.execute(select(DatasetVersion.__table__)
                                  .where(DatasetVersion.source == "laureates",
                                         DatasetVersion.current.is_(True))).one()


def test_every_point_of_the_list_lies_in_its_commune(with_contours, data_dir):
    report = load(with_contours, "laureates", data_dir)

    assert laureates_version(with_contours).complete_for == COUNTRY
    assert "380 lauréats dans leur commune (source « commune-contours », à 50 m près)" \
        in report.completeness
    assert "1 lauréat dont la commune n'a pas de contour chargé, emplacement non " \
        "vérifié : fabt-379 (49069)" in report.notes


def test_a_point_in_another_commune_is_refused_and_named(with_contours, data_dir, tmp_path):
    load(with_contours, "laureates", data_dir)
    path = edited_lines(data_dir / LIST, tmp_path / "ailleurs.csv", nice_in_marseille)

    error = refused(with_contours, "laureates", path)

    message = str(error)
    assert "ailleurs.csv" in message and "fichier refusé" in message
    assert "1 lauréat hors de sa commune (à plus de 50 m de son contour" in message
    assert "fabt-02 à 1" in message and " km de 06088" in message  # about 160 km
    with with_contours.connect() as connection:
        stored = connection.execute(select(Laureate.geom).where(Laureate.id == "fabt-02"))
        assert stored.scalar_one().x == pytest.approx(7.24, abs=0.01)  # still in Nice


def test_forced_the_point_elsewhere_is_loaded_as_partial(with_contours, data_dir, tmp_path):
    path = edited_lines(data_dir / LIST, tmp_path / "ailleurs.csv", nice_in_marseille)

    load_source(with_contours, "laureates", str(path), force=True, progress=False)

    version = laureates_version(with_contours)
    assert version.complete_for["scope"] == "none" and version.complete_for["forced"] is True
    assert "fabt-02" in version.complete_for["reason"]


def test_without_the_outlines_the_list_loads_and_says_it_was_not_placed(engine, data_dir):
    report = load(engine, "laureates", data_dir)

    assert laureates_version(engine).complete_for == COUNTRY
    assert "l'emplacement des lauréats dans leur commune n'est pas vérifié" in \
        "\n".join(report.notes)
