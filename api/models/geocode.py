"""Geocoding requests and answers: one address, or a batch of them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 1000
MAX_ADDRESS_CHARS = 2000


class GeocodeRequest(BaseModel):
    """One address or pair of coordinates, as people write it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"address": "thôn 3, xã Ninh Hải, huyện Hoa Lư, tỉnh Ninh Bình"}]
        },
    )
    address: str = Field(max_length=MAX_ADDRESS_CHARS)


class GeocodeBatchRequest(BaseModel):
    """Up to 1,000 addresses; each gets one answer, in the same order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"addresses": ["P. Nam Định, Nam Định", "20°15'N 105°58'E"]}]
        },
    )
    addresses: list[str] = Field(min_length=1, max_length=MAX_BATCH)


class CandidateOut(BaseModel):
    commune_code: str
    commune_name: str
    province_code: str
    score: float


class GeocodeOut(BaseModel):
    """matched | ambiguous (with candidates) | unmatched | invalid (with the reason)."""

    text: str
    status: str
    precision: str | None = None
    commune_code: str | None = None
    commune_name: str | None = None
    province_code: str | None = None
    province_name: str | None = None
    legacy: str | None = Field(default=None, description="the pre-2025 unit the input named")
    lon: float | None = None
    lat: float | None = None
    score: float
    candidates: list[CandidateOut] = []
    reason: str | None = None


class GeocodeBatchOut(BaseModel):
    results: list[GeocodeOut]
