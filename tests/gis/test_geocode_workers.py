"""Resolving a batch in forked workers: same answers in input order, progress, failures."""

from __future__ import annotations

import os

import pytest

from gis.geocode_result import Candidate, GeocodeResult
from gis.geocode_workers import _as_row, _from_row, resolve_sliced, worker_count

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
