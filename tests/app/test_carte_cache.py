"""The map's layers kept on disk across restarts (``app.carte.layers.cached_layer`` with a
folder) and the caches warmed before a gunicorn worker serves (``app.gunicorn_conf``).

A restart is played by emptying the in-process cache; that the database is not read is
shown by a reader that fails when called. The layers are the real ones, read from the
shared datasets (``reference_engine``, or loaded afresh where a test reloads a dataset).
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time

import pytest
import requests
import shapely

from app import create_app
from app.carte import layers as carte_layers
from app.carte.layers import (
    CACHE_FOLDER,
    cached_layer,
    layer_folder,
    layer_version,
    warm_caches,
)
from app.db import EXTENSION
from geodata.storage.map_layers import LAYERS
from loaders.pipeline import load_source
from maps.vector import features_geojson

pytestmark = pytest.mark.shared_data

FRANCE = (-5.5, 41.0, 10.0, 51.5)
PROVENCE = (4.5, 43.0, 7.0, 44.5)


@pytest.fixture(autouse=True)
def fresh_process():
    """Each test starts, and may restart, with no layer in this process's memory."""
    carte_layers.layers.clear()


def restart():
    """Forget the layers held in memory, as a new server process would."""
    carte_layers.layers.clear()


def count_reads(monkeypatch, key: str) -> list:
    """Count the reads of ``key`` from the database (the real reader still runs)."""
    calls = []
    spec = LAYERS[key]

    def read(connection, vintage):
        calls.append(vintage)
        return spec.read(connection, vintage)

    monkeypatch.setitem(LAYERS, key, dataclasses.replace(spec, read=read))
    return calls


def forbid_reads(monkeypatch, key: str) -> None:
    def read(connection, vintage):
        raise AssertionError(f"couche {key} relue depuis la base")

    monkeypatch.setitem(LAYERS, key, dataclasses.replace(LAYERS[key], read=read))


def assert_same_layer(first, second, bbox, zoom: int) -> None:
    assert second is not first
    assert second.properties == first.properties
    assert second.territories.tolist() == first.territories.tolist()
    assert second.units.tolist() == first.units.tolist()
    assert second.unit_outlines == first.unit_outlines
    assert shapely.equals_exact(second.geometries, first.geometries, tolerance=0).all()
    assert features_geojson(second, bbox, zoom) == features_geojson(first, bbox, zoom)


@pytest.mark.parametrize(("key", "bbox", "zoom"), [("departements", FRANCE, 6),
                                                   ("qpv", PROVENCE, 8),
                                                   ("densite", PROVENCE, 9)])
def test_a_restart_reads_the_layer_back_from_disk_when_the_versions_match(
        reference_engine, tmp_path, monkeypatch, key, bbox, zoom):
    version = layer_version(reference_engine, key, "2024")
    reads = count_reads(monkeypatch, key)
    first = cached_layer(reference_engine, key, "2024", version, tmp_path)
    assert reads == ["2024"] and len(first) > 0
    assert [path.name for path in tmp_path.iterdir()] == [
        "qpv-2024.layer" if key == "qpv" else f"{key}.layer"]  # no temporary file left
    restart()
    forbid_reads(monkeypatch, key)
    assert_same_layer(first, cached_layer(reference_engine, key, "2024", version, tmp_path),
                      bbox, zoom)


def test_without_a_folder_nothing_is_written(reference_engine, tmp_path, monkeypatch):
    version = layer_version(reference_engine, "qpv", "2024")
    cached_layer(reference_engine, "qpv", "2024", version)
    restart()
    reads = count_reads(monkeypatch, "qpv")
    cached_layer(reference_engine, "qpv", "2024", version)
    assert reads == ["2024"]
    assert list(tmp_path.iterdir()) == []


def test_a_file_written_by_other_code_is_not_used(reference_engine, tmp_path, monkeypatch):
    version = layer_version(reference_engine, "qpv", "2024")
    cached_layer(reference_engine, "qpv", "2024", version, tmp_path)
    restart()
    monkeypatch.setattr(carte_layers, "_code_fingerprint", lambda: "une autre version du code")
    reads = count_reads(monkeypatch, "qpv")
    cached_layer(reference_engine, "qpv", "2024", version, tmp_path)
    assert reads == ["2024"]


def test_a_reload_makes_the_layer_read_again_and_the_file_replaced(
        engine, data_dir, tmp_path, monkeypatch):
    folder = tmp_path / "cache"  # the SQLite database is in tmp_path
    for name in ("regions", "departements", "communes", "qpv2015-ille-et-vilaine"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    before = layer_version(engine, "qpv", "2015")
    reads = count_reads(monkeypatch, "qpv")
    old = cached_layer(engine, "qpv", "2015", before, folder)
    assert reads == ["2015"] and len(old) == 6

    load_source(engine, "qpv2015-ile-de-france-extrait", data_dir=data_dir, progress=False)
    after = layer_version(engine, "qpv", "2015")
    assert after != before
    restart()
    new = cached_layer(engine, "qpv", "2015", after, folder)
    assert reads == ["2015", "2015"], "le fichier des anciennes versions a servi"
    assert len(new) == 9
    assert {p["code"] for p in old.properties} < {p["code"] for p in new.properties}

    restart()  # the file now holds the new versions
    forbid_reads(monkeypatch, "qpv")
    assert_same_layer(new, cached_layer(engine, "qpv", "2015", after, folder),
                      (-5.0, 42.0, 3.0, 49.5), 9)


def test_a_version_read_before_a_load_is_kept_in_memory_only(
        engine, data_dir, tmp_path, monkeypatch):
    """The caller read the versions, then a load came: what the database holds now is not
    what ``version`` names, so nothing is written under either."""
    folder = tmp_path / "cache"  # the SQLite database is in tmp_path
    for name in ("regions", "departements", "communes", "qpv2015-ille-et-vilaine"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    before = layer_version(engine, "qpv", "2015")
    load_source(engine, "qpv2015-ile-de-france-extrait", data_dir=data_dir, progress=False)
    stale = cached_layer(engine, "qpv", "2015", before, folder)
    assert len(stale) == 9  # read now, whatever ``before`` says
    assert not folder.exists()
    restart()
    cached_layer(engine, "qpv", "2015", layer_version(engine, "qpv", "2015"), folder)
    assert [path.name for path in folder.iterdir()] == ["qpv-2015.layer"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "header", "coordinates"])
def test_an_unreadable_file_is_ignored_and_replaced(
        reference_engine, tmp_path, monkeypatch, caplog, damage):
    version = layer_version(reference_engine, "qpv", "2024")
    first = cached_layer(reference_engine, "qpv", "2024", version, tmp_path)
    path = tmp_path / "qpv-2024.layer"
    data = path.read_bytes()
    middle = len(data) // 2  # inside the WKB: a coordinate changed, still parseable
    path.write_bytes({"garbage": b"\x00pas une couche" * 100, "truncated": data[:-100],
                      "empty": b"", "header": data.replace(b'"properties"', b'"proprietes"'),
                      "coordinates": data[:middle] + bytes([data[middle] ^ 1])
                      + data[middle + 1:]}[damage])
    restart()
    reads = count_reads(monkeypatch, "qpv")
    again = cached_layer(reference_engine, "qpv", "2024", version, tmp_path)
    assert reads == ["2024"]
    assert "cache de couche illisible" in caplog.text
    assert_same_layer(first, again, PROVENCE, 8)
    assert path.read_bytes() == data  # replaced by a whole file

    restart()
    forbid_reads(monkeypatch, "qpv")
    assert_same_layer(first, cached_layer(reference_engine, "qpv", "2024", version, tmp_path),
                      PROVENCE, 8)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_app(reference_engine, tmp_path, data_dir):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": reference_engine.url.render_as_string(
                           hide_password=False),
                       "DATA_DIR": str(data_dir), "RATELIMIT": "off"})


def test_warming_reads_what_the_first_view_needs_and_the_api_serves_it(
        reference_engine, tmp_path, data_dir, monkeypatch):
    app = make_app(reference_engine, tmp_path, data_dir)
    try:
        warm_caches(app)
        assert sorted(path.name for path in layer_folder(app).iterdir()) == [
            "departements.layer", "qpv-2024.layer"]
        forbid_reads(monkeypatch, "departements")
        forbid_reads(monkeypatch, "qpv")
        client = app.test_client()
        assert client.get("/carte").status_code == 200
        for key in ("departements", "qpv"):
            answer = client.get(f"/api/v1/couches/{key}",
                                query_string={"bbox": "4.5,43.0,7.0,44.5", "zoom": 8})
            assert answer.status_code == 200 and answer.json["features"], key
    finally:
        app.extensions[EXTENSION].dispose()


def test_a_gunicorn_worker_warms_the_caches_before_it_serves(reference_engine, tmp_path):
    """``make serve``'s settings: by the time ``/sante`` first answers, the layers of the
    first view are on disk (one worker, so it is the one that warmed)."""
    instance = tmp_path / "instance"
    port = free_port()
    env = {**os.environ, "FABRIQUES_INSTANCE_PATH": str(instance),
           "FABRIQUES_DATABASE_URL": reference_engine.url.render_as_string(hide_password=False),
           "FABRIQUES_RATELIMIT": "off"}
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"),
         "--config", "python:app.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--log-level", "warning", "app:create_app()"], env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "gunicorn s'est arrêté"
            assert time.monotonic() < deadline, "gunicorn n'a pas répondu"
            try:
                if requests.get(f"http://127.0.0.1:{port}/sante", timeout=60).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert sorted(path.name for path in (instance / CACHE_FOLDER).iterdir()) == [
            "departements.layer", "qpv-2024.layer"]
        answer = requests.get(f"http://127.0.0.1:{port}/api/v1/couches/departements",
                              params={"bbox": "-5.5,41.0,10.0,51.5", "zoom": 6}, timeout=60)
        assert answer.status_code == 200 and len(answer.json()["features"]) > 90
    finally:
        server.terminate()
        server.wait(timeout=30)



def test_temporary_files_left_by_a_killed_worker_are_removed_once_old(reference_engine,
                                                                      tmp_path, monkeypatch):
    restart()  # a new process: the layer is read and its file written
    old = tmp_path / ".qpv-2024.layer.0a1b2c3d.partiel"
    young = tmp_path / ".qpv-2024.layer.4e5f6a7b.partiel"
    other = tmp_path / ".departements.layer.0a1b2c3d.partiel"  # another layer's: not this one's
    for leftover in (old, young, other):
        leftover.write_bytes(b"interrompu")
    two_hours_ago = time.time() - 2 * 3600
    for leftover in (old, other):
        os.utime(leftover, (two_hours_ago, two_hours_ago))
    cached_layer(reference_engine, "qpv", "2024", layer_version(reference_engine, "qpv", "2024"),
                 tmp_path)
    assert (tmp_path / "qpv-2024.layer").exists()
    assert not old.exists() and young.exists() and other.exists()
