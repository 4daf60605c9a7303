"""Who may write which record (scope), and naming the writer in the audit log.

A write by a `Principal` is limited to their scope: a record placed outside it is refused
(422, it is the caller's own input), and an existing record outside it is answered as
missing (404: existence is not confirmed). Writes by a plain name (the CLI) are unlimited.
"""

from __future__ import annotations

import getpass

from gis.auth import Principal, Scope
from gis.errors import InputError, NotFound


class OutsideScope(InputError):
    """A record would be placed outside the writer's provinces or communes."""


def scope_of(actor: Principal | str | None) -> Scope:
    """The scope a write is limited to: the principal's, or everywhere for the CLI."""
    return actor.scope if isinstance(actor, Principal) else Scope()


def writer(by: str | None, actor: Principal | str | None) -> Principal | str:
    """Who the audit log names: the principal (with their token), the given name, or the
    operating-system user of a command-line call ('cli:<user>')."""
    if actor is not None:
        return actor
    return by or f"cli:{getpass.getuser()}"


def check_placed(actor: Principal | str | None, row: dict, what: str) -> None:
    """Refuse a record whose (new) place lies outside the writer's scope."""
    province, commune = row.get("province_code"), row.get("commune_code")
    if not scope_of(actor).allows(province, commune):
        raise OutsideScope(
            f"{what} lies in commune {commune} of province {province}, outside your scope",
            "give a place inside the provinces or communes assigned to you, or ask an admin",
        )


def check_visible(actor: Principal | str | None, row: dict, missing: NotFound) -> None:
    """Answer a record outside the writer's scope exactly as a missing one."""
    if not scope_of(actor).allows(row.get("province_code"), row.get("commune_code")):
        raise missing
