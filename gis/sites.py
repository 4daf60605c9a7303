"""Sites of the model, one at a time: create, update, change status (dated history), delete, list.

Each function is one transaction, with its audit log entry (who, with which token, the
site before and after) written in the same transaction. Locations follow the import's
rules: coordinates are checked and placed in a loaded commune; an address alone is
geocoded. A write by a `Principal` (the HTTP API) stays inside their scope: a site
outside it is answered as missing. Bulk files go through gis.ingest.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gis import audit
from gis.auth import Principal
from gis.errors import InputError, NotFound
from gis.ingest.locate import Locator
from gis.normalise import nfc
from gis.record_access import check_placed, check_visible, writer
from gis.site_input import SiteInput, parse_component_list, parse_kind, parse_status, place

__all__ = [
    "SiteInput", "change_status", "create_site", "delete_site", "get_site", "list_sites",
    "site_counts", "update_site",
]  # fmt: skip
Actor = Principal | str | None

EDITABLE = ("name", "kind", "components", "started_on", "host_unit", "notes", "is_synthetic")
_COLUMNS = (
    "s.id, s.ref, s.name, s.kind, s.components, s.status, s.started_on, s.host_unit, "
    "s.address, s.province_code, s.commune_code, c.name AS commune_name, "
    "ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, s.precision, s.score, s.address_commune_code, "
    "s.notes, s.is_synthetic, s.created_by, s.created_at, s.updated_by, s.updated_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM site s LEFT JOIN admin_unit c ON c.code = s.commune_code"  # noqa: S608


def _missing(site_id: int) -> NotFound:
    return NotFound(f"no site with id {site_id}", "list sites with `tuquan sites list`")


def _row(conn: Connection, site_id: int, actor: Actor = None, lock: bool = False) -> dict:
    """The site (locked for the transaction's write when ``lock``); missing or outside the
    actor's scope → NotFound."""
    sql = f"{_SELECT} WHERE s.id = :id" + (" FOR UPDATE OF s" if lock else "")
    row = conn.execute(sa.text(sql), {"id": site_id}).mappings().first()
    if row is None:
        raise _missing(site_id)
    check_visible(actor, row, _missing(site_id))
    return dict(row)


def get_site(engine: Engine, site_id: int, actor: Actor = None) -> dict:
    """One site with its commune name, point and status history (within the actor's scope)."""
    with engine.connect() as conn:
        site = _row(conn, site_id, actor)
        site["history"] = _history(conn, site_id)
        return site


def _history(conn: Connection, site_id: int) -> list[dict]:
    rows = conn.execute(
        sa.text(
            "SELECT status, changed_on, changed_by, note, recorded_at FROM site_status_history "
            "WHERE site_id = :id ORDER BY changed_on, recorded_at"
        ),
        {"id": site_id},
    ).mappings()
    return [dict(r) for r in rows]


def create_site(
    engine: Engine, data: SiteInput, by: str, locator: Locator | None = None, actor: Actor = None
) -> dict:
    """Insert a site and its first status; the stored site (with any location warning).

    ``actor`` (default ``by``) is named in the audit log; a `Principal` must place the
    site inside their scope."""
    name = nfc(data.name or "")
    if not name:
        raise InputError(
            "a site needs a name", "give the name of the model (Tên mô hình)", field="name"
        )
    kind, status = parse_kind(data.kind), parse_status(data.status)
    components = parse_component_list(data.components)
    where = place(locator or Locator(engine), data.lon, data.lat, data.address)
    check_placed(actor, where, "the site")
    ref = data.ref or f"manual:{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}"
    params = {
        "ref": ref, "name": name, "kind": kind, "components": components, "status": status,
        "started_on": data.started_on, "host_unit": data.host_unit and nfc(data.host_unit),
        "address": data.address and nfc(data.address), "notes": data.notes and nfc(data.notes),
        "is_synthetic": data.is_synthetic, "by": by, **where,
    }  # fmt: skip
    with engine.begin() as conn:
        site_id = conn.execute(
            sa.text(
                "INSERT INTO site (ref, name, kind, components, status, started_on, host_unit, "
                "address, province_code, commune_code, geom, precision, score, "
                "address_commune_code, notes, is_synthetic, created_by, updated_by) VALUES "
                "(:ref, :name, :kind, :components, :status, :started_on, :host_unit, :address, "
                ":province_code, :commune_code, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
                ":precision, :score, :address_commune_code, :notes, :is_synthetic, :by, :by) "
                "ON CONFLICT (province_code, ref) DO NOTHING RETURNING id"
            ),
            params,
        ).scalar()
        if site_id is None:
            raise InputError(
                f"a site with reference {ref!r} already exists in province "
                f"{where['province_code']}",
                "update that site instead, or give another reference",
                field="ref",
            )
        changed_on = data.status_on or data.started_on or dt.date.today()
        _record_status(conn, site_id, status, changed_on, by, "created")
        site = _row(conn, site_id)
        site["history"] = _history(conn, site_id)
        audit.record(conn, writer(by, actor), "create", "site", site_id, None, site)
    site["warning"] = where["warning"]
    return site


def _record_status(conn, site_id: int, status: str, on: dt.date, by: str, note) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO site_status_history (site_id, status, changed_on, changed_by, note) "
            "VALUES (:id, :status, :on, :by, :note)"
        ),
        {"id": site_id, "status": status, "on": on, "by": by, "note": note},
    )


def update_site(
    engine: Engine,
    site_id: int,
    changes: dict,
    by: str,
    locator: Locator | None = None,
    actor: Actor = None,
) -> dict:
    """Change a site's fields (status through `change_status`); location when given."""
    unknown = set(changes) - set(EDITABLE) - {"address", "lon", "lat"}
    if unknown:
        raise InputError(
            f"cannot change {', '.join(sorted(unknown))} here",
            "editable: " + ", ".join((*EDITABLE, "address", "lon", "lat"))
            + "; use change_status for the status",
            field=tuple(sorted(unknown)),
        )  # fmt: skip
    values = {k: v for k, v in changes.items() if k in EDITABLE}
    if "name" in values:
        values["name"] = nfc(values["name"] or "")
        if not values["name"]:
            raise InputError("a site needs a name", "give the name of the model", field="name")
    if "kind" in values:
        values["kind"] = parse_kind(values["kind"])
    if "components" in values:
        values["components"] = parse_component_list(values["components"])
    if "host_unit" in values or "notes" in values:
        values.update(
            {k: values[k] and nfc(values[k]) for k in ("host_unit", "notes") if k in values}
        )
    sets = [f"{k} = :{k}" for k in values]
    with engine.begin() as conn:
        current = _row(conn, site_id, actor, lock=True)
        if {"address", "lon", "lat"} & set(changes):
            address = changes.get("address", current["address"])
            address = address and nfc(address)
            lon, lat = changes.get("lon"), changes.get("lat")
            where = place(locator or Locator(engine), lon, lat, address)
            check_placed(actor, where, "the site")
            values.update(where, address=address)
            values.pop("warning")
            sets += [
                "address = :address", "province_code = :province_code",
                "commune_code = :commune_code", "precision = :precision", "score = :score",
                "geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)",
                "address_commune_code = :address_commune_code",
            ]  # fmt: skip
        if not sets:
            return current
        sets += ["updated_by = :by", "updated_at = now()"]
        conn.execute(
            sa.text(f"UPDATE site SET {', '.join(sets)} WHERE id = :id"),  # noqa: S608 — names
            {**values, "by": by, "id": site_id},
        )
        site = _row(conn, site_id)
        audit.record(conn, writer(by, actor), "update", "site", site_id, current, site)
        return site


def change_status(
    engine: Engine,
    site_id: int,
    status: str,
    changed_on: dt.date,
    by: str,
    note: str | None = None,
    actor: Actor = None,
) -> dict:
    """Move a site to another status on a date (kept in its history)."""
    status = parse_status(status)
    note = note and nfc(note)
    with engine.begin() as conn:
        current = _row(conn, site_id, actor, lock=True)
        if current["status"] == status:
            raise InputError(
                f"site {site_id} is already {status}", "nothing to change", field="status"
            )
        last = conn.scalar(
            sa.text("SELECT max(changed_on) FROM site_status_history WHERE site_id = :id"),
            {"id": site_id},
        )
        if last is not None and changed_on < last:
            raise InputError(
                f"{changed_on} is before the site's last status change ({last})",
                "give a date on or after it",
                field="changed_on",
            )
        conn.execute(
            sa.text(
                "UPDATE site SET status = :status, updated_by = :by, updated_at = now() "
                "WHERE id = :id"
            ),
            {"status": status, "by": by, "id": site_id},
        )
        _record_status(conn, site_id, status, changed_on, by, note)
        site = _row(conn, site_id)
        site["history"] = _history(conn, site_id)
        audit.record(conn, writer(by, actor), "change_status", "site", site_id, current, site)
        return site


def delete_site(engine: Engine, site_id: int, by: str | None = None, actor: Actor = None) -> None:
    """Remove a site and its history (kept in the audit log)."""
    with engine.begin() as conn:
        current = _row(conn, site_id, actor, lock=True)
        current["history"] = _history(conn, site_id)
        conn.execute(sa.text("DELETE FROM site WHERE id = :id"), {"id": site_id})
        audit.record(conn, writer(by, actor), "delete", "site", site_id, current)


def list_sites(
    engine: Engine,
    province: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Sites (newest first) filtered by province, status and kind."""
    params = {
        "province": province, "status": status and parse_status(status),
        "kind": kind and parse_kind(kind), "limit": limit, "offset": offset,
    }  # fmt: skip
    sql = sa.text(
        f"{_SELECT} WHERE (CAST(:province AS text) IS NULL OR s.province_code = :province) "
        "AND (CAST(:status AS text) IS NULL OR s.status = :status) "
        "AND (CAST(:kind AS text) IS NULL OR s.kind = :kind) "
        "ORDER BY s.started_on DESC NULLS LAST, s.id DESC LIMIT :limit OFFSET :offset"
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sql, params).mappings()]


def site_counts(engine: Engine, province: str | None = None) -> list[dict]:
    """Number of sites per kind and status (synthetic ones counted apart)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT kind, status, count(*) AS sites, count(*) FILTER (WHERE is_synthetic) "
                "AS synthetic FROM site WHERE (CAST(:p AS text) IS NULL OR province_code = :p) "
                "GROUP BY kind, status ORDER BY kind, status"
            ),
            {"p": province},
        ).mappings()
        return [dict(r) for r in rows]
