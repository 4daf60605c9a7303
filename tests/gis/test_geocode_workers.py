"""Resolving a batch in forked workers: same answers in input order, progress, failures."""

from __future__ import annotations

import gc
import multiprocessing
import os
import weakref

import pytest

from gis.geocode_pool import Worker, WorkerPool, _as_row, _from_row
from gis.geocode_result import Candidate, GeocodeResult
from gis.geocode_workers import resolve_sliced, worker_count
from tests.helpers import wait_until

PARENT = os.getpid()
KEYS = [f"xã số {i}" for i in range(1000)]


def _answer(key: str) -> GeocodeResult:
    n = int(key.rsplit(" ", 1)[1])
    return GeocodeResult(
        key, "ambiguous" if n % 7 == 0 else "matched", "commune", f"{n:05d}", key, "37",
        "Tỉnh Ninh Bình", None, 105.9 + n / 1e4, 20.2, 0.9,
        [Candidate("00001", "Xã Một", "37", 0.8)] if n % 7 == 0 else [], None,
    )  # fmt: skip


def _dies_in_a_worker(key: str) -> GeocodeResult:
    if os.getpid() != PARENT and key.endswith(" 900"):
        os._exit(3)  # a worker killed mid-slice (out of memory, a signal…)
    return _answer(key)


@pytest.mark.parametrize("processes", [1, 2, 3, 16])
@pytest.mark.parametrize("resolve", [_answer, _dies_in_a_worker])
def test_every_key_once_with_the_one_process_answer(processes, resolve):
    ticks, shares = [], []
    got = resolve_sliced(KEYS, resolve, processes, ticks.append, 25, shares.append)
    assert {k: r.as_dict() for k, r in got.items()} == {k: _answer(k).as_dict() for k in KEYS}
    assert sum(ticks) == len(KEYS)  # the progress bar ends full, not beyond
    assert sorted(k for share in shares for k in share) == sorted(KEYS)  # each passed on once


def test_a_result_survives_the_trip_between_processes():
    full = _answer("xã số 14")
    assert _from_row(_as_row(full)) == full


def test_small_batches_stay_in_this_process():
    assert worker_count(0, 10) == 1
    assert worker_count(1, 1_000_000) == 1
    assert worker_count(2, 1_000_000) == 2


@pytest.mark.parametrize("processes", [1, 2])
def test_work_done_meanwhile_is_passed_on_and_returned(processes):
    shares = []
    extra = {"20.25, 105.97": _answer("xã số 5000")}
    got = resolve_sliced(KEYS, _answer, processes, lambda n: None, 25, shares.append,
                         lambda: extra)  # fmt: skip
    assert set(got) == {*KEYS, "20.25, 105.97"}
    assert extra in shares
    assert resolve_sliced([], _answer, processes, lambda n: None, 25, shares.append,
                          lambda: extra) == extra  # fmt: skip


class _Counting:
    """A resolver whose answers show which process gave them, and how many keys it had
    resolved since its last batch ended (its memo, as the geocoder's)."""

    def __init__(self) -> None:
        self.seen = 0

    def work(self, key: str) -> GeocodeResult:
        self.seen += 1
        return GeocodeResult(key, "matched", reason=f"{os.getpid()} {self.seen}")

    def after_batch(self) -> None:
        self.seen = 0


def _pids(results) -> set[int]:
    return {int(r.reason.split()[0]) for r in results.values()}


def test_a_pool_keeps_its_workers_for_the_next_batch():
    counting = _Counting()
    pool = WorkerPool(counting.work, counting.after_batch)
    try:
        first = resolve_sliced(KEYS, counting.work, 2, lambda n: None, 25, pool=pool)
        second = resolve_sliced(KEYS, counting.work, 2, lambda n: None, 25, pool=pool)
        assert set(first) == set(second) == set(KEYS)
        workers = _pids(first) - {PARENT}
        assert len(workers) == 1 and _pids(second) - {PARENT} == workers  # not forked again
        # The worker was told the first batch was over: it starts counting again.
        seen = [int(r.reason.split()[1]) for r in second.values() if _pids({0: r}) == workers]
        assert max(seen) <= len(KEYS) - 25  # this process did the first chunk at least
        assert min(seen) == 1
    finally:
        pool.close()


def test_a_pool_replaces_a_worker_that_died():
    pool = WorkerPool(_dies_in_a_worker)
    try:
        for _ in range(2):  # each batch loses its worker at "xã số 900", and redoes its chunks
            got = resolve_sliced(KEYS, _dies_in_a_worker, 2, lambda n: None, 25, pool=pool)
            assert {k: r.as_dict() for k, r in got.items()} == {
                k: _answer(k).as_dict() for k in KEYS
            }
    finally:
        pool.close()


def test_an_interrupted_batch_leaves_nothing_for_the_next_one():
    counting = _Counting()
    pool = WorkerPool(counting.work, counting.after_batch)
    calls = []

    def found(share):
        calls.append(share)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the caller stops the batch; its workers hold chunks

    try:
        with pytest.raises(KeyboardInterrupt):
            resolve_sliced(KEYS, counting.work, 2, lambda n: None, 25, found, pool=pool)
        others = [f"thôn {i}" for i in range(300)]
        got = resolve_sliced(others, counting.work, 2, lambda n: None, 25, pool=pool)
        assert set(got) == set(others)  # no late answer of the interrupted batch
    finally:
        pool.close()


def test_a_pool_keeps_no_owner_alive_and_its_workers_end_with_it():
    counting = _Counting()
    pool = WorkerPool(counting.work, counting.after_batch)
    owner = weakref.ref(counting)
    resolve_sliced(KEYS, counting.work, 2, lambda n: None, 25, pool=pool)
    (worker,) = pool._workers
    del counting
    gc.collect()
    assert owner() is None  # held weakly: the pool does not keep its owner
    pool.close()
    worker._process.join(timeout=10)
    assert not worker._process.is_alive()  # told to go, it went


def test_closing_a_pool_with_wait_leaves_no_worker_behind():
    counting = _Counting()
    pool = WorkerPool(counting.work, counting.after_batch)
    resolve_sliced(KEYS, counting.work, 2, lambda n: None, 25, pool=pool)
    (worker,) = pool._workers
    pool.close(wait=True)
    assert not worker._process.is_alive()  # gone when close returns, not later
    got = resolve_sliced(KEYS, counting.work, 2, lambda n: None, 25, pool=pool)
    assert set(got) == set(KEYS)  # a later batch forks another
    pool.close(wait=True)


@pytest.mark.parametrize("processes", [1, 2])
def test_done_here_is_called_once_this_process_has_no_chunk_left(processes):
    calls = []
    got = resolve_sliced(KEYS, _answer, processes, lambda n: None, 25,
                         done_here=lambda: calls.append(len(calls)))  # fmt: skip
    assert calls == [0] and set(got) == set(KEYS)


PROVIDED = {"what the caller read": list(range(50_000))}  # more than a pipe holds


def _loading(go=None, fail: bool = False):
    """A preloaded worker's load: waits for ``go`` (if given), takes what the caller
    provides (it must be `PROVIDED`), then fails or gives its own resolver."""

    def load(receive):
        if go is not None:
            go.wait()
        if receive() != PROVIDED or fail:
            raise RuntimeError("the load failed")
        counting = _Counting()
        return counting.work, counting.after_batch

    return load


def test_a_preloaded_worker_joins_a_batch_once_loaded_and_no_batch_waits_for_it():
    go = multiprocessing.get_context("fork").Event()
    worker = Worker.loading(_loading(go))
    counting = _Counting()
    pool = WorkerPool(counting.work, counting.after_batch, [worker])
    try:
        first = resolve_sliced(KEYS, counting.work, 2, lambda n: None, 25, pool=pool)
        assert set(first) == set(KEYS) and _pids(first) == {PARENT}  # all done here
        assert pool.workers(1) == [worker]  # still loading: kept, no other forked
        go.set()
        worker.provide(PROVIDED)
        wait_until(worker.usable, "the worker's load")
        second = resolve_sliced(KEYS, counting.work, 2, lambda n: None, 25, pool=pool)
        assert set(second) == set(KEYS)
        assert _pids(second) == {PARENT, worker._process.pid} and worker.done > 0
    finally:
        pool.close(wait=True)
    assert not worker._process.is_alive()


def test_a_preloaded_worker_whose_load_failed_is_replaced():
    worker = Worker.loading(_loading(fail=True))
    worker.provide(PROVIDED)
    pool = WorkerPool(_answer, None, [worker])
    try:
        wait_until(lambda: worker.usable() or not worker.alive, "the worker's load")
        assert not worker.alive
        got = resolve_sliced(KEYS, _answer, 2, lambda n: None, 25, pool=pool)
        assert {k: r.as_dict() for k, r in got.items()} == {k: _answer(k).as_dict() for k in KEYS}
        assert worker not in pool._workers  # a worker forked for the batch took its place
        assert not worker._process.is_alive()
    finally:
        pool.close(wait=True)


def test_closing_a_pool_ends_a_worker_still_loading():
    go = multiprocessing.get_context("fork").Event()  # never set: it would load forever
    worker = Worker.loading(_loading(go))
    pool = WorkerPool(_answer, None, [worker])
    pool.close()
    assert not worker._process.is_alive()
