"""The batch page's bounded executor (``app.verifier.executor``): at most ``BATCH_WORKERS``
jobs run at once, the others wait "en attente" and say how many jobs are before them, a
waiting job never reads as interrupted while its worker lives, and a worker that stops marks
its waiting jobs interrupted. Held by the local BAN's ``delay``; seen through its request log
and the jobs' states, never by mocking."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask

from app.db import EXTENSION, GEOCODER
from app.gunicorn_conf import worker_exit
from app.verifier import executor, jobs
from app.verifier.jobs import create_job, jobs_root
from tests.app.test_batch_page import flat, make_app, token, upload, wait
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


def test_with_one_worker_the_next_jobs_wait_in_order_then_run(sized_app, ban_server):
    client = sized_app(1).test_client()
    ban_server.delay = HELD_S
    first = submit(client, "seg")
    until_running(client, first)
    second, third = submit(client, "pel"), submit(client, "ami")

    assert state(client, second) == {"state": "queued", "label": "en attente", "rows_done": 0,
                                     "rows_total": 1, "message": None, "ahead": 0}
    assert state(client, third)["ahead"] == 1
    html = flat(client.get(third).text)
    assert "Traitement en attente" in html
    assert "En attente d'un emplacement libre : 1 lot(s) en attente avant le vôtre." in html
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


def test_with_two_workers_a_third_job_waits_for_a_free_slot(sized_app, ban_server):
    client = sized_app(2).test_client()
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


def test_a_job_waiting_in_a_live_worker_never_reads_as_interrupted(sized_app, ban_server,
                                                                    monkeypatch):
    # Ten minutes made two seconds: the first job holds the only thread longer than that.
    monkeypatch.setattr(jobs, "STALE_AFTER_S", 2)
    monkeypatch.setattr(executor, "HEARTBEAT_S", 0.2)
    client = sized_app(1).test_client()
    ban_server.delay = 1.5 * jobs.STALE_AFTER_S
    first = submit(client, "seg")
    until_running(client, first)
    # Coordinates: once started, the second job does not wait for the BAN (a running job's
    # state moves with its progress, not with the heartbeat).
    second = upload(client, b"id,lon,lat\npel,6.01763,44.516\n").headers["Location"]

    seen, deadline = [state(client, second)["state"]], time.monotonic() + 300
    while seen[-1] in ACTIVE:
        assert time.monotonic() < deadline, "le lot ne s'est pas terminé"
        time.sleep(0.05)
        seen.append(state(client, second)["state"])
    assert seen[0] == "queued" and seen[-1] == "done"
    assert "interrupted" not in seen
    assert state(client, first)["state"] == "done"


def test_a_queued_job_no_worker_holds_reads_as_interrupted(sized_app):
    # Synthetic: a job left queued by a worker that died 20 minutes ago.
    app = sized_app(1)
    client = app.test_client()
    job_id = create_job(jobs_root(app), FILES["pel"], "pel.csv", "current", 1, 1)
    path = jobs_root(app) / job_id / "progress.json"
    status = json.loads(path.read_text())
    status["updated_at"] = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    path.write_text(json.dumps(status))
    assert state(client, f"/verifier/lot/{job_id}")["state"] == "interrupted"

    client.post(f"/verifier/lot/{job_id}/relancer", data={"csrf_token": token(client)})
    assert wait(client, f"/verifier/lot/{job_id}")["state"] == "done"


def test_a_worker_that_exits_interrupts_its_waiting_jobs_and_finishes_the_running_one(
        sized_app, ban_server):
    app = sized_app(1)
    client = app.test_client()
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


def test_the_executor_size_is_a_setting(sized_app):
    assert sized_app(None).extensions[executor.EXTENSION].size == 2
    assert sized_app(3).extensions[executor.EXTENSION].size == 3
    for wrong in (0, "deux", True):
        bare = Flask(__name__)
        bare.config["BATCH_WORKERS"] = wrong
        with pytest.raises(ValueError, match="BATCH_WORKERS"):
            executor.init_app(bare)
