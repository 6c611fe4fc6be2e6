"""Batch jobs of /verifier/lot survive their worker, under real gunicorn processes started
with ``make serve``'s settings (``app.gunicorn_conf``), as ``tests/app/test_carte_cache.py``
starts them.

A worker is killed with SIGKILL while the local BAN holds one of its job's requests: the
replacement worker (or the other one) takes the job back once, from its kept upload; a
server stopped with SIGTERM (a deploy) while one job runs and one waits leaves both
"interrompu", never "en cours", and the restarted server finishes both. Each result has
every uploaded row once, in order, and no partial file is left. Which process holds a job
is read from the kernel's table of file locks (``/proc/locks``), as an operator would.

The instructor's account is made in the session's reference database and removed after.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from app.verifier.claims import LOCK
from app.verifier.jobs import INPUT, JOBS, OUTPUT, read_status
from geodata.files import leftovers
from tests.app.conftest import CSRF, PASSWORD
from tests.app.test_carte_cache import free_port
from tests.ban_server import ban_server_fixture  # noqa: F401
from tests.support import temporary_account

pytestmark = pytest.mark.shared_data

HELD_S = 3.0
"""How long the local BAN holds each answer (the geocoder's timeout is 5 s)."""
GUARD_S = 180
"""A guard against a hung server or job, not a speed claim."""
ADDRESSES = ("20 avenue de Ségur 75007", "Pelleautier 05000", "8 bd du port",
             "rue qui n'existe pas")


def addresses_file(rows: int, tag: str, addresses: tuple[str, ...] = ADDRESSES) -> bytes:
    """``rows`` address rows of ids ``<tag>-<n>``: one BAN request per 2,000 rows."""
    lines = [f"{tag}-{n},{addresses[n % len(addresses)]}" for n in range(rows)]
    return ("id,adresse\n" + "\n".join(lines) + "\n").encode()


@dataclass
class Server:
    """A gunicorn arbiter, its URL and its log, and a session logged in as an instructor."""

    process: subprocess.Popen
    url: str
    log: Path
    http: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.url + path, timeout=60, **kwargs)

    def log_in(self, email: str) -> None:
        token = CSRF.search(self.get("/connexion").text).group(1)
        answer = self.http.post(self.url + "/connexion", timeout=60, allow_redirects=False,
                                data={"email": email, "password": PASSWORD,
                                      "csrf_token": token})
        assert answer.status_code == 302, answer.text

    def upload(self, data: bytes, name: str) -> str:
        """Send a file through the batch page's form; the job's id."""
        token = CSRF.search(self.get("/verifier/lot").text).group(1)
        answer = self.http.post(self.url + "/verifier/lot", timeout=60, allow_redirects=False,
                                data={"policy": "current", "csrf_token": token},
                                files={"file": (name, data, "text/csv")})
        assert answer.status_code == 303, answer.text
        return answer.headers["Location"].rsplit("/", 1)[1]

    def state(self, job_id: str) -> dict:
        return self.get(f"/verifier/lot/{job_id}/etat").json()

    def until(self, job_id: str, test) -> dict:
        """Poll the job's state (as the page does) until ``test(state)``."""
        deadline = time.monotonic() + GUARD_S
        while not test(state := self.state(job_id)):
            assert time.monotonic() < deadline, state
            time.sleep(0.05)
        return state


@pytest.fixture
def instructor(reference_engine):
    """An instructor's email, in the shared reference database for this test only."""
    with temporary_account(reference_engine, "instructor", "lot-reprise") as email:
        yield email


@pytest.fixture
def serve(reference_engine, tmp_path, data_dir, ban_server, instructor):
    """``serve(workers, **env) -> Server``: gunicorn on the reference data and the local BAN,
    ready and logged in; stopped after the test."""
    started = []
    env = {**os.environ, "FABRIQUES_INSTANCE_PATH": str(tmp_path / "instance"),
           "FABRIQUES_DATABASE_URL": reference_engine.url.render_as_string(hide_password=False),
           "FABRIQUES_DATA_DIR": str(data_dir), "FABRIQUES_GEOCODER_URL": ban_server.url,
           "FABRIQUES_RATELIMIT": "off", "FABRIQUES_SESSION_COOKIE_SECURE": "false",
           "FABRIQUES_SECRET_KEY": uuid.uuid4().hex}  # every worker agrees from the start

    def start(workers: int, **settings) -> Server:
        port, log = free_port(), tmp_path / f"gunicorn-{len(started)}.log"
        with log.open("wb") as output:  # the server keeps its own copy of the file
            process = subprocess.Popen(
                [os.path.join(os.path.dirname(sys.executable), "gunicorn"),
                 "--config", "python:app.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(workers), "--graceful-timeout", "1", "--log-level",
                 "warning", "app:create_app()"],
                env={**env, **{f"FABRIQUES_{k}": v for k, v in settings.items()}},
                stderr=output)
        server = Server(process, f"http://127.0.0.1:{port}", log)
        started.append(server)
        deadline = time.monotonic() + GUARD_S
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "gunicorn n'a pas répondu"
            try:
                if server.get("/sante").ok:
                    break
            except (requests.ConnectionError, requests.Timeout):  # still warming its caches
                time.sleep(0.1)
        server.log_in(instructor)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.terminate()
            server.process.wait(timeout=60)
        print(server.log.read_text(errors="replace"))  # shown when the test fails


def holder(folder: Path) -> int | None:
    """The process holding a job's lock, from the kernel's table of file locks."""
    inode = (folder / LOCK).stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and fields[-3].rsplit(":", 1)[1] == str(inode):
            return int(fields[-4])
    return None


def resumed_by(server: Server, job_id: str) -> list[int]:
    """The processes that logged taking the job back."""
    return [int(pid) for pid in re.findall(
        rf"lot {job_id} interrompu : repris depuis le fichier déposé \(processus (\d+)\)",
        server.log.read_text())]


def result_ids(server: Server, job_id: str) -> list[str]:
    answer = server.get(f"/verifier/lot/{job_id}/resultat.csv")
    assert answer.status_code == 200
    rows = csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";")
    return [row["id"] for row in rows]


def expected_ids(rows: int, tag: str) -> list[str]:
    return [f"{tag}-{n}" for n in range(rows)]


def test_a_job_whose_worker_is_killed_is_resumed_once_by_another(serve, ban_server, tmp_path):
    server = serve(2)
    ban_server.delay = HELD_S
    job_id = server.upload(addresses_file(4500, "tue"), "tue.csv")
    folder = tmp_path / "instance" / JOBS / job_id
    # Past the first 2,000 rows, the BAN holding the second request: kill its worker.
    server.until(job_id, lambda state: state["rows_done"] >= 2000)
    deadline = time.monotonic() + GUARD_S
    while len(ban_server.requests) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    killed = holder(folder)
    assert killed is not None and killed != server.process.pid
    [partial] = leftovers(folder / OUTPUT)
    assert partial.stat().st_size > 0  # part of a result, on disk
    os.kill(killed, signal.SIGKILL)
    killed_at = time.monotonic()

    state = server.until(job_id, lambda state: state["state"] == "done")
    assert state["rows_done"] == state["rows_total"] == 4500
    assert result_ids(server, job_id) == expected_ids(4500, "tue")  # each row once, in order
    taken = resumed_by(server, job_id)
    assert len(taken) == 1 and taken[0] != killed
    assert [r.rows for r in ban_server.requests if r.at > killed_at] == [2000, 2000, 500]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [INPUT, OUTPUT, "progress.json", LOCK])  # no partial file, no cut write


def test_a_server_stopped_then_restarted_finishes_its_running_and_waiting_jobs(
        serve, ban_server, tmp_path):
    server = serve(1, BATCH_WORKERS="1")
    ban_server.delay = HELD_S
    running = server.upload(addresses_file(2500, "court"), "court.csv")
    server.until(running, lambda state: state["state"] == "running")
    deadline = time.monotonic() + GUARD_S
    while not ban_server.requests:  # its first request is held: none is in flight at the stop
        assert time.monotonic() < deadline
        time.sleep(0.01)
    waiting = server.upload(addresses_file(3, "attente", ("le Chazelet La Grave",)),
                            "attente.csv")
    assert server.state(waiting)["state"] == "queued"

    server.process.send_signal(signal.SIGTERM)  # a deploy: the running job outlives the
    server.process.wait(timeout=GUARD_S)  # graceful timeout, its worker is killed
    root = tmp_path / "instance" / JOBS
    assert [read_status(root, job)["state"] for job in (running, waiting)] == [
        "interrupted", "interrupted"]  # never a frozen "en cours"
    assert [r for r in ban_server.requests if "Chazelet" in r.data] == []
    before, ban_server.delay = len(ban_server.requests), 0

    restarted = serve(2)
    for job_id, rows, tag in ((running, 2500, "court"), (waiting, 3, "attente")):
        restarted.until(job_id, lambda state: state["state"] == "done")
        assert result_ids(restarted, job_id) == expected_ids(rows, tag)
        assert len(resumed_by(restarted, job_id)) == 1
        assert list(leftovers(root / job_id / OUTPUT)) == []
    assert sorted(r.rows for r in ban_server.requests[before:]) == [3, 500, 2000]

