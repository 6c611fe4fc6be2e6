"""Files written whole or not at all (``geodata.files``), and the commands' way of saying a
write failed (``app.cli.common.write_or_fail``).

A write the system refuses midway is a real one here: the process's file size limit
(``RLIMIT_FSIZE``, restored after) makes the kernel refuse the bytes past it with EFBIG, as
a full disk refuses them with ENOSPC (Python ignores the SIGXFSZ that comes with it).
"""

from __future__ import annotations

import errno
import os
import resource
import stat
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.cli.common import write_or_fail
from geodata.files import (
    leftovers,
    remove_abandoned,
    write_all_whole,
    write_whole,
    written_whole,
)

PROJECT = Path(__file__).resolve().parents[2]


@contextmanager
def file_size_limit(size: int):
    """No file of this process may grow past ``size`` bytes inside the block."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_a_file_appears_whole_and_replaces_the_old_one(tmp_path):
    target = tmp_path / "dossiers.csv"
    target.write_text("ancien\n", encoding="utf-8")
    write_whole(target, "numero;vague\r\n1;2024\r\n")
    assert target.read_bytes() == b"numero;vague\r\n1;2024\r\n"
    assert [path.name for path in tmp_path.iterdir()] == ["dossiers.csv"]


def test_a_write_refused_midway_keeps_the_old_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "resultat.csv"
    target.write_bytes(b"ancien\n")
    with file_size_limit(1000), pytest.raises(OSError) as refused:
        write_whole(target, b"x" * 5000)
    assert refused.value.errno == errno.EFBIG
    assert target.read_bytes() == b"ancien\n"
    assert [path.name for path in tmp_path.iterdir()] == ["resultat.csv"]


def test_an_interruption_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "index.pickle"
    target.write_bytes(b"ancien")
    with pytest.raises(KeyboardInterrupt), written_whole(target, binary=True) as handle:
        handle.write(b"nouveau, mais pas en entier")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"ancien"
    assert [path.name for path in tmp_path.iterdir()] == ["index.pickle"]


def test_the_file_gets_the_usual_permissions_not_a_temporary_files(tmp_path):
    usual = tmp_path / "usuel.txt"
    usual.write_text("")
    target = tmp_path / "fabriques.csv"
    write_whole(target, "numero\n")
    assert target.stat().st_mode == usual.stat().st_mode  # mkstemp would have given 0600


def test_two_writers_of_one_file_do_not_mix_their_parts(tmp_path):
    target = tmp_path / "statut.json"
    with written_whole(target) as first, written_whole(target) as second:
        first.write('{"etat": "en cours"')
        second.write('{"etat": "fini"}')
        first.write(', "lignes": 10}')
    # the first's block ended last: its whole file is the one in place
    assert target.read_text(encoding="utf-8") == '{"etat": "en cours", "lignes": 10}'
    assert [path.name for path in tmp_path.iterdir()] == ["statut.json"]


def test_files_that_go_together_all_stay_old_when_one_cannot_be_written(tmp_path):
    old = {tmp_path / name: f"ancien {name}".encode() for name in ("a.csv", "b.json", "c.json")}
    for path, content in old.items():
        path.write_bytes(content)
    new = {tmp_path / "a.csv": b"a" * 100, tmp_path / "b.json": b"b" * 5000,
           tmp_path / "c.json": b"c" * 100}
    with file_size_limit(1000), pytest.raises(OSError):
        write_all_whole(new)
    assert {path: path.read_bytes() for path in tmp_path.iterdir()} == old
    write_all_whole(new)
    assert {path: path.read_bytes() for path in tmp_path.iterdir()} == new


def test_a_writer_killed_midway_leaves_a_draft_that_leftovers_finds(tmp_path):
    target = tmp_path / "couche.bin"
    target.write_bytes(b"ancien")
    killed = ("import os, sys; from geodata.files import written_whole; "
              "writing = written_whole(sys.argv[1], binary=True); handle = writing.__enter__(); "
              "handle.write(b'debut'); handle.flush(); os._exit(9)")
    ended = subprocess.run([sys.executable, "-c", killed, str(target)], cwd=PROJECT,
                           check=False)
    assert ended.returncode == 9
    assert target.read_bytes() == b"ancien"
    drafts = list(leftovers(target))
    assert len(drafts) == 1 and drafts[0].read_bytes() == b"debut"
    assert drafts[0].name.startswith(".couche.bin.") and drafts[0].name.endswith(".partiel")
    assert list(leftovers(tmp_path / "autre.bin")) == []


def test_a_command_says_in_french_why_its_file_was_not_written(tmp_path, capsys):
    target = tmp_path / "dossiers.csv"
    target.write_text("ancien\n", encoding="utf-8")
    with file_size_limit(100), pytest.raises(SystemExit) as end:
        write_or_fail(target, "numero;vague\r\n" * 100)
    assert end.value.code == 1
    assert capsys.readouterr().err == (
        f"Erreur — {target} : écriture impossible (fichier trop grand pour ce système de "
        f"fichiers) ; rien n'est écrit, un fichier qui était là est intact.\n")
    assert target.read_text(encoding="utf-8") == "ancien\n"
    assert [path.name for path in tmp_path.iterdir()] == ["dossiers.csv"]


def test_a_missing_folder_is_said_in_french(tmp_path, capsys):
    with pytest.raises(SystemExit):
        write_or_fail(tmp_path / "absent" / "dossiers.csv", "numero\n")
    assert "(fichier ou dossier introuvable)" in capsys.readouterr().err
    assert not (tmp_path / "absent").exists()
    assert os.listdir(tmp_path) == []


def test_only_the_drafts_old_enough_not_to_be_a_writer_at_work_are_removed(tmp_path):
    target = tmp_path / "couche.bin"
    old, young = (tmp_path / f".couche.bin.{tag}.partiel" for tag in ("0a1b2c3d", "4e5f6a7b"))
    other = tmp_path / ".autre.bin.0a1b2c3d.partiel"
    for draft in (old, young, other):
        draft.write_bytes(b"interrompu")
    two_hours_ago = time.time() - 2 * 3600
    for draft in (old, other):
        os.utime(draft, (two_hours_ago, two_hours_ago))
    remove_abandoned(target)
    assert not old.exists() and young.exists() and other.exists()


def test_a_named_pipe_or_a_device_is_written_through_never_replaced(tmp_path):
    """``fabriques classify … -o /dev/null`` run as root moved a plain file in place of
    /dev/null, for every program of the machine. A named pipe stands in for the device here
    (a test may not make device nodes): written into, and still a pipe after."""
    pipe = tmp_path / "tuyau"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")),
                              daemon=True)  # never left waiting on a pipe replaced
    reader.start()
    write_whole(pipe, "id,categorie\n1,qpv\n")
    reader.join(timeout=10)
    assert received == ["id,categorie\n1,qpv\n"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert list(leftovers(pipe)) == []
