"""Who an output is for (scope, small-count suppression), and suppressing small counts.

Planners (viewers) get aggregates only, with counts below a threshold suppressed (shown as
missing) so that one or two incidents in a commune cannot be traced to people; officers
and admins see the numbers. Zero stays visible: it describes no one, and a map where every
quiet commune reads "hidden" would tell a planner nothing (the usual rule of statistical
disclosure control suppresses the small non-zero cells). Every output says which policy
applied (`Audience.policy`). The same functions serve the API, the maps and the dashboard:
frames, rows and SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from gis.auth import Principal, Scope

DEFAULT_MIN_COUNT = 3
NO_SUPPRESSION = "none"


@dataclass(frozen=True)
class Audience:
    """Who a response is for: where they may look and whether small counts are hidden."""

    scope: Scope = field(default_factory=Scope)
    min_count: int | None = None  # counts below this are suppressed; None: shown as they are
    may_see_points: bool = True  # sensitive collections (incident points)

    @classmethod
    def of(cls, principal: Principal | None, min_count: int = DEFAULT_MIN_COUNT) -> Audience:
        """The audience of a caller: officers and admins see counts and points in their
        scope; viewers (and anyone else) get suppressed aggregates only."""
        if principal is not None and principal.may_see_points:
            return cls(principal.scope, None, True)
        scope = principal.scope if principal is not None else Scope()
        return cls(scope, max(1, int(min_count)), False)

    @property
    def suppresses(self) -> bool:
        return self.min_count is not None

    @property
    def policy(self) -> str:
        """The privacy policy as said in responses: 'suppressed<3' or 'none'."""
        return f"suppressed<{self.min_count}" if self.suppresses else NO_SUPPRESSION


EVERYONE = Audience()  # the CLI and trusted callers: every record, every count


def is_small(count: object, min_count: int) -> bool:
    """Whether ``count`` is a count to suppress: 1 … min_count-1 (zero and missing stay)."""
    if count is None or (isinstance(count, float) and count != count):
        return False
    return 0 < count < min_count


def suppress_frame(
    frame: pd.DataFrame, columns: Mapping[str, str], min_count: int | None
) -> pd.DataFrame:
    """A copy of ``frame`` where each column of ``columns`` (column → the count column that
    decides) is missing on rows whose count is below ``min_count``."""
    if min_count is None or frame.empty:
        return frame
    out = frame.copy()
    small = {
        c: (out[c].astype("Float64") > 0) & (out[c].astype("Float64") < min_count)
        for c in set(columns.values())
    }
    for column, count in columns.items():
        if column in out:
            mask = small[count].fillna(False).to_numpy(dtype=bool)
            out[column] = out[column].astype(object).where(~mask, None)
    return out


def suppress_rows(
    rows: Iterable[dict], columns: Mapping[str, str], min_count: int | None
) -> list[dict]:
    """Rows (dicts) with the same rule as `suppress_frame` (counts decided per row)."""
    rows = list(rows)
    if min_count is None:
        return rows
    out = []
    for row in rows:  # rows of one page: a few hundred at most
        small = {c for c in set(columns.values()) if is_small(row.get(c), min_count)}
        out.append({k: (None if columns.get(k) in small else v) for k, v in row.items()})
    return out


def suppress_counts(counts: Mapping, min_count: int | None) -> dict:
    """A mapping of key → count with the small counts replaced by None."""
    if min_count is None:
        return dict(counts)
    return {k: (None if is_small(v, min_count) else v) for k, v in counts.items()}


def suppressed_sql(value_sql: str, count_sql: str) -> str:
    """SQL that yields ``value_sql`` unless ``count_sql`` is a small count (0 < n < :min_count)."""
    return (
        f"CASE WHEN ({count_sql}) > 0 AND ({count_sql}) < :min_count "
        f"THEN NULL ELSE ({value_sql}) END"
    )
