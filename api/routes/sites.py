"""Sites of the model: create, read (with history), change, move to another status, delete.

Officers and admins, inside their scope (a site outside it does not exist for them); each
write is one transaction with its audit log entry naming the caller and their token.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import EngineDep
from api.models.problems import WRITE_ERRORS
from api.models.sites import SiteCreate, SiteOut, SitePatch, StatusChange
from api.places import PlacesDep
from api.security import PrincipalDep, access
from gis import sites

router = APIRouter(prefix="/sites", tags=["Sites"], responses=WRITE_ERRORS)


@router.post("", status_code=201, summary="Create a site")
@access("officer")
def create_site(
    body: SiteCreate, engine: EngineDep, principal: PrincipalDep, places: PlacesDep
) -> SiteOut:
    """A new site placed by its coordinates or its address (geocoded), with its first status."""
    data = sites.SiteInput(**body.model_dump())
    stored = sites.create_site(engine, data, principal.username, places, actor=principal)
    return SiteOut.model_validate(stored)


@router.get("/{site_id}", summary="One site with its status history")
@access("officer")
def get_site(site_id: int, engine: EngineDep, principal: PrincipalDep) -> SiteOut:
    return SiteOut.model_validate(sites.get_site(engine, site_id, actor=principal))


@router.patch("/{site_id}", summary="Change a site's fields")
@access("officer")
def update_site(
    site_id: int, body: SitePatch, engine: EngineDep, principal: PrincipalDep, places: PlacesDep
) -> SiteOut:
    """Only the fields sent change; a new address or coordinates place the site again."""
    changes = body.model_dump(exclude_unset=True)
    sites.update_site(engine, site_id, changes, principal.username, places, actor=principal)
    return SiteOut.model_validate(sites.get_site(engine, site_id, actor=principal))


@router.post("/{site_id}/status", summary="Move a site to another status on a date")
@access("officer")
def change_status(
    site_id: int, body: StatusChange, engine: EngineDep, principal: PrincipalDep
) -> SiteOut:
    """The history keeps every dated change; a date before the last change is refused."""
    changed = sites.change_status(
        engine, site_id, body.status, body.changed_on, principal.username, body.note,
        actor=principal,
    )  # fmt: skip
    return SiteOut.model_validate(changed)


@router.delete("/{site_id}", status_code=204, summary="Delete a site and its history")
@access("officer")
def delete_site(site_id: int, engine: EngineDep, principal: PrincipalDep) -> Response:
    """The site as it was stays in the audit log."""
    sites.delete_site(engine, site_id, principal.username, actor=principal)
    return Response(status_code=204)
