"""The lists of communes and their outlines are compared with the registry's reference files,
on both backends: a file without a commune loads as partial (it said « complet pour toute la
France »), one with a made-up commune is refused (``loaders.reference.same_codes``).

The files are copies of the real shared ones altered in ``tmp_path`` (synthetic alterations
of real data, each said in its test): Aurillac (15014) removed, or a copy of its outline
given a code that does not exist (15999).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
import shapely.geometry

from loaders.claims import Shortfall
from loaders.pipeline import load_source
from loaders.reference import same_codes
from tests.loaders.common import load, refused, write_json
from tests.loaders.test_contours import CONTOURS
from tests.loaders.test_territory import COMMUNES, records

pytestmark = pytest.mark.shared_data

AURILLAC = "15014"


def test_a_list_of_communes_without_aurillac_is_partial(engine, data_dir, tmp_path):
    listed = [record for record in records(data_dir, COMMUNES) if record["code"] != AURILLAC]

    report = load(engine, "communes", path=write_json(tmp_path / "communes.json", listed))

    assert report.completeness.startswith("partiel")
    assert f"1 commune du fichier de référence du registre absente du fichier : " \
        f"{AURILLAC}" in report.completeness


def test_a_copy_of_the_list_is_proven_by_the_reference_file(engine, data_dir, tmp_path):
    copy = write_json(tmp_path / "communes.json", records(data_dir, COMMUNES))

    report = load(engine, "communes", path=copy)

    assert report.completeness.startswith("complet pour toute la France, prouvé")
    assert "les mêmes qu'au fichier de référence du registre" in report.completeness


def contours_edited(data_dir, tmp_path, edit):
    document = json.loads((data_dir / CONTOURS).read_text(encoding="utf-8"))
    document["features"] = edit(document["features"])
    return write_json(tmp_path / "contours.geojson", document)


def test_outlines_without_aurillac_are_partial(engine, data_dir, tmp_path):
    path = contours_edited(data_dir, tmp_path, lambda features: [
        f for f in features if f["properties"]["code"] != AURILLAC])

    report = load(engine, "commune-contours", path=path)

    assert report.completeness.startswith("partiel")
    assert f"1 commune dessinée du fichier de référence du registre absente du " \
        f"fichier : {AURILLAC}" in report.completeness


def test_an_outline_of_a_made_up_commune_is_refused(engine, data_dir, tmp_path):
    def made_up(features):
        (aurillac,) = [f for f in features if f["properties"]["code"] == AURILLAC]
        return [*features, {**aurillac, "properties": {**aurillac["properties"],
                                                       "code": "15999"}}]

    error = refused(engine, "commune-contours", contours_edited(data_dir, tmp_path, made_up))

    assert "1 commune dessinée absente du fichier de référence du registre : 15999" \
        in str(error)


def test_another_vintage_is_not_compared_with_this_ones_reference(engine, data_dir, tmp_path):
    listed = [record for record in records(data_dir, COMMUNES) if record["code"] != AURILLAC]
    path = write_json(tmp_path / "communes.json", listed)

    report = load_source(engine, "communes", str(path), vintage="2027", progress=False)

    assert "fichier de référence" not in report.completeness


def test_an_outline_replaced_by_a_square_is_refused(engine, data_dir, tmp_path):
    """Aurillac drawn as a 200 m square loaded « complet, prouvé »: a place in Aurillac was
    in no commune. Synthetic: its outline replaced."""
    def square(features):
        for feature in features:
            if feature["properties"]["code"] == AURILLAC:
                feature["geometry"] = {"type": "Polygon", "coordinates": [[
                    [2.444, 44.926], [2.4465, 44.926], [2.4465, 44.928], [2.444, 44.928],
                    [2.444, 44.926]]]}
        return features

    error = refused(engine, "commune-contours", contours_edited(data_dir, tmp_path, square))

    assert f"1 commune dont le contour s'écarte de plus de 20 m de celui du fichier de " \
        f"référence du registre : {AURILLAC} (" in str(error)


def test_outlines_rounded_to_four_decimals_load_complete(engine, data_dir, tmp_path):
    """Every vertex rounded to 1e-4° (about 10 m): the same ground, another drawing."""
    def rounded(features):
        for feature in features:
            feature["geometry"] = json.loads(shapely.to_geojson(shapely.transform(
                shapely.geometry.shape(feature["geometry"]), lambda xy: np.round(xy, 4))))
        return features

    report = load(engine, "commune-contours", path=contours_edited(data_dir, tmp_path, rounded))

    assert report.completeness.startswith("complet pour toute la France, prouvé")


def test_the_messages_agree_with_the_number_of_codes():
    """« 1 commune(s) dessinée(s) … absente(s) » became « 1 commune dessinée … absente »,
    « 2 communes dessinées … absentes »: each message agrees with its own count."""
    one = same_codes("commune(s) dessinée(s)", {"13055", "15999"}, {"13055", AURILLAC})
    assert one.shortfalls == [
        Shortfall("1 commune dessinée du fichier de référence du registre absente du fichier : "
                  "15014", contradicts=True),
        Shortfall("1 commune dessinée absente du fichier de référence du registre : 15999",
                  contradicts=True)]
    two = same_codes("commune(s)", {"13055", "15998", "15999"}, {"13055", "13001", AURILLAC},
                     extract_is_partial=True)
    assert two.shortfalls == [
        Shortfall("2 communes du fichier de référence du registre absentes du fichier : "
                  "13001, 15014", contradicts=False),
        Shortfall("2 communes absentes du fichier de référence du registre : 15998, 15999",
                  contradicts=True)]
    assert same_codes("commune(s)", {"13055"}, {"13055"}).verified == [
        "1 commune, la même qu'au fichier de référence du registre"]
    assert same_codes("commune(s)", {"13055", AURILLAC}, {"13055", AURILLAC}).verified == [
        "2 communes, les mêmes qu'au fichier de référence du registre"]
