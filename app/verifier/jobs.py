"""Batch jobs of the checker: the geocoding an address batch uses, and the batch page's jobs.

A job of the page ``/verifier/lot`` lives in ``instance/lots/<uuid4>/``: ``entree.csv``
(the file as uploaded), ``progress.json`` (its owner's account id, state, rows done and
total, then the report), ``worker.lock`` (``app.verifier.claims``) and, once done,
``resultat.csv`` (UTF-8 with BOM, semicolons, decimal commas: French spreadsheets open it as
is). ``run`` does the work in a thread of the bounded executor of the worker that holds the
job's claim (``app.verifier.executor``); a job waiting for a free thread stays ``queued``,
with ``ahead`` (jobs waiting before it). Every state is written to disk whole or not at all
(``geodata.files``: written beside, then renamed) so that any gunicorn worker can answer for
any job. The result too takes its name only when whole; on failure the partial file is
removed and the upload kept, so the job can be started again.

A job is claimed from its creation to its end. One whose state says "queued" or "running"
while nobody holds its claim lost its worker (killed, stopped, restarted): it reads as
``interrupted`` at once, and ``reclaim`` lets a worker take it back from its kept upload,
starting from row one (the leftovers of the lost run are removed). Jobs whose last update is
older than ``MAX_AGE_S`` are deleted when a new job is created.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from app.db import get_engine, get_geocoder, postcodes
from app.verifier.claims import Claim, claim, is_held
from geodata.checks import address_geocoding
from geodata.eligibility.addresses import AddressLocations, read_batch, write_batch
from geodata.eligibility.batch import BatchReport
from geodata.eligibility.engine import EligibilityError
from geodata.eligibility.given import given_columns
from geodata.eligibility.reading import BatchError
from geodata.files import leftovers, write_whole, written_whole
from geodata.geocoder import BanClient, GeocoderError
from geodata.policy import PolicyError, load_policy
from geodata.storage.reference import reference_index

__all__ = [
    "INPUT",
    "JOBS",
    "OUTPUT",
    "RESTARTABLE",
    "RESUMABLE",
    "create_job",
    "interrupted_jobs",
    "jobs_root",
    "mark_interrupted",
    "mark_waiting",
    "may_restart",
    "purge",
    "read_status",
    "reclaim",
    "run",
]

JOBS = "lots"
INPUT, OUTPUT, STATUS = "entree.csv", "resultat.csv", "progress.json"
MAX_AGE_S = 24 * 3600
LISTED = 1000
"""Rows in error (and to check) kept in the report; all of them are in the CSV."""
PROGRESS_CHUNK = 2000
ACTIVE = ("queued", "running")
RESUMABLE = (*ACTIVE, "interrupted")
"""States on disk of a job that did not end: a worker that starts takes it back."""
RESTARTABLE = (*RESUMABLE, "failed")
"""States on disk of a job that can be started again by hand (and a job done with addresses
the geocoder did not answer for: ``may_restart``)."""


def may_restart(status: dict) -> bool:
    """Whether a job can be started again by hand: it failed, was interrupted, or left
    addresses unplaced because the geocoder was out of reach."""
    return status.get("state") in RESTARTABLE or (
        status.get("state") == "done" and bool((status.get("report") or {}).get("ungeocoded")))


def jobs_root(app: Flask) -> Path:
    """The folder holding every job of the application."""
    return Path(app.instance_path) / JOBS


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _age_s(stamp: str | None, folder: Path) -> float:
    try:
        return time.time() - datetime.fromisoformat(stamp).timestamp()
    except (TypeError, ValueError):
        return time.time() - folder.stat().st_mtime


def _write_status(folder: Path, status: dict) -> None:
    status["updated_at"] = _now()
    write_whole(folder / STATUS, json.dumps(status, ensure_ascii=False))


def _raw_status(folder: Path) -> dict | None:
    """A job's state file as written, None when it is missing or unreadable."""
    try:
        return json.loads((folder / STATUS).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None


def read_status(root: Path, job_id: str) -> dict | None:
    """A job's state as last written (``interrupted`` if active but held by no worker), None
    when there is no such job."""
    folder = root / job_id
    status = _raw_status(folder)
    if status is not None and status["state"] in ACTIVE and not is_held(folder):
        # Its worker may have ended it between the read and the look: a worker writes the
        # last state before letting go, so what is on disk now is the truth.
        status = _raw_status(folder)
        if status is not None and status["state"] in ACTIVE:
            status["state"] = "interrupted"
    return status


def purge(root: Path, max_age_s: float = MAX_AGE_S) -> list[str]:
    """Delete jobs last updated more than ``max_age_s`` ago (and held by no worker); their
    ids."""
    removed = []
    for folder in root.iterdir() if root.is_dir() else ():
        if not folder.is_dir():
            continue
        try:
            stamp = json.loads((folder / STATUS).read_text(encoding="utf-8")).get("updated_at")
        except (OSError, ValueError):
            stamp = None
        if _age_s(stamp, folder) > max_age_s and not is_held(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def create_job(root: Path, data: bytes, filename: str, policy: str, rows: int,
               addresses: int, owner: int) -> tuple[str, Claim]:
    """Purge old jobs, then keep the upload and a queued state owned by the account
    ``owner``; the new job's id and this process's claim on it."""
    purge(root)
    job_id = str(uuid.uuid4())
    folder = root / job_id
    folder.mkdir(parents=True)
    held = claim(folder)  # before any state: no worker ever sees it unclaimed
    if held is None:  # a new uuid4 folder: nobody else knows it
        raise RuntimeError(f"lot {job_id} : verrou impossible")
    (folder / INPUT).write_bytes(data)
    _write_status(folder, {"id": job_id, "owner": owner, "state": "queued",
                           "filename": filename, "policy": policy, "rows_total": rows,
                           "rows_done": 0, "addresses": addresses, "created_at": _now(),
                           "message": None, "report": None, "ahead": None})
    return job_id, held


def interrupted_jobs(root: Path) -> list[Path]:
    """The folders of the jobs whose state on disk says they did not end (``RESUMABLE``),
    oldest first; some may be running in a live worker (``reclaim`` tells)."""
    found = []
    for folder in root.iterdir() if root.is_dir() else ():
        status = _raw_status(folder)
        if status is not None and status.get("state") in RESUMABLE:
            found.append((status.get("created_at") or "", folder.name, folder))
    return [folder for *_key, folder in sorted(found)]


def _requeue(folder: Path, status: dict) -> None:
    """Remove a lost run's leftovers, then put the job back in the queued state."""
    for leftover in (*leftovers(folder / OUTPUT), *leftovers(folder / STATUS)):
        leftover.unlink(missing_ok=True)  # part of a result, a state write cut short
    status.update(state="queued", rows_done=0, message=None, report=None, ahead=None)
    _write_status(folder, status)


def reclaim(folder: Path, by_hand: bool = False) -> Claim | None:
    """Claim the job of ``folder`` and put it back in the queue if its state on disk says it
    did not end (``RESUMABLE``), or, ``by_hand``, that it may be started again
    (``may_restart``); the claim, or None (held by a live worker, ended, or gone)."""
    held = claim(folder)
    if held is None:
        return None
    status = _raw_status(folder)  # read again, now that nobody else can change it
    if status is None or not (may_restart(status) if by_hand
                              else status.get("state") in RESUMABLE):
        held.release()
        return None
    _requeue(folder, status)
    return held


def _update_queued(folder: Path, **changes) -> None:
    try:
        status = json.loads((folder / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # deleted by hand: nothing left to say about it
        return
    if status["state"] == "queued":
        status.update(changes)
        _write_status(folder, status)


def mark_waiting(folder: Path, ahead: int) -> None:
    """Write again a queued job's state, fresh, with the number of jobs waiting before it."""
    _update_queued(folder, ahead=ahead)


def mark_interrupted(folder: Path) -> None:
    """Say a queued job will not start (its worker stops): it can be restarted."""
    _update_queued(folder, state="interrupted", ahead=None)


def _report(report: BatchReport) -> dict:
    return {"rows": report.rows, "classified": report.classified,
            "geocoded": report.geocoded, "ungeocoded": report.ungeocoded,
            "at_commune": report.at_commune,
            "categories": report.categories,
            "errors": report.errors[:LISTED], "errors_count": len(report.errors),
            "warnings": report.warnings[:LISTED], "warnings_count": len(report.warnings)}


def run(app: Flask, folder: Path) -> None:
    """Classify a job's upload, writing its progress, then its report or its failure."""
    status = json.loads((folder / STATUS).read_text(encoding="utf-8"))
    status.update(state="running", ahead=None)
    _write_status(folder, status)
    try:
        with app.app_context():
            report = _classify(app, folder, status)
        status.update(state="done", rows_done=status["rows_total"], report=_report(report))
    except GeocoderError as error:
        status.update(state="failed", message=f"Base Adresse Nationale indisponible : {error}")
    except (BatchError, PolicyError, EligibilityError) as error:
        status.update(state="failed", message=str(error))
    except Exception:  # noqa: BLE001 - the job's page must say it stopped
        app.logger.exception("lot %s", folder.name)
        status.update(state="failed", message="erreur interne : le traitement s'est arrêté")
    finally:
        _write_status(folder, status)


def _classify(app: Flask, folder: Path, status: dict) -> BatchReport:
    policy = load_policy(status["policy"])
    data = (folder / INPUT).read_bytes()
    locations = read_batch(data)
    locations.given = given_columns(data, locations)  # the page's file keeps them
    status["rows_total"] = len(locations.ids)
    engine = get_engine()
    index = reference_index(engine, policy.qpv_vintage)

    def progress(rows: int) -> None:
        status["rows_done"] += rows
        _write_status(folder, status)

    with BanClient(app.config["GEOCODER_URL"]) as client:
        client.limiter = get_geocoder().limiter  # one pace for the whole worker
        geocoding = replace(address_geocoding(engine, client, postcodes()), outage_kept=True) \
            if isinstance(locations, AddressLocations) else None  # the rest still classified
        with written_whole(folder / OUTPUT, binary=True) as target:
            return write_batch(index, policy, locations, target, geocoding=geocoding,
                               progress=progress, chunk=PROGRESS_CHUNK, spreadsheet=True)
