"""A PostgreSQL cluster of a test's own (``initdb`` and ``pg_ctl`` of PostgreSQL 15, in a
temporary folder, on its own port: never the shared server), that a test stops and starts to
inject a database fault. Import ``own_postgres_fixture`` into a test module: its fixture is
``own_postgres``."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import unavailable

__all__ = ["PG_BIN", "OwnPostgres", "own_postgres_fixture"]

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class OwnPostgres:
    """A PostgreSQL cluster in its own folder and on its own port, that a test stops and
    starts; run as the ``postgres`` user when the tests run as root (``initdb`` refuses root)."""

    def __init__(self, folder: Path, port: int, as_user: list[str]):
        self.folder, self.port, self.as_user = folder, port, as_user
        self.data = folder / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def run(self, program: str, *args: str) -> None:
        """Run one of PostgreSQL's programs as the cluster's owner; its output on failure."""
        done = subprocess.run([*self.as_user, str(PG_BIN / program), *args], cwd=self.folder,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{program} : {done.stdout}{done.stderr}"

    def create(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--no-locale", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off")
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                 "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


def _owner() -> tuple[list[str], int | None]:
    """The command prefix that runs PostgreSQL's programs, and the uid owning its folder."""
    if os.geteuid() != 0:
        return [], None
    runuser = shutil.which("runuser")
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        uid = None
    if runuser is None or uid is None:
        unavailable("initdb refuse root : il faut runuser et l'utilisateur postgres")
    return [runuser, "-u", "postgres", "--"], uid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module", name="own_postgres")
def own_postgres_fixture() -> Iterator[OwnPostgres]:
    """A running cluster of its own, with nothing in it yet."""
    if not all((PG_BIN / program).is_file() for program in ("initdb", "pg_ctl", "postgres")):
        unavailable(f"PostgreSQL 15 absent ({PG_BIN}) : paquet postgresql-15-postgis-3")
    as_user, uid = _owner()
    folder = Path(tempfile.mkdtemp(prefix="fabriques-pg-"))
    if uid is not None:
        os.chown(folder, uid, -1)
    cluster = OwnPostgres(folder, _free_port(), as_user)
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


