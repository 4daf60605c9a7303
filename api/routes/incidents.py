"""Incidents: one recorded by hand (officers, in scope, audited), and aggregate statistics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.audience import AudienceDep, say_policy
from api.deps import EngineDep
from api.models.incidents import IncidentCreate, IncidentOut, IncidentStatsOut
from api.models.problems import WRITE_ERRORS
from api.places import PlacesDep
from api.security import PrincipalDep, access
from gis import incidents

router = APIRouter(prefix="/incidents", tags=["Incidents"], responses=WRITE_ERRORS)


@router.post("", status_code=201, summary="Record one incident")
@access("officer")
def create_incident(
    body: IncidentCreate, engine: EngineDep, principal: PrincipalDep, places: PlacesDep
) -> IncidentOut:
    """Created, or updated when its source and reference exist (inside your scope)."""
    data = incidents.IncidentInput(**body.model_dump())
    return IncidentOut.model_validate(
        incidents.create_incident(engine, data, places, actor=principal)
    )


@router.get("/stats", summary="Incident counts (aggregates only)")
@access("viewer")
def incident_stats(
    engine: EngineDep,
    audience: AudienceDep,
    response: Response,
    province: Annotated[
        str | None, Query(max_length=20, description="province code", examples=["37"])
    ] = None,
    since: Annotated[dt.date | None, Query(description="first day (local)")] = None,
    until: Annotated[dt.date | None, Query(description="last day (local)")] = None,
    top: Annotated[int, Query(ge=1, le=100, description="communes listed")] = 10,
) -> IncidentStatsOut:
    """Totals by category, year, precision and the top communes, inside your scope; for
    viewers counts below TUQUAN_MIN_COUNT are null (X-Tuquan-Privacy says so)."""
    stats = incidents.incident_stats(engine, province, since, until, top, scope=audience.scope)
    say_policy(response, audience)
    return IncidentStatsOut(privacy=audience.policy, **stats.as_dict(audience.min_count))
