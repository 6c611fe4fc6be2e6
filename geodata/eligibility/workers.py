"""Classify the chunks of a batch in several processes: every core at work
(``fabriques classify --workers N``).

GEOS prepared geometries are not thread-safe, so the work is shared between processes: this
one and ``N - 1`` workers. The workers are started afresh (``spawn``), never forked: polars
runs threads from its import on, and a process forked from one may hang. This process
classifies the first chunk itself, building the grids of the territories it meets, then
pickles the index and those grids once for the workers (each has its own copy). It reads
the chunks, hands them to the workers, classifies one itself whenever they have enough to
do (while they start, say), and writes the CSV texts in input order. A few chunks at most
are in flight, so memory does not grow with the file, and the file is the same, byte for
byte, as with one process.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from geodata.eligibility.batch import BatchReport, chunk_csv
from geodata.eligibility.layers import ReferenceIndex
from geodata.eligibility.reading import Locations
from geodata.policy import Policy

__all__ = ["AHEAD", "IN_FLIGHT", "WorkerError", "csv_in_processes"]

IN_FLIGHT = 2
"""Chunks handed ahead to each worker: one being classified, one waiting."""
AHEAD = 1
"""Chunks classified here beyond those in flight, at most, before waiting for the oldest."""


class WorkerError(ValueError):
    """A worker process stopped before it finished its chunk."""


_state: dict = {}


def _start(state: bytes, spreadsheet: bool, short: bool) -> None:
    """A worker's start: keep what every chunk needs; Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    index, policy, grids = pickle.loads(state)
    index.adopt_grids(grids)
    _state.update(index=index, policy=policy, spreadsheet=spreadsheet, short=short)


def _chunk(part: Locations) -> tuple[bytes, BatchReport]:
    return chunk_csv(_state["index"], _state["policy"], part,
                     spreadsheet=_state["spreadsheet"], short=_state["short"])


def _done(item) -> bool:
    return not isinstance(item, Future) or item.done()


def _result(item) -> tuple[bytes, BatchReport]:
    return item.result() if isinstance(item, Future) else item


def csv_in_processes(index: ReferenceIndex, policy: Policy, parts: Iterable[Locations],
                     workers: int, *, spreadsheet: bool = False, short: bool = False
                     ) -> Iterator[tuple[bytes, BatchReport]]:
    """The CSV text (no header) and report of each chunk of ``parts``, in their order,
    classified by this process and ``workers - 1`` others."""
    parts = iter(parts)
    first = next(parts, None)
    if first is None:
        return
    yield chunk_csv(index, policy, first, spreadsheet=spreadsheet, short=short)
    del first
    state = pickle.dumps((index, policy, index.grids()), protocol=pickle.HIGHEST_PROTOCOL)
    pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start, initargs=(state, spreadsheet, short))
    del state
    handed = IN_FLIGHT * (workers - 1)
    pending: deque = deque()  # in input order: a worker's future, or a result made here
    try:
        for part in parts:
            if sum(not _done(item) for item in pending) < handed:
                pending.append(pool.submit(_chunk, part))
            else:
                pending.append(chunk_csv(index, policy, part, spreadsheet=spreadsheet,
                                         short=short))
            while pending and (_done(pending[0]) or len(pending) > handed + AHEAD):
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    except BrokenProcessPool as error:
        raise WorkerError("un processus de classement s'est arrêté (mémoire épuisée ?)"
                          ) from error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
