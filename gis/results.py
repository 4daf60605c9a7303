"""Stored analysis results: kept with their parameters and the data as of then.

A result is keyed by its kind and a digest of its parameters. It records the state of its
inputs (the boundary version and the ``data_change`` log that triggers fill on every write
to units, sites, status history, incidents and population); a reader gets it back only
while that state still holds, otherwise it is recomputed (``compute_or_read``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.errors import InputError

GEOMETRIES = ("commune", "h3", "lonlat", None)
SYNTHETIC_FLAG = "synthetic_data"
# Which records feed each kind of result (sites, incidents); a kind not named reads both.
_SYNTHETIC_INPUTS = {
    "coverage": (True, False),
    "hotspots": (False, True),
    "grid_hotspots": (False, True),
    "density": (False, True),
    "trend": (False, True),
}


@dataclass
class StoredResult:
    """One stored result: its rows, summary, parameters and the state of its inputs."""

    id: int
    kind: str
    scope: str
    params: dict
    inputs: dict
    data_as_of: datetime | None
    computed_at: datetime
    seconds: float
    summary: dict
    geometry: str | None
    frame: pd.DataFrame
    recomputed: bool = False  # True when this call computed it (not read back)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, set | tuple):
        return sorted(value) if isinstance(value, set) else list(value)
    raise TypeError(f"cannot store {type(value).__name__} in a result")


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows of ``frame`` as JSON-ready dicts (NaN/NA → None, dates → ISO text)."""
    return json.loads(_frame_rows(frame))


def canonical(params: dict) -> str:
    """Parameters as canonical JSON (sorted keys): equal parameters, equal text."""
    return json.dumps(params, sort_keys=True, default=_default, ensure_ascii=False)


def params_key(kind: str, params: dict) -> str:
    """Digest of a result's kind and parameters."""
    return hashlib.sha256(f"{kind}\n{canonical(params)}".encode()).hexdigest()


def inputs_state(engine: Engine) -> dict:
    """What the analysis inputs are now: boundary version and writes per table."""
    with engine.connect() as conn:
        version = conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM boundary_source"))
        rows = conn.execute(
            sa.text(
                "SELECT table_name, count(*), max(id), max(changed_at) FROM data_change "
                "GROUP BY table_name ORDER BY table_name"
            )
        ).all()
    changes = {r[0]: [int(r[1]), int(r[2])] for r in rows}
    as_of = max((r[3] for r in rows), default=None)
    return {
        "boundary_version": version,
        "changes": changes,
        "data_as_of": as_of.isoformat() if as_of else None,
    }


def _frame_rows(frame: pd.DataFrame) -> str:
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    return plain.to_json(
        orient="records", date_format="iso", force_ascii=False, double_precision=15
    )


def store_result(
    engine: Engine,
    kind: str,
    scope: str,
    params: dict,
    inputs: dict,
    frame: pd.DataFrame,
    summary: dict,
    geometry: str | None,
    seconds: float,
) -> int:
    """Keep ``frame`` as the result of ``kind`` with ``params`` (replacing an older one)."""
    if geometry not in GEOMETRIES:
        raise ValueError(f"unknown geometry kind {geometry!r}")
    sql = sa.text(
        """
        INSERT INTO analysis_result (kind, scope, params, params_key, inputs, inputs_key,
                                     data_as_of, seconds, summary, geometry, rows)
        VALUES (:kind, :scope, CAST(:params AS jsonb), :pkey, CAST(:inputs AS jsonb), :ikey,
                :as_of, :seconds, CAST(:summary AS jsonb), :geometry, CAST(:rows AS jsonb))
        ON CONFLICT (kind, params_key) DO UPDATE SET
            scope = EXCLUDED.scope, params = EXCLUDED.params, inputs = EXCLUDED.inputs,
            inputs_key = EXCLUDED.inputs_key, data_as_of = EXCLUDED.data_as_of,
            computed_at = now(), seconds = EXCLUDED.seconds, summary = EXCLUDED.summary,
            geometry = EXCLUDED.geometry, rows = EXCLUDED.rows
        RETURNING id
        """
    )
    with engine.begin() as conn:
        return conn.scalar(
            sql,
            {
                "kind": kind,
                "scope": scope,
                "params": canonical(params),
                "pkey": params_key(kind, params),
                "inputs": canonical(inputs),
                "ikey": hashlib.sha256(canonical(inputs).encode()).hexdigest(),
                "as_of": inputs.get("data_as_of"),
                "seconds": seconds,
                "summary": canonical(summary),
                "geometry": geometry,
                "rows": _frame_rows(frame),
            },
        )


def synthetic_inputs(engine: Engine, kind: str, scope: str) -> bool:
    """True when the records this kind of result reads in ``scope`` include demo data."""
    # gis.map_records imports gis.coverage, which imports this module: import it late.
    from gis.map_records import has_synthetic_records

    sites, incidents = _SYNTHETIC_INPUTS.get(kind, (True, True))
    province = None if scope == "all" else scope
    return has_synthetic_records(engine, province, sites=sites, incidents=incidents)


def _flagged(engine: Engine, result: StoredResult) -> StoredResult:
    """A result kept before the synthetic flag existed gets it from the data as it is now."""
    if SYNTHETIC_FLAG not in result.summary:
        result.summary = {
            **result.summary,
            SYNTHETIC_FLAG: synthetic_inputs(engine, result.kind, result.scope),
        }
    return result


def _from_row(row) -> StoredResult:
    frame = pd.DataFrame.from_records(row.rows) if row.rows else pd.DataFrame()
    return StoredResult(
        id=row.id,
        kind=row.kind,
        scope=row.scope,
        params=row.params,
        inputs=row.inputs,
        data_as_of=row.data_as_of,
        computed_at=row.computed_at,
        seconds=row.seconds,
        summary=row.summary,
        geometry=row.geometry,
        frame=frame,
    )


def read_result(
    engine: Engine, kind: str, params: dict, *, fresh_only: bool = True
) -> StoredResult | None:
    """The stored result of ``kind`` with ``params``; None when missing (or stale)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT * FROM analysis_result WHERE kind = :kind AND params_key = :pkey"),
            {"kind": kind, "pkey": params_key(kind, params)},
        ).first()
    if row is None:
        return None
    if (
        fresh_only
        and row.inputs_key != hashlib.sha256(canonical(inputs_state(engine)).encode()).hexdigest()
    ):
        return None
    return _flagged(engine, _from_row(row))


def latest_result(
    engine: Engine, kind: str, scope: str, *, fresh_only: bool = True
) -> StoredResult | None:
    """The most recently computed result of ``kind`` for ``scope`` (a province or 'all')."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT * FROM analysis_result WHERE kind = :kind AND scope = :scope "
                "ORDER BY computed_at DESC, id DESC LIMIT 1"
            ),
            {"kind": kind, "scope": scope},
        ).first()
    if row is None:
        return None
    current = hashlib.sha256(canonical(inputs_state(engine)).encode()).hexdigest()
    if fresh_only and row.inputs_key != current:
        return None
    return _flagged(engine, _from_row(row))


def list_results(engine: Engine, kind: str | None = None, scope: str | None = None) -> pd.DataFrame:
    """Stored results (without their rows): id, kind, scope, params, data_as_of, fresh."""
    current = hashlib.sha256(canonical(inputs_state(engine)).encode()).hexdigest()
    sql = sa.text(
        "SELECT id, kind, scope, params, data_as_of, computed_at, seconds, summary, "
        "inputs_key = :current AS fresh FROM analysis_result "
        "WHERE (CAST(:kind AS text) IS NULL OR kind = :kind) "
        "AND (CAST(:scope AS text) IS NULL OR scope = :scope) ORDER BY kind, computed_at DESC"
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"current": current, "kind": kind, "scope": scope}).all()
    columns = ["id", "kind", "scope", "params", "data_as_of", "computed_at", "seconds",
               "summary", "fresh"]  # fmt: skip
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def compute_or_read(
    engine: Engine,
    kind: str,
    scope: str,
    params: dict,
    compute: Callable[[], tuple[pd.DataFrame, dict]],
    geometry: str | None,
    *,
    refresh: bool = False,
) -> StoredResult:
    """The stored result while its inputs are unchanged, else ``compute()`` and keep it.

    The inputs' state is read before and after computing; a result that raced with a
    write is returned but not kept (the next call computes it again). The summary says
    whether the inputs include demo records (``synthetic_data``), so that every output
    made from it can be labelled.
    """
    if not refresh:
        stored = read_result(engine, kind, params)
        if stored is not None:
            return stored
    before = inputs_state(engine)
    started = time.perf_counter()
    frame, summary = compute()
    seconds = time.perf_counter() - started
    summary = {**summary, SYNTHETIC_FLAG: synthetic_inputs(engine, kind, scope)}
    after = inputs_state(engine)
    result = StoredResult(
        id=0,
        kind=kind,
        scope=scope,
        params=json.loads(canonical(params)),
        inputs=before,
        data_as_of=datetime.fromisoformat(before["data_as_of"]) if before["data_as_of"] else None,
        computed_at=datetime.now().astimezone(),
        seconds=seconds,
        summary=json.loads(canonical(summary)),
        geometry=geometry,
        frame=frame,
        recomputed=True,
    )
    if before == after:
        result.id = store_result(
            engine, kind, scope, params, before, frame, summary, geometry, seconds
        )
    return result


def with_geometry(engine: Engine, frame: pd.DataFrame, geometry: str | None) -> gpd.GeoDataFrame:
    """``frame`` with a geometry (EPSG:4326): commune polygons, H3 cells or lon/lat points."""
    if geometry == "commune":
        codes = frame["code"].astype(str).tolist()
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT code, ST_AsBinary(geom) FROM admin_unit WHERE code = ANY(:c)"),
                {"c": codes},
            ).all()
        by_code = {r[0]: bytes(r[1]) for r in rows}
        geoms = shapely.from_wkb([by_code.get(c) for c in codes])
    elif geometry == "h3":
        geoms = [
            shapely.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(c)])
            for c in frame["h3_cell"]
        ]
    elif geometry == "lonlat":
        geoms = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    else:
        raise InputError(f"this result has no geometry ({geometry!r})")
    return gpd.GeoDataFrame(frame.copy(), geometry=geoms, crs=4326)
