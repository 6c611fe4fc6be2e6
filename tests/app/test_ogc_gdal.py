"""GDAL's OGC API - Features driver (OAPIF: what QGIS and ogr2ogr users read the API with)
on /ogc served on 127.0.0.1, on both backends (``tests.ogc_data``): ``ogrinfo`` lists every
collection with its count, ``ogr2ogr`` reads every feature of each through small pages
(``PAGE_SIZE=50``: several pages each) and the features within a bounding box (``-spat``);
the fields take the types of each collection's schema (``describedBy``), the subsidies
Integer even where the first page has none (the published list alone).

Skipped locally when GDAL's command-line tools are absent (Debian's ``gdal-bin``); in CI
they are installed by ``.ci/run``, and their absence is a failure.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from urllib.parse import parse_qs

import pytest
import shapely

from geodata.policy import load_policy
from geodata.storage.database import embedded_url, make_engine, upgrade
from geodata.storage.laureates import laureate_table
from loaders.pipeline import load_source
from tests import ogc_data
from tests.browser.conftest import served
from tests.ogc_data import stored
from tests.support import make_app, unavailable

pytestmark = pytest.mark.shared_data
backend, ogc_url = ogc_data.backend, ogc_data.ogc_url  # the module's databases (fixtures)
engine = ogc_data.engine

COLLECTIONS = ("fabriques", "qpv2015", "qpv2024", "communes", "lieux")
PAGE_SIZE = 50
MARSEILLE = (5.3, 43.25, 5.45, 43.35)


@pytest.fixture(scope="module")
def gdal():
    """``gdal(program, *arguments) -> stdout``; skipped (failed in CI) without gdal-bin."""
    if shutil.which("ogrinfo") is None or shutil.which("ogr2ogr") is None:
        unavailable("ogrinfo et ogr2ogr absents (paquet Debian gdal-bin)")
    environment = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
                   "GDAL_HTTP_TIMEOUT": "120", "CPL_DEBUG": "OFF"}

    def run(program: str, *arguments: str) -> str:
        done = subprocess.run([program, *arguments], capture_output=True, text=True,
                              env=environment, timeout=600)
        assert done.returncode == 0, f"{program} {' '.join(arguments)} :\n{done.stderr}"
        return done.stdout

    return run


@pytest.fixture(scope="module")
def server(gdal, ogc_url, tmp_path_factory, data_dir):
    """The app on 127.0.0.1 (no rate limit), recording the query of each request it gets:
    ``(base URL, [(path, query)])``."""
    app = make_app(ogc_url, tmp_path_factory.mktemp("instance"), data_dir, RATELIMIT="off")
    requests = []
    wsgi = app.wsgi_app

    def recording(environ, start_response):
        requests.append((environ["PATH_INFO"], parse_qs(environ.get("QUERY_STRING", ""))))
        return wsgi(environ, start_response)

    app.wsgi_app = recording
    for base in served(app):
        yield base, requests


@pytest.fixture(scope="module")
def exported(gdal, server, tmp_path_factory):
    """Each collection as ogr2ogr writes it to GeoJSON, read with pages of ``PAGE_SIZE``,
    and the item pages the server was asked for: ``{collection: (features, pages)}``."""
    base, requests = server
    folder = tmp_path_factory.mktemp("ogr2ogr")
    found = {}
    for collection in COLLECTIONS:
        requests.clear()
        target = folder / f"{collection}.geojson"
        gdal("ogr2ogr", "-f", "GeoJSON", str(target), f"OAPIF:{base}/ogc", collection,
             "-oo", f"PAGE_SIZE={PAGE_SIZE}")
        pages = [query for path, query in requests
                 if path == f"/ogc/collections/{collection}/items"]
        found[collection] = (json.loads(target.read_text())["features"], pages)
    return found


def test_ogrinfo_lists_every_collection_with_its_count(gdal, server, engine):
    base, _ = server
    summary = gdal("ogrinfo", "-ro", "-al", "-so", f"OAPIF:{base}/ogc")
    layers = re.findall(r"Layer name: (\S+)", summary)
    counts = [int(n) for n in re.findall(r"Feature Count: (\d+)", summary)]
    assert layers == list(COLLECTIONS)
    assert dict(zip(layers, counts, strict=True)) == {
        collection: len(stored(engine, collection)) for collection in COLLECTIONS}
    sections = dict(zip(layers, re.split(r"Layer name: \S+", summary)[1:], strict=True))
    assert "Geometry: Point" in sections["fabriques"]
    assert "Geometry: Multi Polygon" in sections["communes"]
    assert "categorie_current: String" in sections["fabriques"]
    assert "densite_niveau: Integer" in sections["communes"]
    # the types of the collection's schema (describedBy): the first page, all nulls there,
    # made the subsidies Strings
    for year in (1, 2, 3):
        assert f"montant_annee_{year}: Integer" in sections["fabriques"]
    for layer, section in sections.items():  # each field once (GDAL adds the sample's id)
        fields = re.findall(r"^(\w+): \w+ \(", section, re.MULTILINE)
        assert len(fields) == len(set(fields)) and "id" in fields, layer
    assert 'ID["EPSG",4326]' in sections["qpv2024"]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_ogr2ogr_reads_every_feature_through_the_pages(exported, engine, collection):
    features, pages = exported[collection]
    ids = [feature["properties"]["id"] for feature in features]
    expected = stored(engine, collection)
    assert len(ids) == len(set(ids)) == len(expected) and set(ids) == set(expected)
    assert {query["limit"][0] for query in pages} == {str(PAGE_SIZE)}
    offsets = sorted(int(query.get("offset", ["0"])[0]) for query in pages)
    assert set(range(0, len(expected), PAGE_SIZE)) <= set(offsets)
    assert len(pages) >= math.ceil(len(expected) / PAGE_SIZE)


def test_the_features_keep_their_attributes(exported, engine):
    fabriques = {f["properties"]["id"]: f for f in exported["fabriques"][0]}
    hublot = fabriques["fabt-02"]
    assert hublot["properties"]["nom"] == "Le Hublot"
    assert hublot["properties"]["commune_nom"] == "Nice"
    categories = {row["id"]: row["category"] for row in laureate_table(
        engine, load_policy("current"))}
    assert {key: f["properties"]["categorie_current"] for key, f in fabriques.items()} == \
        categories
    assert fabriques["ds-900003"]["properties"]["siret"] == "11122233300044"
    assert [fabriques["ds-900003"]["properties"][f"montant_annee_{year}"]
            for year in (1, 2, 3)] == [75000, 50000, 25000]  # numbers, not "75000"
    communes = {f["properties"]["id"]: f["properties"] for f in exported["communes"][0]}
    assert communes["13055"]["densite_niveau"] == 1
    assert "Aix-Marseille" in communes["13055"]["metropole_nom"]
    qpv = {f["properties"]["id"]: f for f in exported["qpv2024"][0]}
    assert qpv["QN01307M"]["geometry"]["type"] == "MultiPolygon"
    read = shapely.geometry.shape(qpv["QN01307M"]["geometry"])  # rings turned by RFC 7946
    assert shapely.normalize(read).equals_exact(
        shapely.normalize(stored(engine, "qpv2024")["QN01307M"]), tolerance=1e-6)


@pytest.mark.parametrize("collection", ["qpv2024", "communes", "lieux", "fabriques"])
def test_ogr2ogr_reads_the_features_of_a_bbox(gdal, server, engine, tmp_path, collection):
    base, requests = server
    requests.clear()
    target = tmp_path / "spat.geojson"
    gdal("ogr2ogr", "-f", "GeoJSON", str(target), f"OAPIF:{base}/ogc", collection,
         "-oo", "PAGE_SIZE=5", "-spat", *map(str, MARSEILLE))
    ids = {f["properties"]["id"] for f in json.loads(target.read_text())["features"]}
    area = shapely.box(*MARSEILLE)
    expected = {key for key, geometry in stored(engine, collection).items()
                if geometry is not None and geometry.intersects(area)}
    assert ids == expected and ids
    # GDAL reads a first page without the bbox for the layer's fields, then the bbox's pages
    asked = [query for path, query in requests if path.endswith("/items") and "bbox" in query]
    west, south, east, north = map(float, asked[0]["bbox"][0].split(","))
    assert (west, south, east, north) == pytest.approx(MARSEILLE)
    assert len(asked) >= math.ceil(len(expected) / 5)  # paged within the bbox too


@pytest.fixture(scope="module")
def published_only(gdal, tmp_path_factory, data_dir):
    """The app on an embedded database with the published list only (no jury's decision:
    every subsidy null, as on a service before its first jury), served on 127.0.0.1."""
    instance = tmp_path_factory.mktemp("publiee")
    engine = make_engine(embedded_url(instance))
    upgrade(engine)
    for name in ("regions", "departements", "laureates"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    engine.dispose()
    yield from served(make_app(embedded_url(instance), instance, data_dir, RATELIMIT="off"))


def test_the_subsidies_are_integers_though_the_first_page_has_none(gdal, published_only):
    """GDAL 3.6 guessed the fields' types from a first page (10 objects), where no Fabrique
    of the published list has a subsidy: Strings, till it read the collection's schema."""
    summary = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{published_only}/ogc", "fabriques")
    for year in (1, 2, 3):
        assert f"montant_annee_{year}: Integer" in summary
    assert "siret: String" in summary and summary.count("\nid: String") == 1
