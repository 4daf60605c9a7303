"""Loading a geocoder: its gazetteer, its preloaded batch workers, and the garbage collector.

The gazetteer (~55k objects, ~65 MB) lives as long as the geocoder. Loaded before the batch
workers are forked, it would be shared with them copy-on-write: every batch process writes
reference counts all over the objects it reads, so the first large batch would copy ~25k
pages between the two (~0.1 CPU-s in the kernel), after a fork of the whole loaded process
(~15–20 ms). So the workers are forked first, while the process is small, and each loads
a gazetteer of its own at the same time as the caller, on a core that is otherwise idle
meanwhile (most of a load is waiting on PostGIS). They share nothing afterwards. The cost:
each worker's load (~1 CPU-s) and its own copy of the gazetteer, about what its copied
pages came to before.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from functools import partial

from sqlalchemy.engine import Engine

from gis.database import make_engine
from gis.gazetteer import Gazetteer
from gis.geocode_pool import Loaded, Worker
from gis.geocode_workers import process_count

__all__ = ["collector_paused", "load", "settle"]

# In a worker: (its own engine) → (work, after_batch, tag) of a geocoder of its own.
Build = Callable[[Engine], Loaded]


def load(engine: Engine, workers: int, build: Build) -> tuple[Gazetteer, list[Worker]]:
    """The gazetteer, and the batch workers that ``workers`` (as `Geocoder.workers`) asks
    for, each loading its own meanwhile (``build``) and joining batches once loaded."""
    preloaded = [Worker.loading(partial(_in_worker, engine, build))
                 for _ in range(process_count(workers) - 1)]  # fmt: skip
    try:
        return Gazetteer.from_engine(engine), preloaded
    except BaseException:
        for worker in preloaded:
            worker.stop(wait=True)
        raise


def _in_worker(engine: Engine, build: Build) -> Loaded:
    """In a preloaded worker, right after its fork: ``build`` with an engine of its own."""
    # What the fork copied is the caller's: never collected here (a collection could run a
    # finalizer on a socket the caller shares), and its database connections are not used.
    gc.freeze()
    own = make_engine(engine.url)
    try:
        loaded = build(own)
    finally:
        own.dispose()  # a worker only matches: it holds no connection while it waits
    settle()
    gc.disable()  # for good, as in a batch (`collector_paused`): memos go after each batch
    return loaded


@contextlib.contextmanager
def collector_paused():
    """No cyclic garbage collection while a batch runs (the previous state is restored).

    A batch makes no reference cycles: what it allocates is freed by reference count, so
    the collector finds nothing to free, yet it would rescan the batch's growing memos each
    time allocations cross its thresholds (~0.5 s of a 10k-address batch here, a quarter).
    The memos are dropped before the collector resumes (`Geocoder.geocode_many`), so only
    the results are left for it to look at, once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settle() -> None:
    """Take what was just loaded out of the cyclic garbage collector's rounds.

    The gazetteer lives as long as the process. Left to the collector, every full
    collection rescans it with everything else alive (~300k objects, 0.3 s each here;
    three fell in each 10k-address batch). A collection first, so that no garbage is kept,
    then `gc.freeze` (frozen objects are still freed by reference count).
    """
    gc.collect()
    gc.freeze()
