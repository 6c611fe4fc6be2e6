"""Who runs a batch job: an exclusive ``flock`` on the ``worker.lock`` file of its folder.

The worker that takes a job (uploaded to it, restarted by hand, or found interrupted when it
starts) holds the lock from then until the job ends. The lock belongs to the open file, so
two processes, or two threads of one process, never hold it together, and the operating
system releases it when its process dies, however it dies (SIGKILL included): a job runs in
one place at a time, and a job whose state says "queued" or "running" while nobody holds its
lock was interrupted. ``is_held`` tells which, taking a shared lock for an instant; a claim
that meets such a look tries again a few times.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

__all__ = ["LOCK", "Claim", "claim", "is_held"]

LOCK = "worker.lock"
TRIES = 5
PAUSE_S = 0.01
"""A claim that finds the lock taken tries ``TRIES`` times, ``PAUSE_S`` apart: a look by
``is_held`` lasts an instant, a worker's claim lasts until its job ends."""


class Claim:
    """This process's hold on one job; ``release()`` (or leaving a ``with``) lets it go."""

    def __init__(self, folder: Path, descriptor: int) -> None:
        self.folder = folder
        self._descriptor: int | None = descriptor

    @property
    def held(self) -> bool:
        """True until released."""
        return self._descriptor is not None

    def release(self) -> None:
        """Let another worker take the job (closing the file drops its lock); idempotent."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *_exc) -> None:
        self.release()


def claim(folder: Path) -> Claim | None:
    """Take the job of ``folder`` for this process; None if another holds it or the folder
    is gone."""
    try:
        descriptor = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except (FileNotFoundError, NotADirectoryError):
        return None
    for attempt in range(TRIES):
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return Claim(folder, descriptor)
        except BlockingIOError:
            if attempt + 1 < TRIES:
                time.sleep(PAUSE_S)
    os.close(descriptor)
    return None


def is_held(folder: Path) -> bool:
    """True while a live process (this one included) holds the job of ``folder``."""
    try:
        descriptor = os.open(folder / LOCK, os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)  # drops the shared lock taken to look
    return False
