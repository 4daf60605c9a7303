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

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree
from sqlalchemy.engine import Engine

from gis.auth import Principal, Scope
from gis.incident_filter import IncidentFilter, incident_points

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

# Values that follow from a commune's (or a cell's) incident count and are withheld with it:
# the Gi* statistics (with the neighbours' counts known, z gives the count back), a
# candidate's rate, sentences, count and rate percentiles, hotspot factor and their sum.
HOTSPOT_COUNT_COLUMNS = ("incidents", "z", "p_value", "bin")
CANDIDATE_COUNT_COLUMNS = (
    "incidents", "rate", "explanation_vi", "explanation_en", "z", "score",
    "c_burden_count", "c_burden_rate", "c_hotspot",
)  # fmt: skip


def communes_seen(scope: Scope, province: str) -> tuple[str, ...] | None:
    """The communes whose incident figures ``scope`` may see in ``province``: None when the
    whole province is in scope, else the scope's communes (elsewhere nothing is shown, as
    the collections answer nothing outside a scope)."""
    if scope.unlimited or province in (scope.provinces or ()):
        return None
    return tuple(sorted(scope.communes))


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


def density_support(cells_xy: np.ndarray, points_xy: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Points within the kernel's reach (``bandwidth_m``) of each cell centre (metric x, y):
    the incidents a density cell is made of."""
    cells_xy = np.asarray(cells_xy, dtype=float).reshape(-1, 2)
    points_xy = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    if len(cells_xy) == 0 or len(points_xy) == 0:
        return np.zeros(len(cells_xy), dtype=np.int64)
    found = cKDTree(points_xy).query_ball_point(cells_xy, r=bandwidth_m, return_length=True)
    return np.asarray(found, dtype=np.int64)


def suppress_density(
    engine: Engine,
    frame: pd.DataFrame,
    incidents: IncidentFilter,
    bandwidth_m: float,
    min_count: int | None,
    crs: str = "EPSG:32648",
) -> pd.DataFrame:
    """The cells of a density result made of at least ``min_count`` incidents (a lone
    incident draws a disc around itself: its surface is left out)."""
    if min_count is None or frame.empty:
        return frame
    points = incident_points(engine, incidents)
    x_m, y_m = Transformer.from_crs(4326, crs, always_xy=True).transform(points.lon, points.lat)
    cells = frame[["x_m", "y_m"]].to_numpy(dtype=float)
    support = density_support(cells, np.column_stack([x_m, y_m]), bandwidth_m)
    keep = support >= min_count
    out = frame[keep].reset_index(drop=True)
    out.attrs.update(frame.attrs)
    return out
