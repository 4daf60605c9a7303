"""Geocoding: one address, or a batch, to a current commune and a point (offline gazetteer)."""

from __future__ import annotations

from fastapi import APIRouter

from api.models.geocode import (
    GeocodeBatchOut,
    GeocodeBatchRequest,
    GeocodeOut,
    GeocodeRequest,
)
from api.models.problems import INVALID
from api.places import PlacesDep
from api.security import access

router = APIRouter(prefix="/geocode", tags=["Geocoding"], responses={422: INVALID})


@router.post("", summary="Geocode one address")
@access("officer")
def geocode(body: GeocodeRequest, places: PlacesDep) -> GeocodeOut:
    """matched, ambiguous (with candidates), unmatched or invalid (with the reason)."""
    (result,) = places.geocode_many([body.address])
    return GeocodeOut.model_validate(result.as_dict())


@router.post("/batch", summary="Geocode up to 1,000 addresses")
@access("officer")
def geocode_batch(body: GeocodeBatchRequest, places: PlacesDep) -> GeocodeBatchOut:
    """One answer per address, in the same order (repeated addresses are resolved once)."""
    results = places.geocode_many(body.addresses)
    return GeocodeBatchOut(results=[GeocodeOut.model_validate(r.as_dict()) for r in results])
