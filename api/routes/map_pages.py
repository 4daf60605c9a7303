"""The coverage, hotspot and planning maps as pages, and the A4 figures as PNG/PDF.

Pages are rendered by maps.served and kept until the data changes: the ETag is the page's
key (data version + parameters + privacy policy), so a browser revalidates with a 304 and
nothing is rendered twice. Viewers get counts below the threshold suppressed
(``X-Tuquan-Privacy`` says which policy applied); no map carries incident points. A caller
scoped to some communes of the province sees incident figures of those communes only.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response

from api.audience import PRIVACY_HEADER
from api.deps import EngineDep, SettingsDep
from api.hardening import CSP, map_csp
from api.security import PrincipalDep, access
from gis.dashboard import check_day, choose_province
from gis.privacy import Audience, communes_seen
from maps.base import MapOptions
from maps.served import FIGURE_FORMATS, FIGURE_KINDS, MAP_KINDS, PageCache, PageRequest

router = APIRouter(tags=["Maps and figures"])
_cache_lock = threading.Lock()
TITLES = {
    "base-map": "Bản đồ nền hành chính / administrative base map",
    "coverage": "Độ phủ mô hình / coverage of the model",
    "hotspots": "Điểm nóng vụ việc / incident hot spots",
    "planning": "Đề xuất nhân rộng / where to replicate next",
}


def page_cache(request: Request) -> PageCache:
    """The app's page cache (created on first use, in TUQUAN_HOME/cache/pages)."""
    cache = getattr(request.app.state, "page_cache", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(request.app.state, "page_cache", None)
            if cache is None:
                settings = request.app.state.settings
                options = MapOptions(
                    basemap=settings.basemap, basemap_attribution=settings.basemap_attribution
                )
                cache = PageCache(settings.cache_dir / "pages", options)
                request.app.state.page_cache = cache
    return cache


def page_query(
    province: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{1,8}$",
            description="province code (default: the configured one)",
            examples=["37"],
        ),
    ] = None,
    as_of: Annotated[date | None, Query(description="coverage as of this day (today)")] = None,
    start: Annotated[date | None, Query(description="first day of incidents (VN time)")] = None,
    end: Annotated[date | None, Query(description="day after the last one (excluded)")] = None,
    category: Annotated[
        list[str] | None,
        Query(
            max_length=6,
            description="incident categories (repeat; default all)",
            examples=[["crime"]],
        ),
    ] = None,
    top: Annotated[int, Query(ge=1, le=50, description="candidates numbered (planning)")] = 10,
    k: Annotated[int, Query(ge=1, le=20, description="new sites optimised (planning)")] = 5,
    radius_m: Annotated[
        float, Query(ge=100, le=20_000, description="coverage radius of a site, metres")
    ] = 3000.0,
) -> dict:
    """The parameters shared by the maps and figures."""
    for value, name in ((as_of, "as_of"), (start, "start"), (end, "end")):
        check_day(value, name)
    return {
        "province": province, "as_of": as_of, "start": start, "end": end,
        "categories": tuple(category) if category else None, "top": top, "k": k,
        "radius_m": radius_m,
    }  # fmt: skip


PageQuery = Annotated[dict, Depends(page_query)]


def _page_request(kind: str, query: dict, engine, settings, principal) -> tuple[PageRequest, str]:
    audience = Audience.of(principal, settings.min_count)
    province = choose_province(engine, principal.scope, query["province"],
                               settings.default_province)  # fmt: skip
    request = PageRequest(kind, **{**query, "province": province.code},
                          min_count=audience.min_count,
                          communes=communes_seen(audience.scope, province.code))  # fmt: skip
    return request, audience.policy


def _headers(etag: str, policy: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Cache-Control": "private, no-cache",  # revalidate each time: cheap with the ETag
        "Vary": "Cookie, Authorization",
        PRIVACY_HEADER: policy,
    }


def _not_modified(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return etag in [tag.strip() for tag in sent.split(",")] or sent.strip() == "*"


def _map_route(kind: str) -> None:
    @router.get(
        f"/maps/{kind}",
        summary=f"Map: {TITLES[kind]}",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}}, 304: {"description": "unchanged"}},
        name=f"map_{kind}",
    )
    @access("viewer")
    def map_page(
        request: Request,
        engine: EngineDep,
        settings: SettingsDep,
        principal: PrincipalDep,
        query: PageQuery,
    ) -> Response:
        """The map as one self-contained HTML page (nothing loaded from another host)."""
        page, policy = _page_request(kind, query, engine, settings, principal)
        cache = page_cache(request)
        key = cache.key(engine, page, "html")
        headers = _headers(f'"{key}"', policy)
        if _not_modified(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        rendered = cache.map_page(engine, page, key)
        headers[CSP] = map_csp(rendered.script_hashes, cache.basemap_origin)
        return FileResponse(rendered.path, media_type=rendered.media_type, headers=headers)


def _figure_route(kind: str, fmt: str) -> None:
    media = "image/png" if fmt == "png" else "application/pdf"

    @router.get(
        f"/figures/{kind}.{fmt}",
        summary=f"A4 figure ({fmt.upper()}): {TITLES[kind]}",
        response_class=Response,
        responses={200: {"content": {media: {}}}, 304: {"description": "unchanged"}},
        name=f"figure_{kind}_{fmt}",
    )
    @access("viewer")
    def figure(
        request: Request,
        engine: EngineDep,
        settings: SettingsDep,
        principal: PrincipalDep,
        query: PageQuery,
    ) -> Response:
        """The map as an A4 figure for printing: legend, scale bar, north arrow, source."""
        page, policy = _page_request(kind, query, engine, settings, principal)
        cache = page_cache(request)
        key = cache.key(engine, page, "figure")
        headers = _headers(f'"{key}-{fmt}"', policy)
        if _not_modified(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        rendered = cache.figure(engine, page, fmt, key)
        name = f"tuquan-{page.province}-{kind}.{fmt}"
        headers["Content-Disposition"] = f'inline; filename="{name}"'
        return FileResponse(rendered.path, media_type=media, headers=headers)


for _kind in MAP_KINDS:
    _map_route(_kind)
for _kind in FIGURE_KINDS:
    for _fmt in FIGURE_FORMATS:
        _figure_route(_kind, _fmt)
