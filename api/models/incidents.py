"""Incidents: one recorded by hand, and the aggregate statistics."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class IncidentCreate(BaseModel):
    """One incident: when, what, and an address or coordinates. No names of people."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "occurred_at": "14h30 ngày 12/3/2024",
                    "category": "Trộm cắp tài sản",
                    "address": "thôn 3, xã Gia Viễn, Ninh Bình",
                    "external_ref": "VV-2024-0312",
                }
            ]
        },
    )
    occurred_at: dt.datetime | str = Field(
        description="ISO time (local if no zone) or as officers write it", examples=["12/03/2024"]
    )
    category: str = Field(min_length=1, max_length=200, examples=["crime", "Trộm cắp"])
    subcategory: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=2000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    source: str = Field(default="manual", min_length=1, max_length=200)
    external_ref: str | None = Field(default=None, max_length=200)
    is_synthetic: bool = False


class IncidentOut(BaseModel):
    """The stored incident (created, or updated by source and reference)."""

    province_code: str
    id: int
    source: str
    external_ref: str
    occurred_at: dt.datetime
    category: str
    subcategory: str | None
    address: str | None
    commune_code: str
    precision: str
    score: float
    is_synthetic: bool
    warning: str | None = None


class TopCommune(BaseModel):
    code: str
    name: str
    incidents: int | None = Field(description="None: suppressed (small count)")


class IncidentStatsOut(BaseModel):
    """Counts only (no points); for viewers counts below the threshold are None."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "privacy": "suppressed<3",
                    "total": 1520,
                    "by_category": {"crime": 412, "other": None},
                }
            ]
        }
    )
    privacy: str = Field(description="'suppressed<N' for viewers, 'none' otherwise")
    total: int | None
    synthetic: int | None
    flagged: int | None
    first: dt.datetime | None
    last: dt.datetime | None
    by_category: dict[str, int | None]
    by_year: dict[int, dict[str, int | None]]
    by_precision: dict[str, int | None]
    top_communes: list[TopCommune]
