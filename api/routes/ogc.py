"""OGC API – Features, Part 1 (Core + GeoJSON): landing, conformance, collections, items."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from api.audience import AudienceDep, privacy_headers
from api.deps import EngineDep
from api.errors import OgcRoute
from api.models.problems import MISSING, NOT_AUTHENTICATED, OGC_ERRORS, OTHER_ERROR
from api.ogc_params import CRS84, RESERVED, check_crs, parse_bbox, parse_datetime
from api.security import access
from gis import features
from gis.feature_pages import query_geojson
from gis.features import MAX_LIMIT, Collection
from gis.privacy import EVERYONE, Audience

# an invalid query parameter is 400 on these routes (OGC API – Features Core)
router = APIRouter(tags=["OGC API – Features"], route_class=OgcRoute)

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
Format = Literal["json", "geojson", "csv"]
COLLECTION_IDS = [c.id for c in features.collections(include_sensitive=True)]
CollectionId = Annotated[
    str,
    Path(
        description="a collection (see /collections; incidents: officers and admins only)",
        examples=["communes"],
        json_schema_extra={"enum": COLLECTION_IDS},
    ),
]


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def include_sensitive(request: Request) -> bool:
    """Whether the caller may see sensitive collections (decided by access control)."""
    return bool(getattr(request.state, "may_see_points", False))


@router.get("/ogc", summary="Landing page (always JSON; / also serves it to JSON clients)")
@access("public")
def landing(request: Request) -> dict:
    """The OGC landing page: links to the API definition, conformance and collections."""
    base = _base(request)
    return {
        "title": "tuquan — mô hình “5 tự quản” về ANTT",
        "description": "Administrative units, model sites, coverage, hotspots, candidates.",
        "links": [
            _link(f"{base}/ogc", "self", "application/json", "this document"),
            _link(
                f"{base}/openapi.json",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
            ),
            _link(f"{base}/docs", "service-doc", "text/html", "API documentation"),
            _link(f"{base}/conformance", "conformance", "application/json"),
            _link(f"{base}/collections", "data", "application/json", "collections"),
        ],
    }


@router.get("/conformance", summary="Conformance classes")
@access("public")
def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def _describe(request: Request, engine, coll: Collection, audience: Audience = EVERYONE) -> dict:
    base = _base(request)
    ext = features.extent(engine, coll, audience)
    extent: dict = {}
    if ext.bbox:
        extent["spatial"] = {"bbox": [list(ext.bbox)], "crs": CRS84}
    if ext.interval:
        extent["temporal"] = {
            "interval": [[t.isoformat() if t else None for t in ext.interval]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            _link(f"{base}/collections/{coll.id}", "self", "application/json"),
            _link(f"{base}/collections/{coll.id}/items", "items", GEOJSON, "items"),
            _link(f"{base}/collections/{coll.id}/items?f=csv", "items", "text/csv", "items (CSV)"),
        ],
    }


@router.get(
    "/collections",
    summary="Feature collections",
    responses={401: NOT_AUTHENTICATED, "default": OTHER_ERROR},
)
@access("viewer")
def list_collections(request: Request, engine: EngineDep, audience: AudienceDep) -> JSONResponse:
    base = _base(request)
    body = {
        "links": [_link(f"{base}/collections", "self", "application/json")],
        "collections": [
            _describe(request, engine, c, audience)
            for c in features.collections(include_sensitive(request))
        ],
    }
    return JSONResponse(body, headers=privacy_headers(audience))


@router.get(
    "/collections/{collection_id}",
    summary="One collection",
    responses={401: NOT_AUTHENTICATED, 404: MISSING, "default": OTHER_ERROR},
)
@access("viewer")
def describe_collection(
    collection_id: CollectionId, request: Request, engine: EngineDep, audience: AudienceDep
) -> JSONResponse:
    coll = features.get_collection(collection_id, include_sensitive(request))
    return JSONResponse(
        _describe(request, engine, coll, audience), headers=privacy_headers(audience)
    )


def _page_links(request: Request, coll: Collection, page, limit: int, offset: int, f: str):
    url = request.url
    links = [_link(str(url), "self", GEOJSON if f != "csv" else "text/csv")]
    if offset + page.number_returned < page.number_matched:
        links.append(_link(str(url.include_query_params(offset=offset + limit)), "next", GEOJSON))
    if offset > 0:
        links.append(
            _link(str(url.include_query_params(offset=max(0, offset - limit))), "prev", GEOJSON)
        )
    links.append(_link(f"{_base(request)}/collections/{coll.id}", "collection", "application/json"))
    return links


@router.get(
    "/collections/{collection_id}/items",
    summary="Features of a collection",
    response_class=Response,  # GeoJSON or CSV, never plain JSON
    responses={200: {"content": {GEOJSON: {}, "text/csv": {}}}, **OGC_ERRORS},
)
@access("viewer")
def items(
    collection_id: CollectionId,
    request: Request,
    engine: EngineDep,
    audience: AudienceDep,
    bbox: Annotated[
        str | None,
        Query(
            description="minLon,minLat,maxLon,maxLat (CRS84)", examples=["105.9,20.2,106.0,20.3"]
        ),
    ] = None,
    datetime: Annotated[
        str | None,
        Query(description="instant or interval (RFC 3339, '..' open)", examples=["2024-01-01/.."]),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="page size")
    ] = features.DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="features to skip")] = 0,
    f: Annotated[Format, Query(description="output format")] = "json",
    skip_geometry: Annotated[
        bool, Query(alias="skipGeometry", description="properties only, geometry null")
    ] = False,
    bbox_crs: Annotated[
        str | None, Query(alias="bbox-crs", description="CRS of bbox: CRS84 only", examples=[CRS84])
    ] = None,
    crs: Annotated[
        str | None, Query(description="CRS of the answer: CRS84 only", examples=[CRS84])
    ] = None,
) -> Response:
    """Features with bbox, datetime and property filters (any other query parameter), inside
    the caller's scope; for viewers small incident counts are suppressed (X-Tuquan-Privacy)."""
    coll = features.get_collection(collection_id, include_sensitive(request))
    check_crs("bbox-crs", bbox_crs)
    check_crs("crs", crs)
    start, end = parse_datetime(datetime)
    filters = {k: v for k, v in request.query_params.items() if k not in RESERVED}
    query = features.Query(
        bbox=parse_bbox(bbox), start=start, end=end, properties=filters, limit=limit,
        offset=offset, skip_geometry=skip_geometry,
    )  # fmt: skip
    headers = privacy_headers(audience)
    if f == "csv":
        page = features.query_items(engine, coll, query, audience)
        return Response(
            features.page_to_csv(page, coll), media_type="text/csv; charset=utf-8", headers=headers
        )
    page = query_geojson(engine, coll, query, audience)
    envelope = {
        "type": "FeatureCollection",
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
        "privacy": audience.policy,
        "links": _page_links(request, coll, page, limit, offset, f),
    }
    # PostGIS wrote the feature array: spliced in, not parsed and written again (far faster)
    body = json.dumps(envelope, ensure_ascii=False)[:-1] + ', "features": ' + page.features_json
    return Response(body + "}", media_type=GEOJSON, headers=headers)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature",
    response_class=Response,  # GeoJSON
    responses={200: {"content": {GEOJSON: {}}}, **OGC_ERRORS},
)
@access("viewer")
def item(
    collection_id: CollectionId,
    feature_id: str,
    request: Request,
    engine: EngineDep,
    audience: AudienceDep,
    crs: Annotated[
        str | None, Query(description="CRS of the answer: CRS84 only", examples=[CRS84])
    ] = None,
) -> Response:
    """One feature; outside the caller's scope it does not exist (404)."""
    coll = features.get_collection(collection_id, include_sensitive(request))
    check_crs("crs", crs)
    feature = features.get_item(engine, coll, feature_id, audience)
    feature["privacy"] = audience.policy
    base = _base(request)
    feature["links"] = [
        _link(f"{base}/collections/{coll.id}/items/{feature_id}", "self", GEOJSON),
        _link(f"{base}/collections/{coll.id}", "collection", "application/json"),
    ]
    return JSONResponse(feature, media_type=GEOJSON, headers=privacy_headers(audience))
