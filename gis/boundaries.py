"""Administrative boundaries: fetch pinned, checksummed files from their origin and load them.

The manifest in ``data/boundaries/manifest.json`` names each file by its path relative to
the origin and its sha256. A mirror with the same layout (a folder or a URL) can stand in
for the origin; every byte is checked against the manifest either way.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import geopandas as gpd
import httpx
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.boundary_reader import FieldMap, UnitFrame, read_units
from gis.boundary_store import LoadResult, SourceRecord, store_units
from gis.errors import ChecksumMismatch, InputError, SourceUnavailable
from gis.progress import NoProgress, Progress
from gis.settings import PROJECT_ROOT, Settings

MANIFEST_PATH = PROJECT_ROOT / "data" / "boundaries" / "manifest.json"


@dataclass(frozen=True)
class PinnedFile:
    """A file of the origin: relative path and expected sha256."""

    path: str
    sha256: str


@dataclass
class Manifest:
    """One pinned boundary source (see data/boundaries/manifest.json)."""

    raw: dict

    @classmethod
    def load(cls, path: Path = MANIFEST_PATH) -> Manifest:
        return cls(json.loads(path.read_text(encoding="utf-8"))["sources"][0])

    def __getattr__(self, key: str):
        try:
            return self.raw[key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def province_codes(self) -> list[str]:
        return sorted(self.raw["provinces"])

    def province(self, code: str) -> dict:
        try:
            return self.raw["provinces"][code]
        except KeyError:
            raise InputError(
                f"unknown province code {code!r}",
                f"use one of {', '.join(self.province_codes)} or 'all'",
            ) from None

    def outline(self, code: str) -> PinnedFile:
        return PinnedFile(**self.province(code)["outline"])

    def communes(self, code: str) -> list[PinnedFile]:
        return [PinnedFile(c["path"], c["sha256"]) for c in self.province(code)["communes"]]

    @property
    def fields(self) -> FieldMap:
        p = self.raw["properties"]
        return FieldMap(
            code=p["code"], name=p["name"], full_name=p["full_name"], name_en=p["name_en"]
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Fetcher:
    """Gets pinned files from the origin or a mirror into a checksummed local cache."""

    def __init__(self, source: str, cache_dir: Path, timeout_s: float = 60.0) -> None:
        self.source = source
        self.cache_dir = cache_dir
        parsed = urlparse(source)
        self.is_http = parsed.scheme in ("http", "https")
        if not self.is_http:
            root = Path(parsed.path if parsed.scheme == "file" else source).expanduser()
            if not root.is_dir():
                raise SourceUnavailable(
                    f"boundary source {source!r} is neither a URL nor a folder",
                    "give --source a folder with the origin's layout or an http(s) URL",
                )
            self.root = root.resolve()
        self.client = (
            httpx.Client(timeout=timeout_s, follow_redirects=True) if self.is_http else None
        )

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def _read(self, rel: str) -> bytes:
        if not self.is_http:
            path = self.root / rel
            if not path.is_file():
                raise SourceUnavailable(f"{rel}: not found in the mirror {self.root}")
            return path.read_bytes()
        url = self.source.rstrip("/") + "/" + rel
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(
                f"{rel}: download from {url} failed ({exc.__class__.__name__}: {exc})",
                "check the network, or point --source / TUQUAN_BOUNDARY_SOURCE at a mirror",
            ) from None
        if response.status_code != 200:
            raise SourceUnavailable(f"{rel}: {url} answered HTTP {response.status_code}")
        return response.content

    def get(self, pinned: PinnedFile) -> Path:
        """The verified local copy of ``pinned`` (downloaded when not cached)."""
        target = self.cache_dir / pinned.path
        if target.is_file() and sha256_of(target) == pinned.sha256:
            return target
        data = self._read(pinned.path)
        actual = hashlib.sha256(data).hexdigest()
        if actual != pinned.sha256:
            raise ChecksumMismatch(
                f"{pinned.path}: sha256 {actual[:16]}… does not match the pinned "
                f"{pinned.sha256[:16]}… (from {self.source})",
                "the source is corrupt or not the pinned version; nothing was loaded",
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except OSError as exc:
            raise SourceUnavailable(
                f"cannot write the download cache {self.cache_dir}: {exc.strerror}",
                "free some disk space or fix the permissions of TUQUAN_HOME",
            ) from None
        return target

    def get_all(self, files: list[PinnedFile], progress: Progress) -> list[Path]:
        advance = progress.task("Tải ranh giới / downloading", len(files))

        def one(f: PinnedFile) -> Path:
            path = self.get(f)
            advance(1)
            return path

        with ThreadPoolExecutor(max_workers=8 if self.is_http else 2) as pool:
            return list(pool.map(one, files))


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
    return FetchResult(results, origin, manifest.commit, manifest.licence, manifest.attribution)


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
