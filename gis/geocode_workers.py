"""Resolving a large batch of addresses on several cores.

Matching an address is pure Python over the in-memory gazetteer (~100 µs each), so one
process uses one core. For a large batch the distinct addresses are cut into chunks of a
few dozen, resolved by the calling process and by forked workers. A fork shares the
gazetteer (and everything else loaded) copy-on-write, so a worker costs no loading.

The caller hands the chunks out as it goes: each worker always has a few waiting, and the
caller takes the next one itself in between. Whoever is faster (a worker still copying
pages after its fork, a caller busy passing results on) simply does more chunks, so all
processes end together. A worker sends each chunk's results back as plain tuples through
a pipe; the caller passes them on (to the cache writer) between its own. A worker that
fails or dies costs only time: the chunks it did not send back are resolved by the
caller, so the answers never depend on how the batch was cut.

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

from gis.geocode_result import Candidate, GeocodeResult

__all__ = ["MIN_PER_WORKER", "Found", "process_count", "resolve_sliced", "worker_count"]

MIN_PER_WORKER = 1_500  # below this a fork and the pipe cost more than the slice saves
MAX_AUTO_WORKERS = 4  # with the caller: at most 4 cores unless configured
AHEAD = 4  # chunks waiting at each worker: it never runs dry while the caller does one
ORPHAN_CHECK_SECONDS = 1.0  # a worker waiting for work checks this often that its caller lives

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
) -> dict[str, GeocodeResult]:
    """``resolve(key)`` for every key, in ``processes`` processes (this one included).

    The keys are resolved in chunks of ``step``; each chunk's results, from this process
    or from a worker, are passed to ``found`` (if given) and counted by ``advance`` as
    they come. ``meanwhile`` (if given) is other work of this process, done once the
    workers run; its results are passed on and returned with the others (its progress is
    its own to report).
    """
    results: dict[str, GeocodeResult] = {}
    sink = _Sink(results, found, advance)
    chunks = [keys[i : i + step] for i in range(0, len(keys), step)]
    workers = [_Worker(chunks, resolve) for _ in range(processes - 1)] if len(chunks) > 1 else []
    try:
        # This process works from the first chunk on, the workers from the last one back:
        # each keeps to neighbouring addresses, whose parts its memos have already read.
        todo = deque(range(len(chunks)))
        _hand_out(workers, todo, 2 * AHEAD)  # enough to go on while this process is busy
        extra = meanwhile() if meanwhile is not None else {}
        _pass_on(extra, results, found, None)  # now, while the workers go on (no advance:
        # its progress is its own)
        while todo:
            n = todo.popleft()
            sink({key: resolve(key) for key in chunks[n]})
            for worker in workers:
                worker.take(sink, wait=False)
            _hand_out(workers, todo, AHEAD)
        for worker in workers:
            worker.finish(sink)
            for n in worker.pending:  # the worker failed or died: its chunks are done here
                sink({key: resolve(key) for key in chunks[n]})
        return results
    finally:
        for worker in workers:
            worker.stop()  # ended already, unless this process was interrupted


def _hand_out(workers: list[_Worker], todo: deque[int], ahead: int) -> None:
    """Give each live worker chunks from the end until it has ``ahead`` waiting."""
    for worker in workers:
        while worker.alive and len(worker.pending) < ahead and todo:
            worker.assign(todo.pop())


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
    """One forked process resolving the chunks it is given (their numbers, through one
    pipe), sending back each chunk's result rows (through another)."""

    def __init__(self, chunks: list[list[str]], resolve: Resolve) -> None:
        self.chunks = chunks
        self.pending: deque[int] = deque()  # chunks given whose results are not back yet
        self.alive = True
        self.done = False  # told that no more chunks come, it sent back all it was given
        context = multiprocessing.get_context("fork")
        tasks, self._tasks = context.Pipe(duplex=False)
        self._results, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_work, args=(tasks, sender, chunks, resolve, os.getpid()), daemon=True,
            name="tuquan-geocode",
        )  # fmt: skip
        self._process.start()
        tasks.close()  # only the worker holds these ends now: EOF here when it exits
        sender.close()

    def assign(self, n: int) -> None:
        self.pending.append(n)
        try:
            self._tasks.send_bytes(n.to_bytes(4, "little"))
        except OSError:  # it died: what it holds is redone by the caller
            self.alive = False

    def take(self, sink: _Sink, wait: bool) -> None:
        """Pass on the chunks sent back so far (``wait``: all of them, until it ends)."""
        try:
            while self.alive and (wait or self._results.poll()):
                n, rows = pickle.loads(self._results.recv_bytes())
                keys = self.chunks[n]
                sink({key: _from_row(row) for key, row in zip(keys, rows, strict=True)})
                self.pending.remove(n)
        except (EOFError, OSError, pickle.UnpicklingError, ValueError, TypeError):
            self.alive = False  # ended, died or failed: what it did not send is redone

    def finish(self, sink: _Sink) -> None:
        """Tell it no more chunks come, and pass on all it sends until it exits."""
        if self.alive:
            try:
                self._tasks.send_bytes(b"")
            except OSError:
                self.alive = False
        self.take(sink, wait=True)
        self.done = not self.pending

    def stop(self) -> None:
        """Close the pipes; end and reap the process unless it is ending by itself.

        A worker that is `done` has returned and closed its pipe: it is not waited for, as
        the kernel's teardown of its copy of the address space takes 20–30 ms here, which
        the batch would spend idle. multiprocessing reaps it at the next fork or at exit.
        """
        self._tasks.close()
        self._results.close()
        if self.done:
            return
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


def _work(tasks, sender, chunks: list[list[str]], resolve: Resolve, caller: int) -> None:
    """In a forked worker: resolve each chunk given, sending its result rows back."""
    try:
        while True:
            while not tasks.poll(ORPHAN_CHECK_SECONDS):
                if os.getppid() != caller:  # the caller was killed: nobody to work for
                    return
            message = tasks.recv_bytes()
            if not message:
                return
            n = int.from_bytes(message, "little")
            rows = [_as_row(resolve(key)) for key in chunks[n]]
            sender.send_bytes(pickle.dumps((n, rows), protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:  # the caller redoes what was not sent: no one to tell from here
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
