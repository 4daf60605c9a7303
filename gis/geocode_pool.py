"""The forked workers of batch geocoding (gis.geocode_workers hands them their chunks).

A `WorkerPool` keeps its workers from one batch to the next (the geocoder keeps one per
gazetteer). Between batches a worker drops what the batch left in its memos
(``after_batch``) and waits; it exits when the pool is closed, when its caller is gone, or
when a batch it worked for was interrupted.

A worker comes one of two ways:

- *preloaded* (`Worker.loading`): forked before the caller loads what it works with, it
  builds its own copy at the same time (``load``), on another core, from what the caller
  hands it (`Worker.provide`: what the caller read from the database), and says when it
  is ready. Nothing is shared afterwards, so a batch pays no page copying. It gets chunks
  only once ready: one still loading simply joins a batch later.
- *forked for a batch* (when no preloaded worker is alive): it shares everything loaded,
  copy-on-write. The fork and the copying of the pages both processes write to after it
  (~0.1–0.2 CPU-s of a 10k-address batch here, half of it in the kernel) fall in that
  batch.

A worker is sent the items of each chunk (pickled) through one pipe and sends back each
chunk's results as plain tuples through another.
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

__all__ = ["WorkerPool"]

ORPHAN_CHECK_SECONDS = 1.0  # a worker waiting for work checks this often that its caller lives
# Told to a worker: go (workers forked later hold copies of the caller's end of its task
# pipe, so closing that end is no end-of-file it could wait for); b"": the batch is over.
QUIT = b"q"
READY = b"r"  # from a preloaded worker: loaded


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
        preloaded: list[Worker] = (),
    ) -> None:
        self._work = _weak(work)
        self._after_batch = _weak(after_batch) if after_batch is not None else None
        self._workers: list[Worker] = list(preloaded)

    def workers(self, n: int) -> list[Worker]:
        """``n`` live workers: those kept, and new ones forked for the missing."""
        self._workers = [w for w in self._workers if w.alive]
        while len(self._workers) < n:
            self._workers.append(Worker(self._work, self._after_batch))
        return self._workers[:n]

    def discard(self, workers: list[Worker]) -> None:
        """End these workers now; the next batch forks others."""
        for worker in workers:
            worker.stop(wait=True)
        self._workers = [w for w in self._workers if w not in workers]

    def close(self, wait: bool = False) -> None:
        """Let every worker go (an idle one exits by itself; a busy one is ended), or with
        ``wait``, end them all and wait until they are gone."""
        for worker in self._workers:
            worker.stop(wait=wait)
        self._workers = []


def _weak(function: Callable) -> Callable:
    """A bound method as a weak reference (called to get it back); a function as is."""
    if hasattr(function, "__self__") and hasattr(function, "__func__"):
        return weakref.WeakMethod(function)
    return lambda: function


Loaded = tuple[Callable[[Any], GeocodeResult], Callable[[], None] | None]  # work, after_batch
Load = Callable[[Callable[[], Any]], Loaded]  # given how to receive what `provide` sends


class Worker:
    """One forked process resolving the chunks it is given (their items, through one
    pipe), sending back each chunk's result rows (through another)."""

    def __init__(self, work, after_batch, load: Load | None = None) -> None:
        self.pending: deque[int] = deque()  # chunks given whose results are not back yet
        self.done = 0  # chunks whose results came back
        self.alive = True
        self.ready = load is None  # a preloaded worker is once it has said so
        context = multiprocessing.get_context("fork")
        tasks, self._tasks = context.Pipe(duplex=False)
        self._results, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_work, args=(tasks, sender, work, after_batch, os.getpid(), load),
            daemon=True, name="tuquan-geocode",
        )  # fmt: skip
        self._process.start()
        tasks.close()  # only the worker holds these ends now: EOF here when it exits
        sender.close()

    @classmethod
    def loading(cls, load: Load) -> Worker:
        """A preloaded worker: forked now, it runs ``load(receive)`` → (work, after_batch),
        where ``receive()`` waits for what this process `provide`s."""
        return cls(None, None, load)

    def provide(self, value: Any) -> None:
        """Hand a preloaded worker what its load waits for (it waits already, as a rule:
        a pipe holds ~64 kB, and this returns once the worker has read the rest)."""
        try:
            self._tasks.send_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:  # its load failed: it is gone
            self.alive = False

    def usable(self) -> bool:
        """Alive and ready for chunks (a preloaded worker: once it said it is loaded)."""
        if self.alive and not self.ready:
            try:
                if self._results.poll():
                    self.ready = self._results.recv_bytes() == READY
            except (EOFError, OSError):
                self.alive = False  # its load failed: it is gone
        return self.alive and self.ready

    def assign(self, n: int, message: bytes) -> None:
        self.pending.append(n)
        try:
            self._tasks.send_bytes(message)
        except OSError:  # it died: what it holds is redone by the caller
            self.alive = False

    def take(self, sink: Callable[[dict], None], chunks: list[list[str]], wait: bool) -> None:
        """Pass on the chunks sent back so far (``wait``: all it was given)."""
        try:
            while self.alive and self.pending and (wait or self._results.poll()):
                n, rows = pickle.loads(self._results.recv_bytes())
                keys = chunks[n]
                sink({key: _from_row(row) for key, row in zip(keys, rows, strict=True)})
                self.pending.remove(n)
                self.done += 1
        except (EOFError, OSError, pickle.UnpicklingError, ValueError, TypeError):
            self.alive = False  # died or failed: what it did not send is redone

    def finish(self, sink: Callable[[dict], None], chunks: list[list[str]], keep: bool) -> None:
        """Pass on all it sends for this batch; then, when it is kept for later batches
        (``keep``), tell it that this one is over."""
        self.take(sink, chunks, wait=True)
        if keep and self.alive and self.ready:
            try:
                self._tasks.send_bytes(b"")
            except OSError:
                self.alive = False

    def stop(self, wait: bool) -> None:
        """Close the pipes: an idle worker exits by itself, and is not waited for (the
        kernel's teardown of its copy of the address space takes 20–30 ms here, which a
        batch would spend idle; multiprocessing reaps it at the next fork or at exit). A
        busy one, one still loading, or any when ``wait``, is ended and reaped here."""
        idle = not wait and self.alive and self.ready and not self.pending
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


def _work(tasks, sender, work, after_batch, caller: int, load) -> None:
    """In a forked worker: resolve each chunk given, sending its result rows back.

    Forked for a batch, the cyclic garbage collector stays as the caller had it: paused,
    for a geocode batch (gis.geocoding: a batch makes no reference cycles, and a collection
    here could run the finalizers of the caller's objects, such as a database connection's,
    on a socket the caller shares). Preloaded, ``load`` sees to that (gis.geocoding).
    """
    try:
        if load is not None:
            work, after_batch = load(lambda: pickle.loads(_next(tasks, caller)))
            sender.send_bytes(READY)
        else:
            work = work()  # the worker's copy of the bound method (alive: its owner forked us)
            after_batch = after_batch() if after_batch is not None else None
        while True:
            message = _next(tasks, caller)
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


def _next(tasks, caller: int) -> bytes:
    """The next message from the caller; EOFError once the caller is gone (killed: no end
    of file comes while workers forked later hold copies of its end of the pipe)."""
    while not tasks.poll(ORPHAN_CHECK_SECONDS):
        if os.getppid() != caller:
            raise EOFError("the caller is gone")
    return tasks.recv_bytes()


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
