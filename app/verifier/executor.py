"""The bounded executor of the batch page's jobs: one ``ThreadPoolExecutor`` per application
(so one per gunicorn worker process), of ``BATCH_WORKERS`` threads.

A job submitted while every thread is busy stays ``queued`` ("en attente") on disk, with
``ahead``: how many jobs of the same executor wait before it. The executor writes its
waiting jobs again whenever its queue moves and every ``HEARTBEAT_S`` seconds, so a job
waiting in the queue of a live worker never goes stale (``jobs.STALE_AFTER_S``), while the
waiting jobs of a worker that died stop being refreshed and read as ``interrupted``.

``shutdown(app)`` marks the jobs not yet started ``interrupted`` (their upload is kept: they
can be restarted) and lets the running ones finish: the interpreter waits for them as it
exits (the standard library's rule), gunicorn up to its graceful timeout, after which they
read as interrupted too. gunicorn calls it when a worker exits
(``app.gunicorn_conf.worker_exit``). Threads start with the first job, never before a fork.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from flask import Flask

from app.verifier.jobs import mark_interrupted, mark_waiting, requeue, run

__all__ = ["EXTENSION", "JobExecutor", "init_app", "restart_job", "shutdown", "start_job"]

EXTENSION = "fabriques.batch_executor"
HEARTBEAT_S = 60.0
"""Seconds between two writes of the waiting jobs; well under ``jobs.STALE_AFTER_S``."""


class JobExecutor:
    """A thread pool of bounded size, and the folders of the jobs waiting for it, in order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pool = ThreadPoolExecutor(size, thread_name_prefix="lot")
        self._lock = threading.Lock()  # guards _waiting and every write of a waiting job
        self._waiting: dict[Path, Future] = {}
        self._stopping = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def submit(self, app: Flask, folder: Path) -> Future:
        """Queue the job of ``folder``: it runs as soon as one of the threads is free."""
        with self._lock:
            if folder in self._waiting:  # restarted twice before it started: once is enough
                return self._waiting[folder]
            future = self._pool.submit(self._run, app, folder)
            self._waiting[folder] = future
            self._refresh()
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(target=self._beat, daemon=True,
                                                   name="lot-attente")
                self._heartbeat.start()
        return future

    def shutdown(self, wait: bool = False) -> None:
        """Start nothing more, mark the waiting jobs interrupted, stop the heartbeat."""
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for folder, future in list(self._waiting.items()):
                if future.cancelled():
                    del self._waiting[folder]
                    mark_interrupted(folder)
        if wait:
            self._pool.shutdown(wait=True)

    def _run(self, app: Flask, folder: Path) -> None:
        with self._lock:  # no refresh writes "queued" over "running" once it is off the list
            self._waiting.pop(folder, None)
            self._refresh()
        try:
            run(app, folder)
        except Exception:  # noqa: BLE001 - its folder vanished: nobody else would say so
            app.logger.exception("lot %s", folder.name)

    def _refresh(self) -> None:
        for ahead, folder in enumerate(self._waiting):
            mark_waiting(folder, ahead)

    def _beat(self) -> None:
        while not self._stopping.wait(HEARTBEAT_S):
            with self._lock:
                self._refresh()


def init_app(app: Flask) -> None:
    """Give the application its executor of ``BATCH_WORKERS`` threads (no thread yet)."""
    size = app.config["BATCH_WORKERS"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"BATCH_WORKERS : un entier d'au moins 1 est attendu, pas {size!r}")
    app.extensions[EXTENSION] = JobExecutor(size)


def start_job(app: Flask, root: Path, job_id: str) -> Future:
    """Queue a new job in the application's executor."""
    return app.extensions[EXTENSION].submit(app, root / job_id)


def restart_job(app: Flask, root: Path, job_id: str) -> Future:
    """Queue a failed or interrupted job again, from its kept upload."""
    return app.extensions[EXTENSION].submit(app, requeue(root, job_id))


def shutdown(app: Flask, wait: bool = False) -> None:
    """Shut the application's executor down (``wait``: until the running jobs end)."""
    executor = getattr(app, "extensions", {}).get(EXTENSION)
    if executor is not None:
        executor.shutdown(wait=wait)
