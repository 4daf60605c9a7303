"""Administrative boundaries: fetch pinned, checksummed files from their origin and load them.

See gis/boundary_fetch.py for the manifest and the download cache, gis/boundary_reader.py
for reading and checking files, gis/boundary_store.py for writing them into PostGIS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.boundary_fetch import (
    Fetcher,
    Manifest,
    PinnedFile,
    load_communes_hint,
    pinned_commune_provinces,
    sha256_of,
)
from gis.boundary_reader import FieldMap, UnitFrame, read_units
from gis.boundary_store import LoadResult, SourceRecord, store_units
from gis.errors import InputError
from gis.progress import NoProgress, Progress
from gis.settings import Settings


def _read_many(
    paths: Iterable[Path], fields: FieldMap, progress: Progress, total: int
) -> UnitFrame:
    advance = progress.task("Đọc ranh giới / reading", total)
    frames, repairs = [], []
    for path in paths:
        unit_frame = read_units(path, fields)
        frames.append(unit_frame.units)
        repairs.extend(unit_frame.repairs)
        advance(1)
    units = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    return UnitFrame(units, repairs)


@dataclass
class FetchResult:
    """The loads made by one fetch."""

    results: list[LoadResult]
    origin: str
    commit: str
    licence: str
    attribution: str
    warnings: list[str] = field(default_factory=list)


def fetch_boundaries(
    engine: Engine,
    settings: Settings,
    province: str,
    source: str | None = None,
    progress: Progress | None = None,
) -> FetchResult:
    """Fetch and load one province (outline + communes) or, with 'all', every province outline."""
    progress = progress or NoProgress()
    manifest = Manifest.load()
    origin = source or settings.boundary_source or manifest.base_url
    codes = manifest.province_codes if province == "all" else [province]
    for code in codes:
        manifest.province(code)  # unknown codes fail before any download
    outlines = [manifest.outline(c) for c in codes]
    communes = [] if province == "all" else manifest.communes(province)
    fetcher = Fetcher(
        origin, settings.cache_dir / "boundaries" / manifest.commit, settings.http_timeout_s
    )
    try:
        fetcher.get(PinnedFile(**manifest.licence_file))
        outline_paths = fetcher.get_all(outlines, progress)
        commune_paths = fetcher.get_all(communes, progress) if communes else []
    finally:
        fetcher.close()
    fields = manifest.fields
    batches = [("province", None, outlines, outline_paths)]
    if communes:
        batches.append(("commune", province, communes, commune_paths))
    if not fetcher.is_http:
        origin = str(fetcher.root)
    results = []
    with engine.begin() as conn:  # one transaction for the whole fetch
        for level, parent, pinned, paths in batches:
            frame = _read_many(paths, fields, progress, len(paths))
            frame.units["level"] = level
            if parent:
                frame.units["parent_code"] = parent
            record = SourceRecord(
                name=manifest.name,
                level=level,
                origin=origin,
                files={f.path: f.sha256 for f in pinned},
                province_code=parent if parent else None,
                commit=manifest.commit,
                licence=manifest.licence,
                attribution=manifest.attribution,
                valid_from=date.fromisoformat(manifest.valid_from),
            )
            repairs = [r.as_dict() for r in frame.repairs]
            results.append(store_units(conn, frame.units, record, repairs))
    warnings = []
    if province != "all" and not communes:
        warnings.append(
            f"tỉnh {province}: bản này chưa ghim tệp ranh giới xã / this release pins no commune "
            f"files for province {province} (only for {', '.join(pinned_commune_provinces())}): "
            "only its outline was loaded, so no address or incident there can be placed in a "
            f"commune. Load its communes with {load_communes_hint(province)}."
        )
    return FetchResult(
        results, origin, manifest.commit, manifest.licence, manifest.attribution, warnings
    )


def load_boundary_file(
    engine: Engine,
    path: Path,
    level: str,
    fields: FieldMap,
    parent: str | None = None,
    crs: str | None = None,
    licence: str | None = None,
    attribution: str | None = None,
) -> LoadResult:
    """Load any GeoJSON/GeoPackage/Shapefile of units at ``level`` in one transaction."""
    if level not in ("province", "commune"):
        raise InputError(f"--level {level!r} is not a level", "use province or commune")
    if level == "province" and (parent or fields.parent):
        raise InputError("provinces have no parent", "drop --parent / --parent-field")
    frame = read_units(path, fields, crs)
    frame.units["level"] = level
    if parent:
        frame.units["parent_code"] = parent
    record = SourceRecord(
        name=path.name,
        level=level,
        origin=str(path.resolve()),
        files={path.name: sha256_of(path)},
        province_code=parent,
        licence=licence,
        attribution=attribution,
        options={"fields": vars(fields), "crs": crs, "parent": parent},
    )
    with engine.begin() as conn:
        return store_units(conn, frame.units, record, [r.as_dict() for r in frame.repairs])


@dataclass
class ProvinceSummary:
    """What is loaded for one province."""

    code: str
    name: str
    communes: int
    bbox: tuple[float, float, float, float]
    area_km2: float
    origin: str | None
    commit: str | None
    licence: str | None
    attribution: str | None
    loaded_at: object


def summarise(engine: Engine, province: str | None = None) -> list[ProvinceSummary]:
    """Loaded provinces with their commune counts, bbox and source."""
    sql = sa.text(
        """
        SELECT p.code, p.name, p.area_km2,
               (SELECT count(*) FROM admin_unit c WHERE c.parent_code = p.code) AS communes,
               ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax,
               s.origin, s.commit, s.licence, s.attribution, s.loaded_at
          FROM admin_unit p
          JOIN boundary_source s ON s.id = p.source_id
          CROSS JOIN LATERAL (SELECT ST_Extent(geom)::geometry AS e FROM admin_unit u
                               WHERE u.code = p.code OR u.parent_code = p.code) ext
         WHERE p.level = 'province' AND (CAST(:code AS text) IS NULL OR p.code = :code)
         ORDER BY p.code
        """
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"code": province}).all()
    return [
        ProvinceSummary(
            r.code,
            r.name,
            r.communes,
            (r.xmin, r.ymin, r.xmax, r.ymax),
            r.area_km2,
            r.origin,
            r.commit,
            r.licence,
            r.attribution,
            r.loaded_at,
        )
        for r in rows
    ]


def level_counts(engine: Engine, province: str | None = None) -> dict[str, int]:
    """Number of loaded units per level (within one province when given)."""
    sql = sa.text(
        "SELECT level, count(*) FROM admin_unit WHERE CAST(:code AS text) IS NULL "
        "OR code = :code OR parent_code = :code GROUP BY level"
    )
    with engine.connect() as conn:
        return dict(conn.execute(sql, {"code": province}).all())


def boundary_version(engine: Engine) -> int:
    """Changes whenever boundaries are (re)loaded: caches keyed on it expire then."""
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM boundary_source"))
