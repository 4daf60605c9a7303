"""Loading a geocoder with preloaded batch workers: their gazetteers are the caller's, built
from what the caller read; a failed load leaves no worker behind."""

from __future__ import annotations

import multiprocessing

import pytest
import sqlalchemy as sa

from gis.database import make_engine
from gis.gazetteer import Gazetteer, source_units
from gis.geocode_loading import load
from tests.helpers import wait_until


def _same(a: Gazetteer, b: Gazetteer) -> None:
    fields = ("uid", "level", "name", "full_name", "kind", "code", "province_code", "parent",
              "lon", "lat", "successors", "keywords", "loaded", "accent", "key")  # fmt: skip
    assert [[getattr(u, f) for f in fields] for u in a.units] == [
        [getattr(u, f) for f in fields] for u in b.units
    ]
    for name in ("boundary_version", "names", "short_names", "commune_by_code",
                 "province_by_code", "legacy_inside", "name_counts"):  # fmt: skip
        assert getattr(a, name) == getattr(b, name), name


def test_a_gazetteer_built_from_what_another_read_is_the_same(nb_engine):
    """What a preloaded worker builds (the package's units + the caller's reading of
    PostGIS, no query of its own) is the gazetteer the caller loaded."""
    read = Gazetteer.from_engine(nb_engine)
    assert read.read.legacy_inside and len(read.read.loaded) > 100
    _same(Gazetteer.from_boundaries(source_units(), read.read), read)


def test_preloaded_workers_get_ready_with_the_callers_gazetteer(nb_engine):
    built = multiprocessing.get_context("fork").Queue()

    def build(gazetteer: Gazetteer):
        built.put((len(gazetteer.units), gazetteer.boundary_version, len(gazetteer.names)))
        return (lambda item: None), None

    gazetteer, preloaded = load(nb_engine, 3, build)
    try:
        assert len(preloaded) == 2
        wait_until(lambda: all(w.usable() for w in preloaded), "the preloaded workers")
        mine = (len(gazetteer.units), gazetteer.boundary_version, len(gazetteer.names))
        assert [built.get(timeout=10) for _ in preloaded] == [mine, mine]
    finally:
        for worker in preloaded:
            worker.stop(wait=True)


def _workers() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.name == "tuquan-geocode"}


def test_a_failed_load_leaves_no_worker_behind(nb_url):
    before = _workers()  # other tests' geocoders keep theirs
    engine = make_engine(nb_url.set(database="tuquan_no_such_database"))
    try:
        with pytest.raises(sa.exc.OperationalError):
            load(engine, 3, lambda gazetteer: ((lambda item: None), None))
    finally:
        engine.dispose()
    assert _workers() <= before
