"""An outside service's outage told to the operator's log: once when it starts, again every
``REMIND_S`` while it lasts, and once when the service answers again.

The BAN geocoder down lowers every address to its commune or to « à vérifier »; the users
see it on each answer, the operator only in the log. One line per failed request would bury
the log under a batch of thousands of addresses: the state changes are told, with the count
of the requests that failed meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time

__all__ = ["OutageLog", "REMIND_S"]

REMIND_S = 600.0
"""While an outage lasts, a reminder at most every ten minutes."""


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes else "moins d'une minute"


class OutageLog:
    """Failures and successes of requests to ``service``, told as WARNINGs to ``log``."""

    def __init__(self, log: logging.Logger | None, service: str, consequence: str):
        self.log, self.service, self.consequence = log, service, consequence
        self._lock = threading.Lock()
        self._since: float | None = None  # monotonic time of the first failure
        self._told = 0.0
        self._failed = 0

    def failed(self, error: Exception) -> None:
        """A request failed for a reason of the service's (no answer, its own error)."""
        if self.log is None:
            return
        now = time.monotonic()
        with self._lock:
            self._failed += 1
            if self._since is None:
                self._since = self._told = now
                message = f"{self.service} : {error} ; {self.consequence}"
            elif now - self._told >= REMIND_S:
                self._told = now
                message = (f"{self.service} toujours en panne depuis "
                           f"{_duration(now - self._since)} ({self._failed} requêtes en "
                           f"échec) : {error}")
            else:
                return
        self.log.warning("%s", message)

    def answered(self) -> None:
        """A request was answered: the end of an outage, if one was under way."""
        if self._since is None:  # the usual case, without taking the lock
            return
        with self._lock:
            if self._since is None:
                return
            lasted, failed = time.monotonic() - self._since, self._failed
            self._since, self._failed = None, 0
        self.log.warning("%s répond de nouveau (panne de %s, %d requêtes en échec)",
                         self.service, _duration(lasted), failed)
