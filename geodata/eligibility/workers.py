"""Classify the chunks of a batch in several processes: every core at work
(``fabriques classify --workers N``).

GEOS prepared geometries are not thread-safe, so the work is shared between processes: this
one and ``N - 1`` workers. The workers are started afresh (``spawn``), never forked: polars
runs threads from its import on, and a process forked from one may hang. Each worker needs
the index, in one of two ways:

- started early (``WorkerPool``, before this process reads the index): each worker builds
  its own index with a function it is given (reading the same database, or the same kept
  index file), while this process builds its own; each builds the grids of the territories
  it meets on its first chunk. Nothing big crosses between processes but the chunks and
  their CSV texts, and the workers' start costs no time here. A worker checks that its
  index was read from the same dataset versions as this one's;
- started late (no pool given): this process classifies the first chunk itself, building
  the grids, then pickles the index and those grids once for the workers.

This process reads the chunks, hands them to the workers, classifies one itself whenever
they have enough to do (while they start, say), and yields the CSV texts in input order. A
few chunks at most are in flight, so memory does not grow with the file, and the file is
the same, byte for byte, as with one process.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from geodata.eligibility.batch import BatchReport, chunk_csv
from geodata.eligibility.layers import ReferenceIndex
from geodata.eligibility.reading import Locations
from geodata.policy import Policy

__all__ = ["AHEAD", "IN_FLIGHT", "WorkerError", "WorkerPool", "csv_in_processes"]

IN_FLIGHT = 2
"""Chunks handed ahead to each worker: one being classified, one waiting."""
AHEAD = 1
"""Chunks classified here beyond those in flight, at most, before waiting for the oldest."""


class WorkerError(ValueError):
    """A worker process stopped before it finished its chunk, or could not read the index."""


_state: dict = {}


def _context():
    return multiprocessing.get_context("spawn")


def _leave_without_teardown() -> None:
    """A worker's last act when its pool closes: it has nothing to flush or write, and
    freeing its index object by object would hold the command up (about 0.3 s)."""
    os._exit(0)


def _start(state: bytes, spreadsheet: bool, short: bool) -> None:
    """A late worker's start: keep what every chunk needs; Ctrl-C is the parent's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(_leave_without_teardown)
    index, policy, grids = pickle.loads(state)
    index.adopt_grids(grids)
    _state.update(index=index, policy=policy, spreadsheet=spreadsheet, short=short)


def _chunk(part: Locations) -> tuple[bytes, BatchReport]:
    return chunk_csv(_state["index"], _state["policy"], part,
                     spreadsheet=_state["spreadsheet"], short=_state["short"])


def _build(build: Callable[[], ReferenceIndex]) -> None:
    """An early worker's start: build its own index (an error is said at its first chunk,
    where the parent hears it); Ctrl-C is the parent's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(_leave_without_teardown)
    try:
        _state["index"] = build()
    except Exception as error:  # noqa: BLE001 - reported with the first chunk
        _state["error"] = f"{type(error).__name__}: {error}"


def _ready() -> None:
    """A task that only makes a worker start (and build its index)."""


def _own_chunk(part: Locations, policy: Policy, versions: tuple, spreadsheet: bool,
               short: bool) -> tuple[bytes, BatchReport]:
    """A chunk classified with the worker's own index, read from ``versions``."""
    if "error" in _state:
        raise WorkerError("un processus de classement n'a pas pu lire les données de "
                          f"référence ({_state['error']})")
    index = _state["index"]
    if tuple(index.dataset_versions) != tuple(versions):
        raise WorkerError("les données de référence ont changé pendant le classement "
                          "(un chargement ?) : relancez la commande")
    return chunk_csv(index, policy, part, spreadsheet=spreadsheet, short=short)


class WorkerPool:
    """``count`` worker processes started now, each building its index with ``build`` (a
    function that pickles: a module's function, or a ``functools.partial`` of one), so that
    they are ready about when this process has built its own. Close it (``with``)."""

    def __init__(self, count: int, build: Callable[[], ReferenceIndex]):
        self.count = count
        self.executor = ProcessPoolExecutor(count, mp_context=_context(), initializer=_build,
                                            initargs=(build,))
        for _ in range(count):  # each submission starts one process
            self.executor.submit(_ready)

    def close(self) -> None:
        """Stop the workers (those still starting are waited for)."""
        self.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _done(item) -> bool:
    return not isinstance(item, Future) or item.done()


def _result(item) -> tuple[bytes, BatchReport]:
    return item.result() if isinstance(item, Future) else item


def csv_in_processes(index: ReferenceIndex, policy: Policy, parts: Iterable[Locations],
                     workers: int, *, spreadsheet: bool = False, short: bool = False,
                     pool: WorkerPool | None = None) -> Iterator[tuple[bytes, BatchReport]]:
    """The CSV text (no header) and report of each chunk of ``parts``, in their order,
    classified by this process and ``workers - 1`` others: those of ``pool`` when given
    (started early), else started after the first chunk."""
    def here(part: Locations) -> tuple[bytes, BatchReport]:
        return chunk_csv(index, policy, part, spreadsheet=spreadsheet, short=short)

    parts = iter(parts)
    if pool is not None:
        versions = tuple(index.dataset_versions)
        yield from _in_order(parts, here, lambda part: pool.executor.submit(
            _own_chunk, part, policy, versions, spreadsheet, short), IN_FLIGHT * pool.count)
        return
    first = next(parts, None)
    if first is None:
        return
    yield here(first)
    del first
    state = pickle.dumps((index, policy, index.grids()), protocol=pickle.HIGHEST_PROTOCOL)
    late = ProcessPoolExecutor(workers - 1, mp_context=_context(), initializer=_start,
                               initargs=(state, spreadsheet, short))
    del state
    try:
        yield from _in_order(parts, here, lambda part: late.submit(_chunk, part),
                             IN_FLIGHT * (workers - 1))
    finally:
        late.shutdown(wait=True, cancel_futures=True)


def _in_order(parts: Iterator[Locations], here: Callable, hand: Callable[..., Future],
              handed: int) -> Iterator[tuple[bytes, BatchReport]]:
    """Each chunk handed to a worker (``hand``) while fewer than ``handed`` are in flight,
    else classified ``here``; the results in input order."""
    pending: deque = deque()  # in input order: a worker's future, or a result made here
    try:
        for part in parts:
            if sum(not _done(item) for item in pending) < handed:
                pending.append(hand(part))
            else:
                pending.append(here(part))
            while pending and (_done(pending[0]) or len(pending) > handed + AHEAD):
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    except BrokenProcessPool as error:
        raise WorkerError("un processus de classement s'est arrêté (mémoire épuisée ?)"
                          ) from error
    finally:
        for item in pending:
            if isinstance(item, Future):
                item.cancel()
