"""Settings for every layer, read from the environment (prefix ``TUQUAN_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration; build one per process (never at import time)."""

    model_config = SettingsConfigDict(env_prefix="TUQUAN_", extra="ignore")

    def __init__(self, **values) -> None:
        # A bad value (TUQUAN_MIN_COUNT=-1) is the user's to fix: name the variable, no
        # traceback (every command and the server build their settings through here).
        try:
            super().__init__(**values)
        except ValidationError as exc:
            wrong = "; ".join(
                f"TUQUAN_{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigurationError(
                f"cấu hình sai / invalid setting: {wrong}",
                "sửa hoặc bỏ biến môi trường này / correct or unset that environment variable "
                "(README: Settings)",
            ) from None

    # An external PostgreSQL + PostGIS server. Unset: the project-managed local cluster.
    database_url: str | None = None
    # Where the project keeps its local state (cluster, download cache).
    home: Path = Field(default=PROJECT_ROOT / ".tuquan")
    # Directory of the PostgreSQL server binaries; unset: found automatically.
    pg_bin_dir: Path | None = None
    # Name of the database inside the local cluster.
    database_name: str = "tuquan"

    # A mirror of the boundary origin with the same relative layout (folder or URL).
    # Unset: the pinned public origin named in data/boundaries/manifest.json.
    boundary_source: str | None = None
    default_province: str = "37"
    http_timeout_s: float = 60.0

    # Basemap of the HTML maps: "offline" (no tiles: the boundaries carry the map), "osm",
    # or a tile URL template with {z}, {x}, {y} (e.g. a local tile server).
    basemap: str = "offline"
    basemap_attribution: str | None = None

    # Optional online refinement of commune-level geocodes to street level: the base URL of
    # a Nominatim-compatible search service. Unset (the default): fully offline.
    geocode_online_url: str | None = None
    geocode_online_timeout_s: float = 5.0
    geocode_online_min_interval_s: float = 1.0  # Nominatim's usage policy: 1 request/s
    geocode_online_max_requests: int = 1000  # per batch; the rest keep their offline result
    geocode_online_user_agent: str = "tuquan-geocoder"
    # Processes that resolve a large geocode batch together (0: one per CPU, at most 4;
    # 1: only the calling process).
    geocode_workers: int = Field(default=0, ge=0)
    # Processes that check the chunks of a large import of coordinates together (0: one
    # per CPU, at most 4; 1: only the importing process).
    import_workers: int = Field(default=0, ge=0)

    # Privacy: counts below this are suppressed in aggregates served to viewers.
    min_count: int = Field(default=3, ge=1)
    # Memory for rendered vector tiles kept per server process, in megabytes (0: none).
    tile_cache_mb: float = Field(default=64.0, ge=0)
    # Largest file accepted by an upload (POST /imports/...), in megabytes; beyond: 413.
    max_upload_mb: float = Field(default=50.0, gt=0)

    @property
    def pg_data_dir(self) -> Path:
        return self.home / "pg"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"
