"""The bounded executor of the batch page's jobs: one ``ThreadPoolExecutor`` per application
(so one per gunicorn worker process), of ``BATCH_WORKERS`` threads.

Every job the executor is given comes with this process's claim on it
(``app.verifier.claims``), held while the job waits and while it runs, released when it ends:
a job held by no live worker reads as interrupted at once. A job submitted while every
thread is busy stays ``queued`` ("en attente") on disk, with ``ahead``: how many jobs of the
same executor wait before it, written again whenever the queue moves.

``resume(app)`` takes back the jobs that lost their worker (killed, stopped, restarted): it
claims each job whose state did not end and that no live process holds, and queues it again
from its kept upload. gunicorn calls ``start_resuming`` as a worker starts
(``app.gunicorn_conf.post_worker_init``): the worker resumes what it can claim at once, then
looks again every ``RESCAN_S`` seconds (jobs let go by a worker stopped after the others
started, as on a reload). Two workers never take the same job: the claim is exclusive.

``shutdown(app)`` stops looking, marks the jobs not yet started ``interrupted`` and lets them
go (the next worker to start takes them back), and lets the running ones finish: the
interpreter waits for them as it exits (the standard library's rule), gunicorn up to its
graceful timeout, after which they are killed with their worker and read as interrupted
too. gunicorn calls it when a worker exits (``app.gunicorn_conf.worker_exit``). Threads
start with the first job or with ``start_resuming``, never before a fork.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from flask import Flask

from app.verifier.claims import Claim
from app.verifier.jobs import (
    interrupted_jobs,
    jobs_root,
    mark_interrupted,
    mark_waiting,
    reclaim,
    run,
)

__all__ = ["EXTENSION", "JobExecutor", "init_app", "restart_job", "resume", "shutdown",
           "start_job", "start_resuming"]

EXTENSION = "fabriques.batch_executor"
RESCAN_S = 60.0
"""Seconds between two looks of a worker for jobs that lost theirs."""


class JobExecutor:
    """A thread pool of bounded size, and the jobs waiting for it, in order, with their
    claims."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pool = ThreadPoolExecutor(size, thread_name_prefix="lot")
        self._lock = threading.Lock()  # guards _waiting and every write of a waiting job
        self._waiting: dict[Path, tuple[Future, Claim]] = {}
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def submit(self, app: Flask, held: Claim) -> Future | None:
        """Queue the claimed job: it runs as soon as one of the threads is free; None (the
        claim let go) once the executor is shutting down."""
        with self._lock:
            if self._stopping.is_set():
                held.release()
                return None
            future = self._pool.submit(self._run, app, held)
            self._waiting[held.folder] = (future, held)
            self._refresh()
        return future

    def watch(self, app: Flask, every_s: float) -> None:
        """Look for interrupted jobs every ``every_s`` seconds until shut down."""
        with self._lock:
            if self._watcher is not None or self._stopping.is_set():
                return
            self._watcher = threading.Thread(target=self._watch, args=(app, every_s),
                                             daemon=True, name="lot-reprise")
            self._watcher.start()

    def shutdown(self, wait: bool = False) -> None:
        """Start nothing more, stop looking, mark the waiting jobs interrupted and let them
        go."""
        with self._lock:
            self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for folder, (future, held) in list(self._waiting.items()):
                if future.cancelled():
                    del self._waiting[folder]
                    mark_interrupted(folder)
                    held.release()
        if wait:
            self._pool.shutdown(wait=True)

    def _run(self, app: Flask, held: Claim) -> None:
        with self._lock:  # no refresh writes "queued" over "running" once it is off the list
            self._waiting.pop(held.folder, None)
            self._refresh()
        try:
            run(app, held.folder)
        except Exception:  # noqa: BLE001 - its folder vanished: nobody else would say so
            app.logger.exception("lot %s", held.folder.name)
        finally:
            held.release()  # after the last state is written: the job has ended

    def _refresh(self) -> None:
        for ahead, folder in enumerate(self._waiting):
            mark_waiting(folder, ahead)

    def _watch(self, app: Flask, every_s: float) -> None:
        while not self._stopping.wait(every_s):
            try:
                resume(app)
            except Exception:  # noqa: BLE001 - the next look may do better
                app.logger.exception("reprise des lots interrompus")


def init_app(app: Flask) -> None:
    """Give the application its executor of ``BATCH_WORKERS`` threads (no thread yet)."""
    size = app.config["BATCH_WORKERS"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"BATCH_WORKERS : un entier d'au moins 1 est attendu, pas {size!r}")
    app.extensions[EXTENSION] = JobExecutor(size)


def start_job(app: Flask, held: Claim) -> Future | None:
    """Queue a new job, claimed at its creation, in the application's executor."""
    return app.extensions[EXTENSION].submit(app, held)


def restart_job(app: Flask, root: Path, job_id: str) -> Future | None:
    """Queue a job again from its kept upload (``may_restart``); None when a live
    worker holds it (it is running already) or it has ended since."""
    held = reclaim(root / job_id, by_hand=True)
    return None if held is None else app.extensions[EXTENSION].submit(app, held)


def resume(app: Flask) -> list[str]:
    """Take back every job that lost its worker, oldest first; their ids."""
    executor = app.extensions[EXTENSION]
    resumed = []
    for folder in interrupted_jobs(jobs_root(app)):
        held = reclaim(folder)
        if held is not None and executor.submit(app, held) is not None:
            app.logger.warning("lot %s interrompu : repris depuis le fichier déposé "
                               "(processus %d)", folder.name, os.getpid())
            resumed.append(folder.name)
    return resumed


def start_resuming(app: Flask, every_s: float | None = None) -> list[str]:
    """Resume the interrupted jobs now, then look again every ``every_s`` seconds
    (``RESCAN_S``); the ids resumed now."""
    resumed = resume(app)
    app.extensions[EXTENSION].watch(app, RESCAN_S if every_s is None else every_s)
    return resumed


def shutdown(app: Flask, wait: bool = False) -> None:
    """Shut the application's executor down (``wait``: until the running jobs end)."""
    executor = getattr(app, "extensions", {}).get(EXTENSION)
    if executor is not None:
        executor.shutdown(wait=wait)
