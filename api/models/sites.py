"""Sites of the model: what a form sends to create, change and move them, and what comes back."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

_NAME = Field(min_length=1, max_length=500, examples=["Dòng họ Đinh tự quản về ANTT"])
_KIND_HELP = "commune | village | clan | religious | organisation, or the Vietnamese phrase"
_STATUS_HELP = "planned | pilot | replicated | suspended, or the Vietnamese phrase"


class SiteCreate(BaseModel):
    """A new site: a name, a kind, and an address or coordinates (lon, lat)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Tổ dân phố Phúc Chỉnh tự quản",
                    "kind": "thôn, tổ dân phố",
                    "components": [1, 2, 4],
                    "status": "pilot",
                    "started_on": "2024-03-01",
                    "host_unit": "Công an phường Hoa Lư",
                    "lon": 105.9752,
                    "lat": 20.2539,
                }
            ]
        },
    )
    name: str = _NAME
    kind: str = Field(max_length=200, description=_KIND_HELP, examples=["village"])
    components: list[int] | str | None = Field(
        default=None, description="numbers 1–5 or phrases; none: all five", examples=[[1, 2, 4]]
    )
    status: str = Field(default="planned", max_length=200, description=_STATUS_HELP)
    started_on: dt.date | None = None
    status_on: dt.date | None = Field(default=None, description="date of the first status")
    host_unit: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=2000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    notes: str | None = Field(default=None, max_length=5000)
    ref: str | None = Field(default=None, max_length=200, description="your reference")
    is_synthetic: bool = False


class SitePatch(BaseModel):
    """Fields to change (only those sent); the status changes through /sites/{id}/status."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"components": [1, 2, 3, 4, 5], "notes": "đủ 5 nội dung"}]},
    )
    name: str | None = Field(default=None, min_length=1, max_length=500)
    kind: str | None = Field(default=None, max_length=200, description=_KIND_HELP)
    components: list[int] | str | None = None
    started_on: dt.date | None = None
    host_unit: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=2000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    notes: str | None = Field(default=None, max_length=5000)
    is_synthetic: bool | None = None


class StatusChange(BaseModel):
    """A dated move to another status (kept in the site's history)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "replicated", "changed_on": "2025-01-15", "note": "sơ kết"}]
        },
    )
    status: str = Field(max_length=200, description=_STATUS_HELP)
    changed_on: dt.date
    note: str | None = Field(default=None, max_length=2000)


class StatusEntry(BaseModel):
    """One line of a site's status history."""

    status: str
    changed_on: dt.date
    changed_by: str
    note: str | None = None
    recorded_at: dt.datetime


class SiteOut(BaseModel):
    """A stored site with its place, its history and any location warning."""

    id: int
    ref: str
    name: str
    kind: str
    components: list[int]
    status: str
    started_on: dt.date | None
    host_unit: str | None
    address: str | None
    province_code: str
    commune_code: str
    commune_name: str | None
    lon: float
    lat: float
    precision: str
    score: float
    address_commune_code: str | None
    notes: str | None
    is_synthetic: bool
    created_by: str
    created_at: dt.datetime
    updated_by: str
    updated_at: dt.datetime
    history: list[StatusEntry] = []
    warning: str | None = None
