"""Loading from a URL: a local HTTP server serves the shared files (the network is closed)."""

from __future__ import annotations

import functools
import hashlib
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from geodata.storage.models import Qpv
from loaders.errors import LoadError
from loaders.pipeline import load_source

pytestmark = pytest.mark.shared_data

PACA = "qpv/qpv2024_paca_carto_sante.geojson"


class CountingHandler(SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the stdlib's name
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path, data_dir):
    """A folder served on 127.0.0.1 holding a copy of the PACA file; yields (url, folder)."""
    folder = tmp_path / "www"
    (folder / "qpv").mkdir(parents=True)
    shutil.copy(data_dir / PACA, folder / PACA)
    CountingHandler.requests = []
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(CountingHandler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FABRIQUES_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def qpv_count(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Qpv))


def test_url_is_downloaded_checked_and_cached(engine, served, cache):
    base, _ = served
    report = load_source(engine, "qpv2024-paca", f"{base}/{PACA}", progress=False)

    assert report.status == "chargé" and qpv_count(engine) == 135
    assert list(cache.rglob("qpv2024_paca_carto_sante.geojson"))
    assert CountingHandler.requests == [f"/{PACA}"]

    again = load_source(engine, "qpv2024-paca", f"{base}/{PACA}", progress=False)

    assert again.status == "inchangé"
    assert CountingHandler.requests == [f"/{PACA}"]  # served from the cache


def test_checksum_mismatch_is_refused(engine, served, data_dir):
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    base, folder = served
    altered = folder / PACA
    altered.write_bytes(altered.read_bytes().replace(b'"n":"Centre Ville', b'"n":"Centre-ville'))

    with pytest.raises(LoadError) as error:
        load_source(engine, "qpv2024-paca", f"{base}/{PACA}", progress=False)

    assert "somme de contrôle" in str(error.value) and base in str(error.value)
    assert qpv_count(engine) == 135


def test_explicit_checksum_accepts_another_file(engine, served):
    base, folder = served
    altered = folder / PACA
    altered.write_bytes(altered.read_bytes().replace(b'"n":"Centre Ville', b'"n":"Centre-ville'))
    digest = hashlib.sha256(altered.read_bytes()).hexdigest()

    report = load_source(engine, "qpv2024-paca", f"{base}/{PACA}", sha256=digest, progress=False)

    assert report.status == "chargé"
    assert any("différente de celle du registre" in note for note in report.notes)


def test_unreachable_url_is_a_clear_error(engine):
    with pytest.raises(LoadError) as error:
        load_source(engine, "qpv2024-paca", "http://127.0.0.1:9/qpv.geojson", progress=False)
    assert "téléchargement impossible : connexion à 127.0.0.1 impossible" in str(error.value)


def test_a_missing_file_on_the_server_says_its_status(engine, served, cache):
    base, _ = served
    with pytest.raises(LoadError) as error:
        load_source(engine, "qpv2024-paca", f"{base}/qpv/absent.geojson", progress=False)
    assert "téléchargement impossible : le serveur répond HTTP 404" in str(error.value)
    assert f"{base}/qpv/absent.geojson" in str(error.value)
    assert not list(cache.rglob("absent.geojson")) and qpv_count(engine) == 0
