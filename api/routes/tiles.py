"""Vector tiles (MVT) and TileJSON for the feature collections."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import EngineDep
from api.routes.ogc import include_sensitive
from api.security import access
from gis import features, tiles

router = APIRouter(prefix="/tiles", tags=["Vector tiles"])
MVT = "application/vnd.mapbox-vector-tile"


@router.get(
    "/{collection_id}/{z}/{x}/{y}.mvt",
    summary="One vector tile",
    responses={200: {"content": {MVT: {}}}, 304: {"description": "unchanged (ETag)"}},
)
@access("viewer")
def tile(collection_id: str, z: int, x: int, y: int, request: Request, engine: EngineDep):
    """The tile z/x/y (Web Mercator) of a collection, with ETag revalidation."""
    sensitive = include_sensitive(request)
    coll = features.get_collection(collection_id, sensitive)
    rendered = tiles.render_tile(engine, coll, z, x, y)
    etag = f'"{rendered.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": ("private" if coll.sensitive else "public")
        + ", max-age=60, must-revalidate",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(rendered.data, media_type=MVT, headers=headers)


@router.get("/{collection_id}.json", summary="TileJSON of a collection")
@access("viewer")
def tilejson(collection_id: str, request: Request, engine: EngineDep) -> dict:
    coll = features.get_collection(collection_id, include_sensitive(request))
    base = str(request.base_url).rstrip("/")
    template = f"{base}/tiles/{coll.id}/{{z}}/{{x}}/{{y}}.mvt"
    return tiles.tilejson(coll, template, features.extent(engine, coll).bbox)
