"""Resolving a large batch of addresses on several cores.

Matching an address is Python over the in-memory gazetteer (~40 µs each, compiled), so one
process uses one core. For a large batch the distinct addresses are cut into chunks of a
few dozen, resolved by the calling process and by forked workers: a geocoder's own,
preloaded with a gazetteer of their own (gis.geocode_loading), or forked for a batch,
sharing everything loaded copy-on-write (gis.geocode_pool).

The caller hands the chunks out as it goes (their items through a pipe): each worker
always has a few waiting, and the caller takes the next one itself in between. Whoever is
faster (a worker still copying pages after its fork, a caller busy passing results on)
simply does more chunks, so all processes end together. A worker sends each chunk's
results back as plain tuples through another pipe; the caller passes them on (to the cache
writer) between its own. A worker that fails or dies costs only time: the chunks it did
not send back are resolved by the caller, so the answers never depend on how the batch
was cut.

The workers are a `WorkerPool`'s (gis.geocode_pool), kept from one batch to the next (or
preloaded with the gazetteer, and joining a batch once loaded); without a pool,
`resolve_sliced` forks workers for the one batch.

Workers are forked only where fork exists (Linux and other POSIX systems) and only for
batches worth it (`MIN_PER_WORKER` addresses each); the process that forks must not hold
locks another thread may be holding (a batch geocode is a CPU-bound call of its own).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable
from typing import Any

from gis.geocode_pool import Worker, WorkerPool
from gis.geocode_result import GeocodeResult

__all__ = [
    "MIN_PER_WORKER", "Found", "process_count", "resolve_sliced", "worker_count",
]  # fmt: skip

MIN_PER_WORKER = 1_500  # below this a fork and the pipe cost more than the slice saves
MAX_AUTO_WORKERS = 4  # with the caller: at most 4 cores unless configured
AHEAD = 4  # chunks waiting at each worker: it never runs dry while the caller does one

Resolve = Callable[[str], GeocodeResult]
Advance = Callable[[int], None]
Found = Callable[[dict[str, GeocodeResult]], None]  # given each share of results as it comes


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def process_count(configured: int) -> int:
    """Processes (the calling one included) that share a large job: ``configured``, where
    0 picks one per available CPU (at most `MAX_AUTO_WORKERS`) and 1 keeps the job in the
    calling process; 1 where processes cannot be forked. Also the imports' (gis.ingest.workers).
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return configured or min(MAX_AUTO_WORKERS, available_cpus())


def worker_count(configured: int, addresses: int) -> int:
    """Processes (the caller included) for a batch of ``addresses`` distinct addresses:
    `process_count`, fewer for a batch too small to be worth a fork."""
    return max(1, min(process_count(configured), addresses // MIN_PER_WORKER))


def resolve_sliced(
    keys: list[str],
    resolve: Resolve,
    processes: int,
    advance: Advance,
    step: int,
    found: Found | None = None,
    meanwhile: Callable[[], dict[str, GeocodeResult]] | None = None,
    pool: WorkerPool | None = None,
    item: Callable[[str], Any] | None = None,
    done_here: Callable[[], None] | None = None,
) -> dict[str, GeocodeResult]:
    """``resolve(key)`` for every key, in ``processes`` processes (this one included).

    The keys are resolved in chunks of ``step``; each chunk's results, from this process
    or from a worker, are passed to ``found`` (if given) and counted by ``advance`` as
    they come. ``meanwhile`` (if given) is other work of this process, done once the
    workers run; its results are passed on and returned with the others (its progress is
    its own to report). The workers are the ``pool``'s, which are sent ``item(key)`` for
    each key (the key itself by default), or forked for this batch only, with ``resolve``.
    ``done_here`` (if given) is called once this process has no chunk left of its own, while
    the workers finish theirs (the geocoder drops its memos then).
    """
    results: dict[str, GeocodeResult] = {}
    sink = _Sink(results, found, advance)
    chunks = [keys[i : i + step] for i in range(0, len(keys), step)]
    own = pool is None
    if own:
        pool = WorkerPool(resolve)
    workers = pool.workers(processes - 1) if len(chunks) > 1 else []
    done = False
    try:
        # This process works from the first chunk on, the workers from the last one back:
        # each keeps to neighbouring addresses, whose parts its memos have already read.
        todo = deque(range(len(chunks)))
        hand_out = _HandOut(workers, chunks, item or _same)
        hand_out(todo, 2 * AHEAD)  # enough to go on while this process is busy
        extra = meanwhile() if meanwhile is not None else {}
        _pass_on(extra, results, found, None)  # now, while the workers go on (no advance:
        # its progress is its own)
        while todo:
            n = todo.popleft()
            sink({key: resolve(key) for key in chunks[n]})
            for worker in workers:
                worker.take(sink, chunks, wait=False)
            hand_out(todo, AHEAD)
        if done_here is not None:
            done_here()
        for worker in workers:
            worker.finish(sink, chunks, keep=not own)
            for n in worker.pending:  # the worker failed or died: its chunks are done here
                sink({key: resolve(key) for key in chunks[n]})
        done = True
        return results
    finally:
        if own:
            pool.close()
        elif not done:  # interrupted: what the workers still hold must not reach a later batch
            pool.discard(workers)


def _same(key: str) -> str:
    return key


class _HandOut:
    """Gives each usable worker chunks from the end until it has ``ahead`` waiting."""

    def __init__(self, workers: list[Worker], chunks: list[list[str]], item) -> None:
        self.workers, self.chunks, self.item = workers, chunks, item

    def __call__(self, todo: deque[int], ahead: int) -> None:
        for worker in self.workers:
            if not worker.usable():  # gone, or preloaded and still loading: later, maybe
                continue
            while worker.alive and len(worker.pending) < ahead and todo:
                n = todo.pop()
                items = [self.item(key) for key in self.chunks[n]]
                worker.assign(n, pickle.dumps((n, items), protocol=pickle.HIGHEST_PROTOCOL))


class _Sink:
    """Where every share of results goes: the batch's results, ``found``, the progress."""

    def __init__(self, results: dict, found: Found | None, advance: Advance) -> None:
        self.results, self.found, self.advance = results, found, advance

    def __call__(self, share: dict[str, GeocodeResult]) -> None:
        _pass_on(share, self.results, self.found, self.advance)


def _pass_on(share, results, found: Found | None, advance: Advance | None) -> None:
    results.update(share)
    if found is not None and share:
        found(share)
    if advance is not None:
        advance(len(share))
