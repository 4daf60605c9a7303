"""Checking an import's chunks on several cores, the results taken in file order.

Checking a chunk (parsing, dates, coordinates, point-in-polygon over the in-memory
communes, formatting the COPY data) is pure CPU work; reading the file and writing to the
database are not, and stay in the importing process. For a file of several chunks that
process forks workers once its third chunk is read: each chunk then goes to a worker with
room (at most `DEPTH` chunks queued), else the importing process checks it itself, and the
results come back in file order, so what is staged and reported does not depend on who
checked what.

A chunk travels to a worker as `gis.ingest.chunks.pack` makes it (raw lines, or one text per
column: pickling 100,000 str objects costs ~10× more); a checked chunk comes back as
plain values and bytes. A worker never touches the database: it closes its copy of the
import's connection first thing, so that a killed import still ends its transaction, and it
leaves when its importer is gone. A worker that fails or dies costs only time: its chunks
are checked again here (an error in the data is then raised here, in file order).
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import pickle
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any

import pandas as pd

from gis.geocode_workers import process_count
from gis.ingest.chunks import pack, unpack

__all__ = ["DEPTH", "checked_in_order", "process_count"]

DEPTH = 2  # chunks queued at one worker: one checked while the next travels
# Workers are forked for files of this many chunks or more: a fork costs both processes
# page copies, so two chunks of 100,000 rows gained nothing (measured).
MIN_CHUNKS = 3
PIPE_BYTES = 1 << 20  # Linux's default ceiling for a pipe's buffer (64 KiB otherwise)
PARENT_POLL_S = 0.5  # how often an idle worker looks whether its importer still lives

Check = Callable[[pd.DataFrame], Any]


def checked_in_order(
    chunks: Iterable[pd.DataFrame],
    check: Check,
    processes: int,
    close_fds: tuple[int, ...] = (),
    on_fork: Callable[[], None] | None = None,
) -> Iterator[tuple[pd.DataFrame, Any]]:
    """``(chunk, check(chunk))`` for every chunk, in order; an exception of ``check`` (or of
    reading) is raised where it would be raised checking the chunks one after the other.

    With ``processes`` > 1 and `MIN_CHUNKS` chunks, ``processes - 1`` workers are forked;
    each closes ``close_fds`` (the import's database connection) at once. ``on_fork`` is
    called just before (no chunk is checked yet): what it changes, the workers inherit.
    """
    pending: deque[_Entry] = deque()
    workers: list[_Worker] = []
    inbox: queue.SimpleQueue = queue.SimpleQueue()  # (worker, message or None: gone)
    source = iter(chunks)
    limit = 2 * DEPTH * max(1, processes - 1) + 2  # chunks held here at most
    try:
        seq = 0
        while True:
            try:
                chunk = next(source)
            except StopIteration:
                break
            except Exception as exc:  # a reading error comes after the chunks before it
                pending.append(_Entry(-1, None, error=exc))
                break
            entry = _Entry(seq, chunk)
            seq += 1
            pending.append(entry)
            if processes > 1 and seq < MIN_CHUNKS:
                continue  # the first chunks wait: a file of fewer is checked here alone
            if processes > 1 and seq == MIN_CHUNKS:
                if on_fork is not None:
                    on_fork()
                workers = _start(processes - 1, check, close_fds, inbox)
            idle = [w for w in workers if w.alive and len(w.queued) < DEPTH]
            if idle:
                min(idle, key=lambda w: len(w.queued)).submit(entry)
            else:
                entry.check_here(check)
            if not pending[0].done and pending[0].worker is None:
                pending[0].check_here(check)  # a chunk held back, while the workers check
            _collect(inbox, block=False)
            while pending and (pending[0].done or len(pending) > limit):
                yield _take(pending, inbox, check)
        while pending:
            yield _take(pending, inbox, check)
    finally:
        _stop(workers)


class _Entry:
    """One chunk on its way: where it is checked, and its result once known."""

    def __init__(self, seq: int, chunk, error: BaseException | None = None) -> None:
        self.seq, self.chunk = seq, chunk
        self.result: Any = None
        self.error = error
        self.done = error is not None
        self.worker: _Worker | None = None

    def check_here(self, check: Check) -> None:
        self.worker = None
        try:
            self.result = check(self.chunk)
        except Exception as exc:  # raised when the chunks before it are through
            self.error = exc
        self.done = True


def _take(pending: deque[_Entry], inbox: queue.SimpleQueue, check: Check):
    """The first pending chunk and its result (waiting for it, or checking it here)."""
    head = pending[0]
    while not head.done:
        if head.worker is None or not head.worker.alive:
            head.check_here(check)
        else:
            _collect(inbox, block=True)  # its worker sends a result, or is gone
    pending.popleft()
    if head.error is not None:
        raise head.error
    return head.chunk, head.result


def _collect(inbox: queue.SimpleQueue, block: bool) -> None:
    """Take the results the workers have sent (``block``: wait for one)."""
    while True:
        try:
            worker, message = inbox.get(block=block)
        except queue.Empty:
            return
        worker.receive(message)
        block = False


class _Worker:
    """A forked process checking the chunks sent to it, one after the other."""

    def __init__(self, check: Check, close: list[Connection], close_fds: tuple[int, ...],
                 inbox: queue.SimpleQueue) -> None:  # fmt: skip
        context = multiprocessing.get_context("fork")
        jobs, self._jobs = context.Pipe(duplex=False)
        self.results, results = context.Pipe(duplex=False)
        for end in (jobs, self.results):
            _widen(end)
        self.queued: deque[_Entry] = deque()
        self.alive = True
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._inbox = inbox
        self._threads: list[threading.Thread] = []
        self._process = context.Process(
            target=_serve, name="tuquan-import", daemon=True,
            args=(jobs, results, check, os.getpid(), [*close, self._jobs, self.results],
                  close_fds),
        )  # fmt: skip
        self._process.start()
        jobs.close()  # only the worker holds these ends now: EOF when it is gone
        results.close()

    @property
    def ends(self) -> list[Connection]:
        return [self._jobs, self.results]

    def start_threads(self) -> None:
        """The threads that send chunks and take results in: neither process ever waits
        for the other to read. Started once every worker is forked (no fork with them)."""
        for target in (self._send, self._take_in):
            thread = threading.Thread(target=target, name="tuquan-import-pipe", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _send(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                self._jobs.send_bytes(message)
            except (OSError, ValueError):  # the worker is gone: its chunks are redone
                return

    def _take_in(self) -> None:
        while True:
            try:
                message = self.results.recv_bytes()
            except (EOFError, OSError, ValueError):
                self._inbox.put((self, None))  # gone: what it did not send is redone
                return
            self._inbox.put((self, message))

    def submit(self, entry: _Entry) -> None:
        entry.worker = self
        self.queued.append(entry)
        message = pickle.dumps((entry.seq, pack(entry.chunk)), protocol=pickle.HIGHEST_PROTOCOL)
        self._outbox.put(message)

    def receive(self, message: bytes | None) -> None:
        """Take a message of the worker's (None: the worker is gone)."""
        if not self.alive:
            return
        try:
            seq, result, failed = pickle.loads(message) if message is not None else (0, 0, 1)
        except (pickle.UnpicklingError, ValueError, EOFError):
            failed = True
        if message is None or failed or not self.queued or self.queued[0].seq != seq:
            self._retire()  # what it did not send is checked by the importer
            return
        entry = self.queued.popleft()
        entry.result, entry.done = result, True

    def _retire(self) -> None:
        self.alive = False
        for entry in self.queued:
            entry.worker = None
        self.queued.clear()

    def stop(self) -> None:
        """End the worker (at once if it is still checking) and reap it."""
        self.alive = False
        self._outbox.put(None)
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()  # gone: the receiving thread sees the end of its pipe
        for thread in self._threads:
            thread.join(timeout=5)
        for conn in self.ends:
            conn.close()


def _widen(pipe: Connection) -> None:
    """A pipe of `PIPE_BYTES` where Linux allows it: a chunk then crosses in a few reads,
    not ~150 (each of which waits for the GIL in a busy process)."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _start(
    count: int, check: Check, close_fds: tuple[int, ...], inbox: queue.SimpleQueue
) -> list[_Worker]:
    """``count`` workers (fewer if the system refuses a fork: the importer does the rest)."""
    workers: list[_Worker] = []
    for _ in range(count):
        inherited = [conn for w in workers for conn in w.ends]
        try:
            workers.append(_Worker(check, inherited, close_fds, inbox))
        except OSError:
            break
    for worker in workers:
        worker.start_threads()
    return workers


def _stop(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.stop()


def _serve(jobs: Connection, results: Connection, check: Check, parent: int,
           close: list[Connection], close_fds: tuple[int, ...]) -> None:  # fmt: skip
    """In a forked worker: check each chunk sent, send back (seq, result, failed)."""
    for conn in close:
        conn.close()
    for fd in close_fds:  # the importer's database connection: never used here
        with contextlib.suppress(OSError):
            os.close(fd)
    try:
        while True:
            while not jobs.poll(PARENT_POLL_S):
                if os.getppid() != parent:
                    return  # the importer is gone (killed): nothing to send to
            seq, packed = pickle.loads(jobs.recv_bytes())
            try:
                reply = (seq, check(unpack(packed)), False)
            except Exception:  # the importer checks the chunk again and reports it
                reply = (seq, None, True)
            results.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    except (EOFError, OSError, KeyboardInterrupt, pickle.UnpicklingError):
        return
    finally:
        results.close()
