"""Sites of the model, one at a time: create, update, change status (dated history), delete, list.

Each function is one transaction. Locations follow the import's rules: coordinates are
checked and placed in a loaded commune; an address alone is geocoded. The HTTP API calls
these; bulk files go through gis.ingest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gis.domain import COMPONENTS, SITE_KINDS, SITE_STATUSES, keys
from gis.errors import InputError, NotFound
from gis.ingest.locate import Locator
from gis.ingest.vocab import KIND_PHRASES, STATUS_PHRASES, match_phrase, parse_components
from gis.normalise import nfc

EDITABLE = ("name", "kind", "components", "started_on", "host_unit", "notes", "is_synthetic")
_COLUMNS = (
    "s.id, s.ref, s.name, s.kind, s.components, s.status, s.started_on, s.host_unit, "
    "s.address, s.province_code, s.commune_code, c.name AS commune_name, "
    "ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, s.precision, s.score, s.address_commune_code, "
    "s.notes, s.is_synthetic, s.created_by, s.created_at, s.updated_by, s.updated_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM site s LEFT JOIN admin_unit c ON c.code = s.commune_code"  # noqa: S608


@dataclass
class SiteInput:
    """A site as a form gives it; kind, components and status accept what officers write."""

    name: str
    kind: str
    components: list[int] | str | None = None  # None: all five
    status: str = "planned"
    started_on: dt.date | None = None
    host_unit: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    notes: str | None = None
    ref: str | None = None
    is_synthetic: bool = False
    status_on: dt.date | None = None
    extra: dict = field(default_factory=dict)


def _kind(value: str) -> str:
    key = value if value in keys(SITE_KINDS) else match_phrase(value or "", KIND_PHRASES)
    if key is None:
        raise InputError(
            f"unknown site kind {value!r}",
            "use one of: " + ", ".join(f"{t.key} ({t.vi})" for t in SITE_KINDS),
        )
    return key


def _status(value: str) -> str:
    key = value if value in keys(SITE_STATUSES) else match_phrase(value or "", STATUS_PHRASES)
    if key is None:
        raise InputError(
            f"unknown site status {value!r}",
            "use one of: " + ", ".join(f"{t.key} ({t.vi})" for t in SITE_STATUSES),
        )
    return key


def _components(value: list[int] | str | None) -> list[int]:
    if value is None or value == "":
        return list(range(1, len(COMPONENTS) + 1))
    parsed = (
        parse_components(value)
        if isinstance(value, str)
        else tuple(sorted({int(v) for v in value}))
    )
    if not parsed or not all(1 <= n <= len(COMPONENTS) for n in parsed):
        raise InputError(
            f"unknown components {value!r}",
            "give numbers 1–5 (" + "; ".join(f"{i} {t.vi}" for i, t in enumerate(COMPONENTS, 1))
            + ")",
        )  # fmt: skip
    return list(parsed)


def _place(locator: Locator, lon, lat, address: str | None) -> dict:
    """Commune, point, precision and score for coordinates or an address (or InputError)."""
    if (lon is None) != (lat is None):
        raise InputError("only one of lon and lat is given", "give both, or an address")
    if lon is None and not (address and address.strip()):
        raise InputError("a site needs an address or coordinates", "give one of them")
    xs = np.array([np.nan if lon is None else float(lon)])
    ys = np.array([np.nan if lat is None else float(lat)])
    placed = locator.locate(xs, ys, None if address is None else _series(address))
    if placed.errors[0]:
        raise InputError(placed.errors[0], "correct the coordinates or the address")
    return {
        "commune_code": placed.commune_code[0], "province_code": placed.province_code[0],
        "lon": float(placed.lon[0]), "lat": float(placed.lat[0]),
        "precision": placed.precision[0], "score": float(placed.score[0]),
        "address_commune_code": placed.address_commune_code[0], "warning": placed.warnings[0],
    }  # fmt: skip


def _series(address: str):
    import pandas as pd

    return pd.Series([address], dtype=object)


def _row(conn: Connection, site_id: int) -> dict:
    row = conn.execute(sa.text(f"{_SELECT} WHERE s.id = :id"), {"id": site_id}).mappings().first()
    if row is None:
        raise NotFound(f"no site with id {site_id}", "list sites with `tuquan sites list`")
    return dict(row)


def get_site(engine: Engine, site_id: int) -> dict:
    """One site with its commune name and point."""
    with engine.connect() as conn:
        site = _row(conn, site_id)
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


def create_site(engine: Engine, data: SiteInput, by: str, locator: Locator | None = None) -> dict:
    """Insert a site and its first status; the stored site (with any location warning)."""
    name = nfc(data.name or "")
    if not name:
        raise InputError("a site needs a name", "give the name of the model (Tên mô hình)")
    kind, status = _kind(data.kind), _status(data.status)
    components = _components(data.components)
    where = _place(locator or Locator(engine), data.lon, data.lat, data.address)
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
            )
        changed_on = data.status_on or data.started_on or dt.date.today()
        _record_status(conn, site_id, status, changed_on, by, "created")
        site = _row(conn, site_id)
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
    engine: Engine, site_id: int, changes: dict, by: str, locator: Locator | None = None
) -> dict:
    """Change a site's fields (status through `change_status`); location when given."""
    unknown = set(changes) - set(EDITABLE) - {"address", "lon", "lat"}
    if unknown:
        raise InputError(
            f"cannot change {', '.join(sorted(unknown))} here",
            "editable: " + ", ".join((*EDITABLE, "address", "lon", "lat"))
            + "; use change_status for the status",
        )  # fmt: skip
    values = {k: v for k, v in changes.items() if k in EDITABLE}
    if "name" in values:
        values["name"] = nfc(values["name"] or "")
        if not values["name"]:
            raise InputError("a site needs a name", "give the name of the model")
    if "kind" in values:
        values["kind"] = _kind(values["kind"])
    if "components" in values:
        values["components"] = _components(values["components"])
    sets = [f"{k} = :{k}" for k in values]
    with engine.begin() as conn:
        current = _row(conn, site_id)
        if {"address", "lon", "lat"} & set(changes):
            address = changes.get("address", current["address"])
            lon, lat = changes.get("lon"), changes.get("lat")
            where = _place(locator or Locator(engine), lon, lat, address)
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
        return _row(conn, site_id)


def change_status(
    engine: Engine, site_id: int, status: str, changed_on: dt.date, by: str, note: str | None = None
) -> dict:
    """Move a site to another status on a date (kept in its history)."""
    status = _status(status)
    with engine.begin() as conn:
        current = _row(conn, site_id)
        if current["status"] == status:
            raise InputError(f"site {site_id} is already {status}", "nothing to change")
        last = conn.scalar(
            sa.text("SELECT max(changed_on) FROM site_status_history WHERE site_id = :id"),
            {"id": site_id},
        )
        if last is not None and changed_on < last:
            raise InputError(
                f"{changed_on} is before the site's last status change ({last})",
                "give a date on or after it",
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
        return site


def delete_site(engine: Engine, site_id: int) -> None:
    """Remove a site and its history."""
    with engine.begin() as conn:
        if conn.execute(sa.text("DELETE FROM site WHERE id = :id"), {"id": site_id}).rowcount == 0:
            raise NotFound(f"no site with id {site_id}", "list sites with `tuquan sites list`")


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
        "province": province, "status": status and _status(status),
        "kind": kind and _kind(kind), "limit": limit, "offset": offset,
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
