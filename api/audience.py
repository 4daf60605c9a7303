"""The caller as an audience of data (scope, privacy policy), and saying which policy applied."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from api.security import current_principal
from gis.privacy import Audience

PRIVACY_HEADER = "X-Tuquan-Privacy"


def get_audience(request: Request) -> Audience:
    """Scope and small-count policy of the authenticated caller (see gis.privacy)."""
    return Audience.of(current_principal(request), request.app.state.settings.min_count)


AudienceDep = Annotated[Audience, Depends(get_audience)]


def privacy_headers(audience: Audience) -> dict[str, str]:
    """Headers of a data response: the privacy policy, and no shared caching of it (the
    answer depends on who asks)."""
    return {PRIVACY_HEADER: audience.policy, "Vary": "Authorization, Cookie"}


def say_policy(response: Response, audience: Audience) -> None:
    """Add the privacy headers to a response FastAPI will build from a return value."""
    response.headers.update(privacy_headers(audience))
