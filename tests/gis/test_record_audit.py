"""Single-record writes without the API: audited under the given name or 'cli:<user>', and
limited to a principal's scope when one is given."""

from __future__ import annotations

import datetime as dt
import getpass

import pytest
import sqlalchemy as sa

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


def _log(engine, entity: str) -> list[dict]:
    return sorted(audit.entries(engine, entity=entity, limit=500), key=lambda e: e["id"])


def test_boundary_loads_and_population_imports_are_audited(
    blank_engine, blank_url, settings_for, tmp_path
):
    """One audit row per load that changes something, written in the load's transaction:
    who, which files with their sha256, and the counts before and after."""
    import hashlib

    from gis.boundaries import fetch_boundaries
    from gis.errors import InputError
    from gis.population import load_population

    fetch_boundaries(blank_engine, settings_for(blank_url), "37")
    loads = _log(blank_engine, "boundary_source")
    assert loads and all(e["actor"] == f"cli:{getpass.getuser()}" for e in loads)
    assert all(e["action"] == "load" for e in loads)
    first, last = loads[0], loads[-1]
    assert first["before"] == {"units": {}}
    assert last["after"]["units"] == {"province": 1, "commune": 129}
    for entry in loads:
        assert entry["after"]["files"] and all(
            len(sha) == 64 for sha in entry["after"]["files"].values()
        )
    fetch_boundaries(blank_engine, settings_for(blank_url), "37")  # unchanged: nothing written
    assert len(_log(blank_engine, "boundary_source")) == len(loads)

    with blank_engine.connect() as conn:
        codes = conn.scalars(
            sa.text("SELECT code FROM admin_unit WHERE level = 'commune' ORDER BY code LIMIT 2")
        ).all()
    good = tmp_path / "dan_so.csv"
    good.write_text(f"code,population,year\n{codes[0]},12000,2024\n{codes[1]},9000,2024\n")
    load_population(blank_engine, good, actor="cli:planner")
    (entry,) = _log(blank_engine, "population")
    assert (entry["actor"], entry["action"], entry["entity_id"]) == (
        "cli:planner", "import", "dan_so.csv",
    )  # fmt: skip
    assert entry["before"] == {"rows": 0} and entry["after"]["rows"] == 2
    assert entry["after"]["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    assert (entry["after"]["inserted"], entry["after"]["updated"]) == (2, 0)
    bad = tmp_path / "sai.csv"
    bad.write_text(f"code,population,year\n{codes[0]},1,2024\n99999,5,2024\n")
    with pytest.raises(InputError, match="99999"):
        load_population(blank_engine, bad)
    assert len(_log(blank_engine, "population")) == 1  # refused: neither change nor row
