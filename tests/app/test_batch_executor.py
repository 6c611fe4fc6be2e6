"""The batch page's bounded executor (``app.verifier.executor``): at most ``BATCH_WORKERS``
jobs run at once, the others wait "en attente" and say how many jobs are before them; a job
reads as active exactly while a worker holds its claim (``app.verifier.claims``), however old
its last write, and as interrupted as soon as none does; a worker that stops lets its
waiting jobs go, and a worker that starts takes back, once, every job that lost its worker,
from row one. Held by the local BAN's ``delay``; seen through its request log and the jobs'
states and files, never by mocking. Workers are apps of one process here (a claim excludes
another open file of the same process as it does another process);
``tests/app/test_batch_resume.py`` kills real gunicorn workers."""

from __future__ import annotations

import csv
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask

from app.db import EXTENSION, GEOCODER
from app.gunicorn_conf import worker_exit
from app.verifier import executor, jobs
from app.verifier.jobs import INPUT, OUTPUT, create_job, jobs_root
from geodata.storage.accounts import user_by_email
from tests.app.test_batch_page import (
    flat,
    make_app,
    sign_in_fixture,  # noqa: F401
    token,
    upload,
    wait,
)
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

HELD_S = 2.0
"""How long the local BAN holds each answer: the first job keeps its thread that long."""
FILES = {name: f"id,adresse\n{name},{address}\n".encode() for name, address in (
    ("seg", "20 avenue de Ségur 75007"), ("pel", "Pelleautier 05000"),
    ("ami", "8 bd du port"))}
"""One address file per job; each job's BAN request is told apart by its address."""
ACTIVE = ("queued", "running")


@pytest.fixture
def sized_app(reference_engine, tmp_path, data_dir, ban_server):
    """``sized_app(workers)``: the app with an executor of ``workers`` threads."""
    built = []

    def build(workers: int | None):
        sized = {} if workers is None else {"BATCH_WORKERS": workers}
        built.append(make_app(reference_engine, tmp_path / "instance", data_dir, ban_server,
                              **sized))
        return built[-1]

    yield build
    for app in built:
        executor.shutdown(app, wait=True)
        app.extensions[EXTENSION].dispose()
        app.extensions[GEOCODER].close()


@pytest.fixture
def client_of(sign_in):
    """``client_of(app)``: a client of ``app`` logged in as a new instructor (``.owner``: the
    account id)."""

    def logged(app):
        client = app.test_client()
        email = sign_in(client)
        client.owner = user_by_email(app.extensions[EXTENSION], email).id
        return client

    return logged


def state(client, job_url: str) -> dict:
    return client.get(job_url + "/etat").json


def submit(client, name: str) -> str:
    """Upload one of ``FILES``; the job's page."""
    response = upload(client, FILES[name], filename=f"{name}.csv")
    assert response.status_code == 303
    return response.headers["Location"]


def until_running(client, job_url: str) -> None:
    deadline = time.monotonic() + 60  # a guard against a hung job, not a speed claim
    while state(client, job_url)["state"] != "running":
        assert time.monotonic() < deadline, "le lot n'a pas commencé"
        time.sleep(0.02)


def most_at_once(ban_server) -> int:
    """The most BAN requests held at the same time (each is held ``delay`` seconds)."""
    starts = [r.at for r in ban_server.requests if r.path == "/search/csv/"]
    return max(sum(1 for other in starts if other <= at < other + ban_server.delay)
               for at in starts)


def test_with_one_worker_the_next_jobs_wait_in_order_then_run(sized_app, client_of,
                                                               ban_server):
    client = client_of(sized_app(1))
    ban_server.delay = HELD_S
    first = submit(client, "seg")
    until_running(client, first)
    second, third = submit(client, "pel"), submit(client, "ami")

    assert state(client, second) == {"state": "queued", "label": "en attente", "rows_done": 0,
                                     "rows_total": 1, "message": None, "ahead": 0}
    assert state(client, third)["ahead"] == 1
    html = flat(client.get(third).text)
    assert "Traitement en attente" in html
    assert "En attente d'un emplacement libre : 1 lot en attente avant le vôtre." in html
    assert "qu'un lot en cours sera terminé" in flat(client.get(second).text)

    seen, deadline = [], time.monotonic() + 300  # a guard against a hung job
    while not seen or any(s in ACTIVE for s in seen[-1]):
        assert time.monotonic() < deadline, seen[-1]
        # Later jobs first: a job seen running had its elders done before.
        seen.append(tuple(state(client, url)["state"] for url in (third, second, first)))
        assert seen[-1].count("running") <= 1, seen[-1]
        time.sleep(0.05)
    assert seen[-1] == ("done", "done", "done")
    for later, earlier in ((0, 1), (1, 2)):
        assert all(s[earlier] == "done" for s in seen if s[later] == "running"), seen
    assert not any("interrupted" in s for s in seen)
    assert most_at_once(ban_server) == 1
    order = [r.data for r in ban_server.requests if r.path == "/search/csv/"]
    assert ["Ségur" in order[0], "Pelleautier" in order[1], "port" in order[2]] == [True] * 3
    assert "Télécharger le fichier enrichi" in flat(client.get(third).text)


def test_with_two_workers_a_third_job_waits_for_a_free_slot(sized_app, client_of,
                                                             ban_server):
    client = client_of(sized_app(2))
    ban_server.delay = HELD_S
    first, second = submit(client, "seg"), submit(client, "pel")
    until_running(client, first)
    until_running(client, second)
    third = submit(client, "ami")

    assert state(client, third)["state"] == "queued"
    assert "En attente d'un emplacement libre" in flat(client.get(third).text)
    for url in (third, second, first):
        assert wait(client, url)["state"] == "done"
    assert most_at_once(ban_server) == 2


def age(folder, minutes: float, **changes) -> None:
    """Synthetic: rewrite a job's state as last written ``minutes`` ago, with ``changes``."""
    path = folder / "progress.json"
    status = json.loads(path.read_text())
    status.update(changes, updated_at=(datetime.now(UTC) - timedelta(minutes=minutes))
                  .isoformat())
    path.write_text(json.dumps(status))


def test_a_job_reads_as_active_while_a_worker_holds_it_and_interrupted_once_let_go(
        sized_app, client_of):
    app = sized_app(1)
    client = client_of(app)
    job_id, held = create_job(jobs_root(app), FILES["pel"], "pel.csv", "current", 1, 1,
                              owner=client.owner)
    url = f"/verifier/lot/{job_id}"
    age(jobs_root(app) / job_id, 20, state="running")  # a long BAN answer: no write for long
    assert state(client, url)["state"] == "running"
    held.release()  # its worker dies, just after a write
    age(jobs_root(app) / job_id, 0)
    assert state(client, url)["state"] == "interrupted"
    assert "Relancer le traitement" in client.get(url).text


def test_a_job_that_ends_as_its_state_is_read_reads_as_ended_not_interrupted(
        sized_app, client_of, monkeypatch):
    # The interleaving CI met once: the page reads "running", then the worker writes "done"
    # and lets go, then the page looks at the lock. Forced here by running the worker's two
    # last steps just before the look.
    app = sized_app(1)
    client = client_of(app)
    job_id, held = create_job(jobs_root(app), FILES["pel"], "pel.csv", "current", 1, 1,
                              owner=client.owner)
    folder = jobs_root(app) / job_id
    age(folder, 0, state="running")
    real_look = jobs.is_held

    def worker_ends_first(looked_at):
        if held.held:
            age(folder, 0, state="done")
            held.release()
        return real_look(looked_at)

    monkeypatch.setattr(jobs, "is_held", worker_ends_first)
    assert state(client, f"/verifier/lot/{job_id}")["state"] == "done"
    assert not held.held  # the look did happen after the worker let go


def test_a_queued_job_no_worker_holds_reads_as_interrupted(sized_app, client_of):
    # Synthetic: a job left queued by a worker that died a moment ago.
    app = sized_app(1)
    client = client_of(app)
    job_id, held = create_job(jobs_root(app), FILES["pel"], "pel.csv", "current", 1, 1,
                              owner=client.owner)
    held.release()
    assert state(client, f"/verifier/lot/{job_id}")["state"] == "interrupted"

    client.post(f"/verifier/lot/{job_id}/relancer", data={"csrf_token": token(client)})
    assert wait(client, f"/verifier/lot/{job_id}")["state"] == "done"


def test_a_worker_that_exits_lets_its_waiting_jobs_go_and_the_next_one_takes_them_back(
        sized_app, client_of, ban_server):
    app = sized_app(1)
    client = client_of(app)
    ban_server.delay = HELD_S
    first = submit(client, "seg")
    until_running(client, first)
    second = submit(client, "pel")
    assert state(client, second)["state"] == "queued"

    worker_exit(None, SimpleNamespace(wsgi=app))  # gunicorn's hook, as a worker exits

    assert state(client, second)["state"] == "interrupted"
    assert "Relancer le traitement" in client.get(second).text
    executor.shutdown(app, wait=True)
    assert state(client, first)["state"] == "done"
    assert [r.data for r in ban_server.requests if "Pelleautier" in r.data] == []

    ban_server.delay = 0
    assert executor.start_resuming(sized_app(1)) == [second.rsplit("/", 1)[1]]  # next worker
    assert wait(client, second)["state"] == "done"
    assert len([r for r in ban_server.requests if "Pelleautier" in r.data]) == 1


def killed_run(app, owner: int, rows: int) -> str:
    """Synthetic: a job whose worker was killed mid-run, leaving its state "running" after
    half the rows, half a result file and a state write cut short; its id."""
    data = "id,adresse\n" + "".join(f"r{n},Pelleautier 05000\n" for n in range(rows))
    job_id, held = create_job(jobs_root(app), data.encode(), "tue.csv", "current", rows, rows,
                              owner=owner)
    folder = jobs_root(app) / job_id
    held.release()  # the kill
    age(folder, 0, state="running", rows_done=rows // 2)
    (folder / f".{jobs.OUTPUT}.0a1b2c3d.partiel").write_bytes(b"id;lon\nr0;6,01763\n")
    (folder / f".{jobs.STATUS}.4e5f6a7b.partiel").write_text('{"state": "runn')
    return job_id


def test_workers_that_start_take_back_a_killed_run_once_with_every_row_once(
        sized_app, client_of, ban_server):
    first, second = sized_app(1), sized_app(1)
    client = client_of(first)
    killed = killed_run(first, client.owner, 3)
    ended = {name: create_job(jobs_root(first), FILES["seg"], f"{name}.csv", "current", 1, 1,
                              owner=client.owner) for name in ("done", "failed")}
    for name, (job_id, held) in ended.items():
        age(jobs_root(first) / job_id, 0, state=name)
        held.release()
    busy, busy_claim = create_job(jobs_root(first), FILES["ami"], "ami.csv", "current", 1, 1,
                                  owner=client.owner)  # held by a live worker
    ban_server.delay = HELD_S  # both workers look while the taken job still runs

    with ThreadPoolExecutor(2) as starting:  # two workers start at the same moment
        taken = list(starting.map(executor.start_resuming, (first, second)))
    assert sorted(taken, key=len) == [[], [killed]]
    assert state(client, f"/verifier/lot/{killed}")["state"] in ACTIVE
    assert executor.resume(first) == executor.resume(second) == []  # it is held now
    assert wait(client, f"/verifier/lot/{killed}")["state"] == "done"
    assert executor.resume(first) == executor.resume(second) == []  # it has ended

    folder = jobs_root(first) / killed
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [INPUT, OUTPUT, "progress.json", "worker.lock"])  # no partial, no cut write
    rows = csv.DictReader(io.StringIO((folder / OUTPUT).read_text("utf-8-sig")), delimiter=";")
    assert [row["id"] for row in rows] == ["r0", "r1", "r2"]
    assert [r.rows for r in ban_server.requests if "Pelleautier" in r.data] == [3]
    assert [r for r in ban_server.requests if "Ségur" in r.data or "port" in r.data] == []
    assert state(client, f"/verifier/lot/{busy}")["state"] == "queued"
    busy_claim.release()


def test_a_worker_looks_again_for_jobs_that_lost_theirs(sized_app, client_of):
    app = sized_app(1)
    client = client_of(app)
    assert executor.start_resuming(app, every_s=0.1) == []
    job_id = killed_run(app, client.owner, 2)  # a worker that started earlier, killed now
    seen, deadline = [], time.monotonic() + 60  # a guard: without a look, never done
    while not seen or seen[-1] != "done":
        assert time.monotonic() < deadline, seen[-1]
        seen.append(state(client, f"/verifier/lot/{job_id}")["state"])
        time.sleep(0.02)


def test_the_executor_size_is_a_setting(sized_app):
    assert sized_app(None).extensions[executor.EXTENSION].size == 2
    assert sized_app(3).extensions[executor.EXTENSION].size == 3
    for wrong in (0, "deux", True):
        bare = Flask(__name__)
        bare.config["BATCH_WORKERS"] = wrong
        with pytest.raises(ValueError, match="BATCH_WORKERS"):
            executor.init_app(bare)
