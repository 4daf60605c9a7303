"""Vector tiles (MVT) and TileJSON for the feature collections."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.audience import AudienceDep, privacy_headers
from api.deps import EngineDep
from api.models.problems import MISSING, NOT_AUTHENTICATED, OTHER_ERROR, TILE_ERRORS
from api.routes.ogc import CollectionId, include_sensitive
from api.security import access
from gis import features, tiles

router = APIRouter(prefix="/tiles", tags=["Vector tiles"])
MVT = "application/vnd.mapbox-vector-tile"


@router.get(
    "/{collection_id}/{z}/{x}/{y}.mvt",
    summary="One vector tile",
    response_class=Response,  # not JSON: the 200 is documented as MVT alone
    responses={
        200: {
            "description": "the tile (empty when nothing is in it)",
            "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "unchanged (ETag)"},
        **TILE_ERRORS,
    },
)
@access("viewer")
def tile(
    collection_id: CollectionId,
    z: int,
    x: int,
    y: int,
    request: Request,
    engine: EngineDep,
    audience: AudienceDep,
):
    """The tile z/x/y (Web Mercator) of a collection as the caller may see it (scope, small
    counts), with ETag revalidation."""
    sensitive = include_sensitive(request)
    coll = features.get_collection(collection_id, sensitive)
    rendered = tiles.render_tile(engine, coll, z, x, y, audience)
    etag = f'"{rendered.etag}"'
    # what a tile holds depends on who asks: only the caller's own cache may keep it
    headers = {
        "ETag": etag,
        "Cache-Control": "private, max-age=60, must-revalidate",
        **privacy_headers(audience),
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(rendered.data, media_type=MVT, headers=headers)


@router.get(
    "/{collection_id}.json",
    summary="TileJSON of a collection",
    responses={401: NOT_AUTHENTICATED, 404: MISSING, "default": OTHER_ERROR},
)
@access("viewer")
def tilejson(
    collection_id: CollectionId, request: Request, engine: EngineDep, audience: AudienceDep
):
    coll = features.get_collection(collection_id, include_sensitive(request))
    base = str(request.base_url).rstrip("/")
    template = f"{base}/tiles/{coll.id}/{{z}}/{{x}}/{{y}}.mvt"
    document = tiles.tilejson(coll, template, features.extent(engine, coll, audience).bbox)
    return JSONResponse(document, headers=privacy_headers(audience))
