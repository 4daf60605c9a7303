"""The geocode cache table on PostGIS: round trip, keys already stored, stale versions."""

from __future__ import annotations

import sqlalchemy as sa

from gis import geocode_cache
from gis.geocode_result import Candidate, GeocodeResult
from tests.helpers import count


def _result(text: str, code: str) -> GeocodeResult:
    return GeocodeResult(
        text=text, status="matched", precision="commune", commune_code=code,
        commune_name="Phường Phủ Lý", province_code="37", province_name="Tỉnh Ninh Bình",
        lon=105.91, lat=20.54, score=0.97,
    )  # fmt: skip


def test_results_come_back_as_stored_with_the_key_as_text(blank_engine):
    ambiguous = GeocodeResult(
        text="xa binh an", status="ambiguous", score=0.7, reason="tên khớp nhiều xã",
        candidates=[Candidate("13540", "Xã Bình An", "37", 0.7)],
    )  # fmt: skip
    stored = {"p. phủ lý, ninh binh": _result("P. Phủ Lý, Ninh Binh", "13285"),
              "xa binh an": ambiguous}  # fmt: skip
    geocode_cache.store(blank_engine, stored, version=3, mode="offline")
    got = geocode_cache.fetch(blank_engine, [*stored, "not cached"], version=3, mode="offline")
    assert set(got) == set(stored)
    for key, result in stored.items():
        assert got[key].as_dict() == {**result.as_dict(), "text": key}
    assert geocode_cache.fetch(blank_engine, list(stored), version=4, mode="offline") == {}
    assert geocode_cache.fetch(blank_engine, list(stored), version=3, mode="online") == {}


def test_keys_already_stored_are_replaced_in_the_same_transaction(blank_engine):
    geocode_cache.store(blank_engine, {"a": _result("a", "13285")}, version=3, mode="offline")
    # "a" is there already: the straight COPY fails and the upsert takes over.
    new = {"a": _result("a", "14359"), "b": _result("b", "14464")}
    geocode_cache.store(blank_engine, new, version=3, mode="offline")
    got = geocode_cache.fetch(blank_engine, ["a", "b"], version=3, mode="offline")
    assert {k: r.commune_code for k, r in got.items()} == {"a": "14359", "b": "14464"}
    assert count(blank_engine, "SELECT count(*) FROM geocode_cache") == 2


def test_a_new_boundary_version_drops_the_stale_rows(blank_engine):
    geocode_cache.store(blank_engine, {"a": _result("a", "13285")}, version=3, mode="offline")
    geocode_cache.store(blank_engine, {"b": _result("b", "13285")}, version=5, mode="online")
    geocode_cache.store(blank_engine, {"c": _result("c", "13285")}, version=4, mode="offline")
    assert count(blank_engine, "SELECT count(*) FROM geocode_cache") == 1
    assert geocode_cache.clear(blank_engine) == 1
    assert count(blank_engine, "SELECT count(*) FROM geocode_cache") == 0


def test_entries_of_another_geocoder_version_are_not_served_and_get_replaced(blank_engine):
    assert geocode_cache.geocoder_version().startswith(f"{geocode_cache.GEOCODER_VERSION}+")
    assert "vietnamadminunits-" in geocode_cache.geocoder_version()
    old = {"a": _result("a", "13285")}
    geocode_cache.store(blank_engine, old, version=3, mode="offline", matcher="1+old")
    assert geocode_cache.fetch(blank_engine, ["a"], version=3, mode="offline") == {}
    got = geocode_cache.fetch(blank_engine, ["a"], version=3, mode="offline", matcher="1+old")
    assert got["a"].commune_code == "13285"
    geocode_cache.store(blank_engine, {"a": _result("a", "14359")}, version=3, mode="offline")
    got = geocode_cache.fetch(blank_engine, ["a"], version=3, mode="offline")
    assert got["a"].commune_code == "14359"
    assert count(blank_engine, "SELECT count(*) FROM geocode_cache") == 1


def test_two_modes_are_stored_in_one_transaction(blank_engine):
    geocode_cache.store(blank_engine, {"a": _result("a", "13285")}, version=3, mode="online")
    geocode_cache.store(blank_engine, {"b": _result("b", "13285")}, version=3, mode="offline")
    # Both keys exist already: each mode goes through its own staging table and upsert.
    geocode_cache.store_modes(
        blank_engine,
        {"online": {"a": _result("a", "14359")}, "offline": {"b": _result("b", "14464")}},
        version=3,
    )
    online = geocode_cache.fetch(blank_engine, ["a", "b"], version=3, mode="online")
    offline = geocode_cache.fetch(blank_engine, ["a", "b"], version=3, mode="offline")
    assert {k: r.commune_code for k, r in online.items()} == {"a": "14359"}
    assert {k: r.commune_code for k, r in offline.items()} == {"b": "14464"}


def test_the_writer_stores_shares_as_they_come_in_one_transaction(blank_engine):
    geocode_cache.store(blank_engine, {"a": _result("a", "13285")}, version=3, mode="offline")
    with geocode_cache.writer(blank_engine, version=3, mode="offline") as add:
        add({"b": _result("b", "14359")})
        # Not visible to others before the end: one transaction.
        assert count(blank_engine, "SELECT count(*) FROM geocode_cache") == 1
        add({"a": _result("a", "14464"), "c": _result("c", "14464")})  # "a" stored already
    got = geocode_cache.fetch(blank_engine, ["a", "b", "c"], version=3, mode="offline")
    assert {k: r.commune_code for k, r in got.items()} == {
        "a": "14464", "b": "14359", "c": "14464",
    }  # fmt: skip


def test_a_failure_while_writing_leaves_the_cache_as_it_was(blank_engine):
    geocode_cache.store(blank_engine, {"a": _result("a", "13285")}, version=3, mode="offline")
    try:
        with geocode_cache.writer(blank_engine, version=4, mode="offline") as add:
            add({"b": _result("b", "14359")})
            raise RuntimeError("the batch failed")
    except RuntimeError:
        pass
    got = geocode_cache.fetch(blank_engine, ["a", "b"], version=3, mode="offline")
    assert {k: r.commune_code for k, r in got.items()} == {"a": "13285"}  # no stale drop
    assert count(blank_engine, "SELECT count(*) FROM geocode_cache") == 1


def test_cached_entries_survive_the_json_migration_both_ways(make_test_database):
    from alembic import command

    from gis import migrations
    from gis.database import make_engine

    engine = make_engine(make_test_database("cache_json"))
    key = "p. phủ lý, ninh binh"
    stored = {key: _result("P. Phủ Lý, Ninh Binh", "13285")}

    def column_type() -> str:
        with engine.connect() as conn:
            return conn.scalar(
                sa.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'geocode_cache' AND column_name = 'result'"
                )
            )

    try:
        assert column_type() == "json"  # 0008: written and read whole
        geocode_cache.store(engine, stored, version=3, mode="offline")
        command.downgrade(migrations.alembic_config(engine), "0007")
        assert column_type() == "jsonb"
        assert geocode_cache.fetch(engine, [key], 3, "offline")[key].commune_code == "13285"
        migrations.upgrade(engine)
        assert column_type() == "json"
        got = geocode_cache.fetch(engine, [key], 3, "offline")[key]
        assert got.as_dict() == {**stored[key].as_dict(), "text": key}
    finally:
        engine.dispose()
