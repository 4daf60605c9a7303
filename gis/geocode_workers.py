"""Resolving a large batch of addresses on several cores.

Matching an address is pure Python over the in-memory gazetteer (~100 µs each), so one
process uses one core. For a large batch the distinct addresses are cut into slices: the
calling process resolves the first slice, forked workers the others. A fork shares the
gazetteer (and everything else loaded) copy-on-write, so a worker costs no loading; it
sends its results back as plain tuples through a pipe, a share at a time, and the caller
passes each share on (to the cache writer) between its own. A worker that fails or dies
costs only time: what it did not send is resolved by the caller, so the answers never
depend on how the batch was cut.

Workers are forked only where fork exists (Linux and other POSIX systems) and only for
batches worth it (`MIN_PER_WORKER` addresses each); the process that forks must not hold
locks another thread may be holding (a batch geocode is a CPU-bound call of its own).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable

from gis.geocode_result import Candidate, GeocodeResult

__all__ = ["MIN_PER_WORKER", "Found", "available_cpus", "resolve_sliced", "worker_count"]

MIN_PER_WORKER = 1_500  # below this a fork and the pipe cost more than the slice saves
MAX_AUTO_WORKERS = 4  # with the caller: at most 4 cores unless configured

Resolve = Callable[[str], GeocodeResult]
Advance = Callable[[int], None]
Found = Callable[[dict[str, GeocodeResult]], None]  # given each share of results as it comes


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(configured: int, addresses: int) -> int:
    """Processes (the caller included) for a batch of ``addresses`` distinct addresses.

    ``configured``: 0 picks one per available CPU (at most `MAX_AUTO_WORKERS`); 1 keeps
    the batch in the calling process.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = configured or min(MAX_AUTO_WORKERS, available_cpus())
    return max(1, min(wanted, addresses // MIN_PER_WORKER))


def resolve_sliced(
    keys: list[str],
    resolve: Resolve,
    processes: int,
    advance: Advance,
    step: int,
    found: Found | None = None,
    meanwhile: Callable[[], dict[str, GeocodeResult]] | None = None,
) -> dict[str, GeocodeResult]:
    """``resolve(key)`` for every key, the keys cut into ``processes`` slices.

    Results come back a share of about ``step`` keys at a time, from this process and from
    each worker; each share is passed to ``found`` (if given) and counted by ``advance``
    as it comes. ``meanwhile`` (if given) is other work of this process, done once the
    workers run; its results are passed on and returned with the others (its progress is
    its own to report).
    """
    if not keys:
        extra = meanwhile() if meanwhile is not None else {}
        _pass_on(extra, {}, found, None)
        return extra
    # This process takes a tenth less than a fair share: it also passes the workers' on.
    own = len(keys) * 9 // (10 * processes) if processes > 1 else len(keys)
    size = -(-(len(keys) - own) // (processes - 1)) if processes > 1 else 0
    slices = [keys[:own]] + [keys[i : i + size] for i in range(own, len(keys), size or 1)]
    workers = [_Worker(part, resolve, step) for part in slices[1:]]
    try:
        results: dict[str, GeocodeResult] = {}
        extra = meanwhile() if meanwhile is not None else {}
        _gather(slices[0], workers, resolve, step, _Sink(results, found, advance))
        _pass_on(extra, results, found, None)
        return results
    finally:
        for worker in workers:
            worker.stop()  # ended already, unless this process was interrupted


class _Sink:
    """Where every share of results goes: the batch's results, ``found``, the progress."""

    def __init__(self, results: dict, found: Found | None, advance: Advance) -> None:
        self.results, self.found, self.advance = results, found, advance

    def __call__(self, share: dict[str, GeocodeResult]) -> None:
        _pass_on(share, self.results, self.found, self.advance)


def _gather(own: list[str], workers: list[_Worker], resolve: Resolve, step: int,
            sink: _Sink) -> None:  # fmt: skip
    """This process's slice, the workers' shares taken in between; then the rest of the
    workers' (what a failed worker left is done here)."""
    share: dict[str, GeocodeResult] = {}
    for key in own:
        share[key] = resolve(key)
        if len(share) == step:
            sink(share)
            share = {}
            for worker in workers:
                worker.take(sink, wait=False)
    sink(share)
    for worker in workers:
        worker.take(sink, wait=True)
        left = worker.keys[worker.done :]
        if left:
            # The worker failed or died: the rest of its slice is done here, alike.
            sink({key: resolve(key) for key in left})


def _pass_on(share, results, found: Found | None, advance: Advance | None) -> None:
    results.update(share)
    if found is not None and share:
        found(share)
    if advance is not None:
        advance(len(share))


class _Worker:
    """One forked process resolving one slice; it sends its result rows a share at a
    time, in the order of its keys, then ("end",)."""

    def __init__(self, keys: list[str], resolve: Resolve, step: int) -> None:
        self.keys = keys
        self.done = 0  # keys whose results came back
        self._ended = False
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_work, args=(sender, keys, resolve, step), daemon=True, name="tuquan-geocode"
        )
        self._process.start()
        sender.close()  # only the worker holds it now: EOF here when the worker exits

    def take(self, sink: _Sink, wait: bool) -> None:
        """Pass on the shares sent so far (``wait``: all of them, until the worker ends)."""
        try:
            while not self._ended and (wait or self._receiver.poll()):
                message = pickle.loads(self._receiver.recv_bytes())
                if message[0] == "end":
                    self._ended = True
                    continue
                rows = message[1]
                keys = self.keys[self.done : self.done + len(rows)]
                sink({key: _from_row(row) for key, row in zip(keys, rows, strict=True)})
                self.done += len(rows)
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):
            self._ended = True  # died or failed: what it did not send is redone

    def stop(self) -> None:
        """Close the pipe and reap the process (ended by now, or ended here)."""
        self._receiver.close()
        if self._process.is_alive() and not self._ended:
            self._process.terminate()
        self._process.join()


def _work(sender, keys: list[str], resolve: Resolve, step: int) -> None:
    """In a forked worker: resolve the slice, sending the result rows a share at a time."""
    try:
        rows = []
        for key in keys:
            rows.append(_as_row(resolve(key)))
            if len(rows) == step:
                sender.send_bytes(pickle.dumps(("rows", rows), protocol=pickle.HIGHEST_PROTOCOL))
                rows = []
        if rows:
            sender.send_bytes(pickle.dumps(("rows", rows), protocol=pickle.HIGHEST_PROTOCOL))
        sender.send_bytes(pickle.dumps(("end",)))
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
