"""Rows an uploader may write: those placed inside their scope (the others are rejected)."""

from __future__ import annotations

import pandas as pd

from gis.auth import Scope

OUTSIDE = (
    "ngoài phạm vi được giao / outside your scope: commune {commune} of province {province}; "
    "only the provinces or communes assigned to you can be imported"
)


def keep_in_scope(
    staged: pd.DataFrame, scope: Scope | None, column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The staged rows inside ``scope``, and a problem (in ``column``) for each other row."""
    if scope is None or scope.unlimited or staged.empty:
        return staged, pd.DataFrame()
    inside = staged["province_code"].isin(scope.provinces) | staged["commune_code"].isin(
        scope.communes
    )
    outside = staged[~inside]
    problems = pd.DataFrame(
        {
            "row": outside["row_number"],
            "column": column,
            "value": outside["commune_code"],
            "message": [
                OUTSIDE.format(commune=c, province=p)
                for c, p in zip(outside["commune_code"], outside["province_code"], strict=True)
            ],
            "severity": "error",
        }
    )
    return staged[inside], problems
