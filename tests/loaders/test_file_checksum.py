"""``loaders.read.file_checksum``: a settled file is read once per process, and a file
changed in any way is read again (small files written here)."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from loaders import read
from loaders.errors import LoadError


def sha(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def settled(path, data: bytes):
    """``path`` holding ``data``, its times an hour old (the change time cannot be set back:
    ``SETTLED_NS`` is made small instead, by the caller)."""
    path.write_bytes(data)
    an_hour_ago = path.stat().st_mtime - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    return path


@pytest.fixture
def reads(monkeypatch):
    """The files ``file_checksum`` read, in order; every file counts as settled at once."""
    seen = []
    real = read._read_checksum

    def counted(path):
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(read, "_read_checksum", counted)
    monkeypatch.setattr(read, "SETTLED_NS", 0)
    read._settled_checksum.cache_clear()
    yield seen
    read._settled_checksum.cache_clear()


def test_a_settled_file_is_read_once(tmp_path, reads):
    path = settled(tmp_path / "qpv.geojson", b"{}")
    assert read.file_checksum(path) == read.file_checksum(str(path)) == sha(b"{}")
    assert reads == ["qpv.geojson"]


def test_a_file_rewritten_with_the_same_size_and_times_is_read_again(tmp_path, reads):
    path = settled(tmp_path / "qpv.geojson", b"AAAA")
    before = path.stat()
    assert read.file_checksum(path) == sha(b"AAAA")
    while path.stat().st_ctime_ns == before.st_ctime_ns:  # the clock's next tick
        time.sleep(0.001)
        path.write_bytes(b"BBBB")  # same size; its times set back as they were
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert read.file_checksum(path) == sha(b"BBBB")
    assert reads == ["qpv.geojson", "qpv.geojson"]


def test_a_file_just_changed_is_read_every_time(tmp_path, monkeypatch):
    read._settled_checksum.cache_clear()
    monkeypatch.setattr(read, "SETTLED_NS", 3600 * 10**9)
    path = tmp_path / "qpv.geojson"
    path.write_bytes(b"AAAA")
    assert read.file_checksum(path) == sha(b"AAAA")
    path.write_bytes(b"BBBB")
    assert read.file_checksum(path) == sha(b"BBBB")
    assert read._settled_checksum.cache_info().currsize == 0


def test_a_missing_file_or_a_folder_is_a_load_error(tmp_path):
    with pytest.raises(LoadError, match="fichier introuvable"):
        read.file_checksum(tmp_path / "absent.csv")
    with pytest.raises(LoadError):
        read.file_checksum(tmp_path)
