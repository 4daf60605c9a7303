"""Resolving a large batch of addresses on several cores.

Matching an address is pure Python over the in-memory gazetteer (~100 µs each), so one
process uses one core. For a large batch the distinct addresses are cut into chunks of a
few dozen, resolved by the calling process and by forked workers. A fork shares the
gazetteer (and everything else loaded) copy-on-write, so a worker costs no loading.

The caller hands the chunks out as it goes (their items through a pipe): each worker
always has a few waiting, and the caller takes the next one itself in between. Whoever is
faster (a worker still copying pages after its fork, a caller busy passing results on)
simply does more chunks, so all processes end together. A worker sends each chunk's
results back as plain tuples through another pipe; the caller passes them on (to the cache
writer) between its own. A worker that fails or dies costs only time: the chunks it did
not send back are resolved by the caller, so the answers never depend on how the batch
was cut.

A `WorkerPool` keeps its workers from one batch to the next (the geocoder keeps one per
gazetteer): the fork, and the copying of the pages both processes write to after it
(with the worker's exit, ~0.2 CPU-s of a 10k-address batch here, half of it in the
kernel), are paid by the first batch only. Between batches a worker drops what the batch
left in its memos (``after_batch``) and waits; it exits when the pool is closed, when its
caller is gone, or when a batch it worked for was interrupted. Without a pool,
`resolve_sliced` forks workers for the one batch.

Workers are forked only where fork exists (Linux and other POSIX systems) and only for
batches worth it (`MIN_PER_WORKER` addresses each); the process that forks must not hold
locks another thread may be holding (a batch geocode is a CPU-bound call of its own).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from gis.geocode_result import Candidate, GeocodeResult

__all__ = [
    "MIN_PER_WORKER", "Found", "WorkerPool", "process_count", "resolve_sliced", "worker_count",
]  # fmt: skip

MIN_PER_WORKER = 1_500  # below this a fork and the pipe cost more than the slice saves
MAX_AUTO_WORKERS = 4  # with the caller: at most 4 cores unless configured
AHEAD = 4  # chunks waiting at each worker: it never runs dry while the caller does one
ORPHAN_CHECK_SECONDS = 1.0  # a worker waiting for work checks this often that its caller lives
# Told to a worker: go (workers forked later hold copies of the caller's end of its task
# pipe, so closing that end is no end-of-file it could wait for); b"": the batch is over.
QUIT = b"q"

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


class WorkerPool:
    """Forked workers kept from one batch to the next (see the module's notes).

    ``work(item)`` resolves one item in a worker, ``after_batch()`` runs there after each
    batch. The pool holds bound methods weakly, so that it keeps no geocoder alive; `close` it
    when done (or let ``weakref.finalize`` of its owner do it).
    """

    def __init__(
        self,
        work: Callable[[Any], GeocodeResult],
        after_batch: Callable[[], None] | None = None,
    ) -> None:
        self._work = _weak(work)
        self._after_batch = _weak(after_batch) if after_batch is not None else None
        self._workers: list[_Worker] = []

    def workers(self, n: int) -> list[_Worker]:
        """``n`` live workers: those kept, and new ones forked for the missing."""
        self._workers = [w for w in self._workers if w.alive]
        while len(self._workers) < n:
            self._workers.append(_Worker(self._work, self._after_batch))
        return self._workers[:n]

    def discard(self, workers: list[_Worker]) -> None:
        """End these workers now; the next batch forks others."""
        for worker in workers:
            worker.stop(wait=True)
        self._workers = [w for w in self._workers if w not in workers]

    def close(self) -> None:
        """Let every worker go (an idle one exits by itself; a busy one is ended)."""
        for worker in self._workers:
            worker.stop(wait=False)
        self._workers = []


def _same(key: str) -> str:
    return key


def _weak(function: Callable) -> Callable:
    """A bound method as a weak reference (called to get it back); a function as is."""
    if hasattr(function, "__self__") and hasattr(function, "__func__"):
        return weakref.WeakMethod(function)
    return lambda: function


class _HandOut:
    """Gives each live worker chunks from the end until it has ``ahead`` waiting."""

    def __init__(self, workers: list[_Worker], chunks: list[list[str]], item) -> None:
        self.workers, self.chunks, self.item = workers, chunks, item

    def __call__(self, todo: deque[int], ahead: int) -> None:
        for worker in self.workers:
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


class _Worker:
    """One forked process resolving the chunks it is given (their items, through one
    pipe), sending back each chunk's result rows (through another)."""

    def __init__(self, work, after_batch) -> None:
        self.pending: deque[int] = deque()  # chunks given whose results are not back yet
        self.alive = True
        context = multiprocessing.get_context("fork")
        tasks, self._tasks = context.Pipe(duplex=False)
        self._results, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_work, args=(tasks, sender, work, after_batch, os.getpid()), daemon=True,
            name="tuquan-geocode",
        )  # fmt: skip
        self._process.start()
        tasks.close()  # only the worker holds these ends now: EOF here when it exits
        sender.close()

    def assign(self, n: int, message: bytes) -> None:
        self.pending.append(n)
        try:
            self._tasks.send_bytes(message)
        except OSError:  # it died: what it holds is redone by the caller
            self.alive = False

    def take(self, sink: _Sink, chunks: list[list[str]], wait: bool) -> None:
        """Pass on the chunks sent back so far (``wait``: all it was given)."""
        try:
            while self.alive and self.pending and (wait or self._results.poll()):
                n, rows = pickle.loads(self._results.recv_bytes())
                keys = chunks[n]
                sink({key: _from_row(row) for key, row in zip(keys, rows, strict=True)})
                self.pending.remove(n)
        except (EOFError, OSError, pickle.UnpicklingError, ValueError, TypeError):
            self.alive = False  # died or failed: what it did not send is redone

    def finish(self, sink: _Sink, chunks: list[list[str]], keep: bool) -> None:
        """Pass on all it sends for this batch; then, when it is kept for later batches
        (``keep``), tell it that this one is over."""
        self.take(sink, chunks, wait=True)
        if keep and self.alive:
            try:
                self._tasks.send_bytes(b"")
            except OSError:
                self.alive = False

    def stop(self, wait: bool) -> None:
        """Close the pipes: an idle worker exits by itself, and is not waited for (the
        kernel's teardown of its copy of the address space takes 20–30 ms here, which a
        batch would spend idle; multiprocessing reaps it at the next fork or at exit). A
        busy one, or any when ``wait``, is ended and reaped here."""
        idle = not wait and self.alive and not self.pending
        if idle:
            with contextlib.suppress(OSError):
                self._tasks.send_bytes(QUIT)
        self._tasks.close()
        self._results.close()
        if idle:
            return
        self.alive = False
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


def _work(tasks, sender, work, after_batch, caller: int) -> None:
    """In a forked worker: resolve each chunk given, sending its result rows back.

    The cyclic garbage collector stays as the caller had it when it forked: paused, for a
    geocode batch (gis.geocoding: a batch makes no reference cycles, and a collection here
    could run the finalizers of the caller's objects, such as a database connection's, on
    a socket the caller shares).
    """
    work = work()  # the worker's copy of the bound method (alive: its owner forked us)
    after_batch = after_batch() if after_batch is not None else None
    try:
        while True:
            while not tasks.poll(ORPHAN_CHECK_SECONDS):
                if os.getppid() != caller:  # the caller was killed: nobody to work for
                    return
            message = tasks.recv_bytes()
            if message == QUIT:
                return
            if not message:  # the batch is over
                if after_batch is not None:
                    after_batch()
                continue
            n, items = pickle.loads(message)
            rows = [_as_row(work(item)) for item in items]
            sender.send_bytes(pickle.dumps((n, rows), protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:  # closed (EOF), or failed: the caller redoes what was not sent
        pass
    finally:
        sender.close()


def _as_row(result: GeocodeResult) -> tuple:
    """A result as a plain tuple (pickles several times faster than the objects)."""
    return (
        result.text, result.status, result.precision, result.commune_code,
        result.commune_name, result.province_code, result.province_name, result.legacy,
        result.lon, result.lat, result.score,
        [(c.commune_code, c.commune_name, c.province_code, c.score) for c in result.candidates],
        result.reason,
    )  # fmt: skip


def _from_row(row: tuple) -> GeocodeResult:
    *head, candidates, reason = row
    return GeocodeResult(*head, [Candidate(*c) for c in candidates], reason)
