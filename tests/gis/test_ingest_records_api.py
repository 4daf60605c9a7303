"""Sites and incidents one at a time (what the HTTP API calls), and incident statistics."""

from __future__ import annotations

import datetime as dt

import pytest

from gis.errors import InputError, NotFound
from gis.incidents import IncidentInput, create_incident, incident_stats
from gis.ingest import import_file
from gis.sites import (
    SiteInput,
    change_status,
    create_site,
    delete_site,
    get_site,
    list_sites,
    site_counts,
    update_site,
)
from tests.gis import ingest_fixtures as fx
from tests.gis.ingest_fixtures import DATA, RECORD_TABLES
from tests.helpers import count, snapshot

ingest_url, records_engine, locator = fx.ingest_url, fx.records_engine, fx.locator


def test_site_lifecycle_with_dated_history(records_engine, locator):
    site = create_site(
        records_engine,
        SiteInput(name="Thôn 3 tự quản", kind="Thôn", components="1, 2, 4", status="thí điểm",
                  started_on=dt.date(2020, 5, 1), address="xã Gia Viễn, tỉnh Ninh Bình"),
        by="can-bo-a", locator=locator,
    )  # fmt: skip
    assert (site["kind"], site["components"], site["status"]) == ("village", [1, 2, 4], "pilot")
    assert (site["commune_code"], site["precision"]) == ("14464", "commune")
    assert site["created_by"] == "can-bo-a"
    replicated = change_status(records_engine, site["id"], "nhân rộng", dt.date(2021, 6, 1), "b")
    assert replicated["status"] == "replicated"
    assert [(h["status"], h["changed_on"]) for h in replicated["history"]] == [
        ("pilot", dt.date(2020, 5, 1)), ("replicated", dt.date(2021, 6, 1)),
    ]  # fmt: skip
    with pytest.raises(InputError, match="before the site's last status change"):
        change_status(records_engine, site["id"], "suspended", dt.date(2021, 1, 1), "b")
    with pytest.raises(InputError, match="already"):
        change_status(records_engine, site["id"], "replicated", dt.date(2022, 1, 1), "b")
    moved = update_site(
        records_engine, site["id"], {"name": "Thôn 3", "lon": 105.95663, "lat": 20.26707}, "c",
        locator=locator,
    )  # fmt: skip
    assert (moved["name"], moved["commune_code"], moved["precision"]) == (
        "Thôn 3",
        "14329",
        "coordinates",
    )
    assert moved["updated_by"] == "c"
    assert [s["id"] for s in list_sites(records_engine, province="37", status="replicated")] == [
        site["id"]
    ]
    assert site_counts(records_engine, "37") == [
        {"kind": "village", "status": "replicated", "sites": 1, "synthetic": 0}
    ]
    delete_site(records_engine, site["id"])
    assert count(records_engine, "SELECT count(*) FROM site_status_history") == 0
    with pytest.raises(NotFound):
        get_site(records_engine, site["id"])


def test_bad_site_input_changes_nothing(records_engine, locator):
    import_file(records_engine, DATA / "sites.csv", "sites", locator=locator)
    before = snapshot(records_engine, *RECORD_TABLES)
    cases = [
        (SiteInput(name="", kind="thôn", address="xã Gia Viễn, tỉnh Ninh Bình"), "needs a name"),
        (SiteInput(name="A", kind="khu công nghiệp", address="x"), "unknown site kind"),
        (SiteInput(name="A", kind="thôn", components="9", address="x"), "unknown components"),
        (SiteInput(name="A", kind="thôn", status="xong", address="x"), "unknown site status"),
        (SiteInput(name="A", kind="thôn"), "address or coordinates"),
        (SiteInput(name="A", kind="thôn", lon=20.2, lat=105.9), "swapped"),
        (SiteInput(name="A", kind="thôn", address="Khu vực chợ đêm"), "address not found"),
        (
            SiteInput(name="A", kind="thôn", ref="MH-01", lon=105.95663, lat=20.26707),
            "already exists",
        ),
    ]
    for data, phrase in cases:
        with pytest.raises(InputError, match=phrase):
            create_site(records_engine, data, by="x", locator=locator)
    with pytest.raises(NotFound):
        change_status(records_engine, 999_999, "suspended", dt.date(2024, 1, 1), "x")
    with pytest.raises(InputError, match="cannot change"):
        update_site(records_engine, 1, {"status": "suspended"}, "x")
    assert snapshot(records_engine, *RECORD_TABLES) == before


def test_create_incident_and_stats(records_engine, locator):
    import_file(records_engine, DATA / "incidents_utf8.csv", "incidents", locator=locator)
    made = create_incident(
        records_engine,
        IncidentInput(occurred_at="14h30 ngày 02/01/2025", category="Trộm cắp",
                      address="phường Nam Định, tỉnh Ninh Bình", external_ref="T-1"),
        locator=locator,
    )  # fmt: skip
    assert (made["category"], made["subcategory"], made["commune_code"]) == (
        "crime",
        "Trộm cắp",
        "13669",
    )
    assert made["occurred_at"] == dt.datetime(2025, 1, 2, 7, 30, tzinfo=dt.UTC)
    with pytest.raises(InputError, match="unknown incident category"):
        create_incident(records_engine, IncidentInput("02/01/2025", "???", address="x"), locator)
    with pytest.raises(InputError, match="not a date"):
        create_incident(records_engine, IncidentInput("hôm qua", "crime", address="x"), locator)
    stats = incident_stats(records_engine, province="37")
    assert stats.total == 7 and stats.synthetic == 0
    assert stats.by_year == {
        2024: {"crime": 1, "social_evils": 2, "property_fire": 1, "public_order": 1, "other": 1},
        2025: {"crime": 1},
    }
    assert stats.by_category["crime"] == 2 and stats.by_category["offenders"] == 0
    assert stats.top_communes[0] == {"code": "13669", "name": "Nam Định", "incidents": 3}
    assert stats.by_precision["coordinates"] == 3
    # Local dates (Asia/Ho_Chi_Minh): 2024-03-12 14:30 counts on the 12th.
    one_day = incident_stats(records_engine, since=dt.date(2024, 3, 12), until=dt.date(2024, 3, 12))
    assert one_day.total == 1
