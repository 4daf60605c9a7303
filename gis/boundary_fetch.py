"""Pinned boundary files: the manifest of the origin and a checksummed download cache.

The manifest in ``data/boundaries/manifest.json`` names each file by its path relative to
the origin and its sha256. A mirror with the same layout (a folder or a URL) can stand in
for the origin; every byte is checked against the manifest either way.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import httpx

from gis.boundary_reader import FieldMap
from gis.errors import ChecksumMismatch, InputError, SourceUnavailable
from gis.progress import Progress
from gis.settings import PROJECT_ROOT

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


@cache
def pinned_commune_provinces() -> tuple[str, ...]:
    """Provinces whose commune files this release pins (the others: outline only)."""
    return tuple(c for c, p in sorted(Manifest.load().raw["provinces"].items()) if p["communes"])


def load_communes_hint(code: str) -> str:
    """How to load the communes of a province whose commune files are not pinned."""
    return (
        f"`tuquan boundaries load FILE --level commune --code-field code --name-field name "
        f"--full-name-field fullName --parent {code}` with a commune file of province {code} "
        "(e.g. the origin's json/geojson/<province>/wards/ files merged into one, or a national "
        "ward file with `--parent-field province_code` instead of `--parent`)"
    )


def fetch_hint(*codes: str) -> str:
    """What to run so that the communes of these provinces get loaded."""
    pinned = pinned_commune_provinces()
    if len(codes) > 2:
        fetch = f"`tuquan boundaries fetch --province NN` for NN in {', '.join(codes)}"
    else:
        fetch = ", ".join(f"`tuquan boundaries fetch --province {c}`" for c in codes)
    missing = [c for c in codes if c not in pinned]
    if not missing:
        return fetch
    return (
        f"{fetch} (this release pins commune files for {', '.join(pinned)} only: for "
        f"{', '.join(missing)} that loads the outline), then "
        + load_communes_hint(missing[0] if len(missing) == 1 else "NN")
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
