"""Resolving a large batch of addresses on several cores.

Matching an address is pure Python over the in-memory gazetteer (~100 µs each), so one
process uses one core. For a large batch the distinct addresses are cut into slices: the
calling process resolves the first slice, forked workers the others. A fork shares the
gazetteer (and everything else loaded) copy-on-write, so a worker costs no loading; it
sends its results back as plain tuples through a pipe. A worker that fails or dies costs
only time: its slice is resolved by the caller, so the answers never depend on how the
batch was cut.

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

    ``advance(n)`` is called in this process every ``step`` or so addresses, for the
    workers' progress too; ``found`` (if given) gets the results a share at a time: every
    ``step`` of this process's own, then each worker's slice. ``meanwhile`` (if given) is
    other work of this process, done once the workers run; its results are passed on and
    returned with the others (progress is its own to report).
    """
    if not keys:
        extra = meanwhile() if meanwhile is not None else {}
        _pass_on(extra, {}, found, None)
        return extra
    # This process takes a little less: it passes its results on while the workers end.
    own = len(keys) - (len(keys) * (processes - 1) * 21 // 20) // processes
    size = -(-(len(keys) - own) // (processes - 1)) if processes > 1 else 0
    slices = [keys[:own]] + [keys[i : i + size] for i in range(own, len(keys), size or 1)]
    workers = [_Worker(part, resolve, step) for part in slices[1:]]
    try:
        extra = meanwhile() if meanwhile is not None else {}
        results = _gather(slices[0], workers, resolve, advance, step, found)
        _pass_on(extra, results, found, None)
        return results
    finally:
        for worker in workers:
            worker.stop()  # ended already, unless this process was interrupted


def _gather(own: list[str], workers: list[_Worker], resolve: Resolve, advance: Advance,
            step: int, found: Found | None) -> dict[str, GeocodeResult]:  # fmt: skip
    """This process's slice, then each worker's results (redone here if it failed)."""
    results: dict[str, GeocodeResult] = {}
    share: dict[str, GeocodeResult] = {}
    for key in own:
        share[key] = resolve(key)
        if len(share) == step:
            _pass_on(share, results, found, advance)
            share = {}
            for worker in workers:
                worker.read(advance, wait=False)
    _pass_on(share, results, found, advance)
    for worker in workers:
        rows = worker.rows(advance)
        if rows is None:
            # The worker failed or died: its slice is done here, with the same answers.
            rows = [_as_row(resolve(key)) for key in worker.keys]
            advance(len(rows) - worker.ticked)
        share = {key: _from_row(row) for key, row in zip(worker.keys, rows, strict=True)}
        _pass_on(share, results, found, None)
    return results


def _pass_on(share, results, found: Found | None, advance: Advance | None) -> None:
    results.update(share)
    if found is not None and share:
        found(share)
    if advance is not None:
        advance(len(share))


class _Worker:
    """One forked process resolving one slice; its messages: ("tick", n), ("rows", rows)."""

    def __init__(self, keys: list[str], resolve: Resolve, step: int) -> None:
        self.keys = keys
        self.ticked = 0  # the progress it reported
        self._rows: list | None = None
        self._ended = False
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_work, args=(sender, keys, resolve, step), daemon=True, name="tuquan-geocode"
        )
        self._process.start()
        sender.close()  # only the worker holds it now: EOF here when the worker exits

    def read(self, advance: Advance, wait: bool) -> None:
        """Pass on the progress reported so far (``wait``: until the results come)."""
        try:
            while not self._ended and (wait or self._receiver.poll()):
                kind, value = pickle.loads(self._receiver.recv_bytes())
                if kind == "rows":
                    self._rows, self._ended = value, True
                else:
                    self.ticked += value
                    advance(value)
        except (EOFError, OSError, pickle.UnpicklingError):
            self._ended = True  # died or failed: no rows

    def rows(self, advance: Advance) -> list | None:
        """The slice's result rows, or None when the worker gave none (all or nothing)."""
        self.read(advance, wait=True)
        self.stop()
        if self._rows is not None and len(self._rows) != len(self.keys):
            return None
        return self._rows

    def stop(self) -> None:
        """Close the pipe and reap the process (ended by now, or ended here)."""
        self._receiver.close()
        if not self._ended:
            self._process.terminate()
        self._process.join()


def _work(sender, keys: list[str], resolve: Resolve, step: int) -> None:
    """In a forked worker: resolve the slice, report progress, send the results."""
    try:
        rows, done = [], 0
        for key in keys:
            rows.append(_as_row(resolve(key)))
            done += 1
            if done == step:
                sender.send_bytes(pickle.dumps(("tick", done)))
                done = 0
        if done:
            sender.send_bytes(pickle.dumps(("tick", done)))
        sender.send_bytes(pickle.dumps(("rows", rows), protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:  # the caller redoes the slice: no one to tell from here
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
