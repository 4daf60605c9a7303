"""Single-record writes without the API: audited under the given name or 'cli:<user>', and
limited to a principal's scope when one is given."""

from __future__ import annotations

import datetime as dt
import getpass

import pytest

from gis import audit
from gis.auth import Principal, Scope
from gis.errors import NotFound
from gis.incidents import IncidentInput, create_incident, incident_stats
from gis.record_access import OutsideScope
from gis.sites import SiteInput, change_status, create_site, delete_site, get_site
from tests.gis import ingest_fixtures as fx
from tests.helpers import snapshot

ingest_url, records_engine, locator = fx.ingest_url, fx.records_engine, fx.locator
HOA_LU = (105.95663, 20.26707)  # Phường Hoa Lư, Ninh Bình (37)


def _entries(engine, entity: str, entity_id) -> list[dict]:
    found = [e for e in audit.entries(engine, entity=entity, limit=500)
             if e["entity_id"] == str(entity_id)]  # fmt: skip
    return sorted(found, key=lambda e: e["id"])


def test_cli_writes_are_audited_by_name(records_engine, locator):
    data = SiteInput(name="Họ Trần", kind="clan", lon=HOA_LU[0], lat=HOA_LU[1],
                     started_on=dt.date(2022, 1, 1))  # fmt: skip
    site = create_site(records_engine, data, by="cli:an", locator=locator)
    change_status(records_engine, site["id"], "replicated", dt.date(2023, 1, 1), "cli:an")
    delete_site(records_engine, site["id"])
    log = _entries(records_engine, "site", site["id"])
    assert [(e["action"], e["actor"]) for e in log] == [
        ("create", "cli:an"), ("change_status", "cli:an"), ("delete", f"cli:{getpass.getuser()}"),
    ]  # fmt: skip
    assert all(e["token_id"] is None for e in log)
    made = create_incident(
        records_engine, IncidentInput("2024-03-12 14:30", "crime", lon=HOA_LU[0], lat=HOA_LU[1]),
        locator,
    )  # fmt: skip
    (entry,) = _entries(records_engine, "incident", f"37/{made['id']}")
    assert entry["actor"] == f"cli:{getpass.getuser()}" and entry["after"]["category"] == "crime"


def test_a_principal_stays_in_scope(records_engine, locator):
    inside = Principal("o37", "officer", Scope(frozenset({"37"})), token_id=None)
    outside = Principal("o01", "officer", Scope(frozenset({"01"})))
    site = create_site(records_engine, SiteInput(name="Thôn 5", kind="village", lon=HOA_LU[0],
                       lat=HOA_LU[1]), by="o37", locator=locator, actor=inside)  # fmt: skip
    before = snapshot(records_engine, "site", "site_status_history", "incident", "audit_log")
    with pytest.raises(NotFound):
        get_site(records_engine, site["id"], actor=outside)
    with pytest.raises(NotFound):
        delete_site(records_engine, site["id"], actor=outside)
    with pytest.raises(OutsideScope):
        create_site(records_engine, SiteInput(name="x", kind="clan", lon=HOA_LU[0],
                    lat=HOA_LU[1]), by="o01", locator=locator, actor=outside)  # fmt: skip
    with pytest.raises(OutsideScope):
        create_incident(records_engine, IncidentInput("2024-01-01", "crime", lon=HOA_LU[0],
                        lat=HOA_LU[1]), locator, actor=outside)  # fmt: skip
    with pytest.raises(NotFound):
        incident_stats(records_engine, province="37", scope=outside.scope)
    assert (
        snapshot(records_engine, "site", "site_status_history", "incident", "audit_log") == before
    )
    assert get_site(records_engine, site["id"], actor=inside)["id"] == site["id"]
