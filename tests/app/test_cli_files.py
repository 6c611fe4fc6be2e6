"""The files the commands write (``app.cli.common.write_whole``): whole or not at all, and a
file they would replace stays whole when writing fails (a disk full, simulated here: the
property needs a write that fails, which a real disk here does not give on demand)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from app.cli.common import write_whole


def test_a_file_appears_whole_and_replaces_the_old_one(tmp_path):
    target = tmp_path / "dossiers.csv"
    target.write_text("ancien\n", encoding="utf-8")
    write_whole(target, "numero;vague\r\n1;2024\r\n")
    assert target.read_bytes() == b"numero;vague\r\n1;2024\r\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dossiers.csv"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    target = tmp_path / "dossiers.csv"
    target.write_text("ancien\n", encoding="utf-8")
    write_text = Path.write_text

    def disk_full(path, text, *args, **kwargs):
        write_text(path, text[:3], *args, **kwargs)  # what a full disk leaves: a beginning
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(SystemExit) as end:
        write_whole(target, "numero;vague\r\n1;2024\r\n")
    assert end.value.code == 1
    assert capsys.readouterr().err.startswith(f"Erreur — {target} : écriture impossible (disque ")
    assert target.read_text(encoding="utf-8") == "ancien\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dossiers.csv"]
