"""The dashboard at / (browsers; JSON clients get the OGC landing page), its forms and files."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api import csrf, errors
from api.audience import PRIVACY_HEADER
from api.charts import FACTOR_COLOURS, component_chart, score_segments, year_chart
from api.deps import EngineDep, SettingsDep
from api.page_text import COMPONENT_SHORT, LANG_COOKIE, pick_language
from api.routes import ogc
from api.security import SESSION_COOKIE, PrincipalDep, access
from api.templating import STATIC_FILES, render, static_file
from gis import auth
from gis.auth import Principal
from gis.dashboard import (
    FACTORS,
    Dashboard,
    check_day,
    choose_province,
    dashboard,
    plan_candidate,
)
from gis.dashboard import visible_provinces as provinces_of
from gis.domain import COMPONENTS, keys
from gis.errors import InputError, NotFound, TuquanError
from gis.privacy import CANDIDATE_COUNT_COLUMNS, Audience, suppress_rows

router = APIRouter(tags=["Dashboard"])

ProvinceParam = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{1,8}$", description="province code (default: the configured one)",
          examples=["37"]),
]  # fmt: skip
AsOfParam = Annotated[date | None, Query(description="coverage as of this day (default today)")]
LangParam = Annotated[Literal["vi", "en"] | None, Query(description="page language")]
# The candidate columns whose values follow from a commune's incident count.
COUNT_COLUMNS = dict.fromkeys(CANDIDATE_COUNT_COLUMNS, "incidents")


def wants_html(request: Request, f: str | None) -> bool:
    """Browsers (Accept: text/html) get the page unless f=json; f=html forces it."""
    if f is not None:
        return f == "html"
    return "text/html" in request.headers.get("accept", "").lower()


def _language(request: Request, lang: str | None) -> str:
    return pick_language(lang, request.cookies.get(LANG_COOKIE))


def _login_page(request: Request, lang: str, status_code: int = 200, error: str | None = None):
    token = csrf.login_token(request)
    response = render(
        request, "login.html", lang, status_code, csrf_token=token, error=error, user=None
    )
    csrf.keep_login_token(request, response, token)
    return response


def _links(province: str, as_of: date | None, lang: str) -> dict[str, str]:
    query = {"province": province, **({"as_of": as_of.isoformat()} if as_of else {})}
    here = urlencode(query)
    return {
        "vi": "/?" + urlencode({**query, "lang": "vi"}),
        "en": "/?" + urlencode({**query, "lang": "en"}),
        "coverage": f"/maps/coverage?{here}",
        "hotspots": f"/maps/hotspots?{urlencode({'province': province})}",
        "planning": f"/maps/planning?{here}",
        **{f"figure_{name}": f"/figures/{name}.pdf?{here}"
           for name in ("coverage", "hotspots", "planning")},
    }  # fmt: skip


def _shown(row: dict) -> tuple[str, ...]:
    """The factors of a candidate's score bar: those not withheld (a hidden one is not 0)."""
    return tuple(f for f in FACTORS if row.get(f"c_{f}") is not None)


def _dashboard_page(
    request: Request,
    principal: Principal,
    data: Dashboard,
    provinces: list,
    lang: str,
    min_count: int,
    *,
    requested_as_of: date | None,
    planned: str | None = None,
    error: TuquanError | None = None,
) -> Response:
    audience = Audience.of(principal, min_count)
    candidates = suppress_rows(data.candidates, COUNT_COLUMNS, audience.min_count)
    index = 0 if lang == "vi" else 1
    totals = data.totals
    components = component_chart(
        [totals.get(f"share_{key}") for key in keys(COMPONENTS)],
        [f"{i}. {short[index]}" for i, short in enumerate(COMPONENT_SHORT, 1)],
        [term.vi if lang == "vi" else term.en for term in COMPONENTS],
    )
    may_plan = principal.at_least("officer")
    context = {
        "user": principal,
        "csrf_token": csrf.form_token(request),
        "provinces": provinces,
        "data": data,
        "totals": totals,
        "as_of_value": requested_as_of.isoformat() if requested_as_of else "",
        "component_chart": components,
        "year_chart": year_chart(data.years, "xã mới" if lang == "vi" else "new communes"),
        "candidates": candidates,
        "segments": {row["code"]: score_segments(row, _shown(row)) for row in candidates},
        "factors": [(f, FACTOR_COLOURS[f]) for f in FACTORS],
        "may_plan": lambda code: may_plan and principal.scope.allows(data.province.code, code),
        "audience": audience,
        "links": _links(data.province.code, requested_as_of, lang),
        "planned_now": planned if planned in data.planned_communes else None,
        "error": error,
    }
    status = errors.status_of(error) if error is not None else 200
    response = render(request, "dashboard.html", lang, status, **context)
    response.headers[PRIVACY_HEADER] = audience.policy
    return response


@router.get(
    "/",
    summary="Dashboard (browsers) or the OGC landing page (JSON clients)",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
@access("public")
def home(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    province: ProvinceParam = None,
    as_of: AsOfParam = None,
    lang: LangParam = None,
    f: Annotated[Literal["json", "html"] | None, Query(description="force the format")] = None,
    planned: Annotated[str | None, Query(pattern=r"^[0-9]{1,8}$", include_in_schema=False)] = None,
) -> Response:
    """The dashboard for browsers: a login form, then the province's coverage, maps and
    candidates. Clients asking for JSON get the OGC API landing page (as /ogc)."""
    if not wants_html(request, f):
        return JSONResponse(ogc.landing(request), headers={"Vary": "Accept"})
    language = _language(request, lang)
    if principal is None:
        return _login_page(request, language)
    try:
        check_day(as_of, "as_of")
        chosen = choose_province(engine, principal.scope, province, settings.default_province)
    except (NotFound, InputError) as exc:
        return render(request, "message.html", language, errors.status_of(exc), user=principal,
                      error=exc, csrf_token=csrf.form_token(request))  # fmt: skip
    data = dashboard(engine, chosen, as_of, scope=principal.scope)
    return _dashboard_page(
        request, principal, data, provinces_of(engine, principal.scope), language,
        settings.min_count, requested_as_of=as_of, planned=planned,
    )  # fmt: skip


@router.post("/login", summary="Log in from the dashboard's form (sets the session cookie)")
@access("public")
def login_form(
    request: Request,
    engine: EngineDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    """Check the password; on success, the session cookie and back to the dashboard."""
    csrf.check_login(request, csrf_token)
    lang = _language(request, None)
    client = request.client.host if request.client else None
    try:
        token, expires = auth.login(engine, username, password, client)
    except auth.TooManyAttempts:
        return _login_page(request, lang, 429, "login_locked")
    except auth.NotAuthenticated:
        return _login_page(request, lang, 401, "login_failed")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", expires=expires,
    )  # fmt: skip
    response.delete_cookie(csrf.LOGIN_COOKIE)
    return response


@router.post("/logout", summary="Log out from the dashboard (revokes the session)")
@access("viewer")
def logout_form(
    request: Request,
    engine: EngineDep,
    csrf_token: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    csrf.check_form(request, csrf_token)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and not csrf.bearer_authenticated(request):
        auth.revoke_token(engine, secret)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/candidates/plan", summary="Mark a replication candidate as planned")
@access("officer")
def plan(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    province: Annotated[str, Form(pattern=r"^[0-9]{1,8}$")],
    commune: Annotated[str, Form(pattern=r"^[0-9]{1,8}$")],
    as_of: Annotated[date | None, Form()] = None,
    csrf_token: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    """Create a planned site in the candidate commune (audited), then back to the table."""
    csrf.check_form(request, csrf_token)
    check_day(as_of, "as_of")
    chosen = choose_province(engine, principal.scope, province, settings.default_province)
    try:
        plan_candidate(engine, principal, chosen, commune, as_of)
    except TuquanError as exc:
        data = dashboard(engine, chosen, as_of, scope=principal.scope)
        return _dashboard_page(
            request, principal, data, provinces_of(engine, principal.scope),
            _language(request, None), settings.min_count, requested_as_of=as_of, error=exc,
        )  # fmt: skip
    query = {"province": chosen.code, **({"as_of": as_of.isoformat()} if as_of else {})}
    query["planned"] = commune
    return RedirectResponse(f"/?{urlencode(query)}#candidates", status_code=303)


def _static_route(name: str, media_type: str) -> None:
    @router.get(f"/static/{name}", include_in_schema=False)
    @access("public")
    def static(request: Request) -> Response:
        data, digest = static_file(name)
        etag = f'"{digest}"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(data, media_type=media_type, headers=headers)


for _name, _media in STATIC_FILES.items():
    _static_route(_name, _media)
