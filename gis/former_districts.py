"""Former (pre-2025) districts over the current communes, for "gaps in the rollout".

Districts were abolished on 1 July 2025, but rollout plans were made district by district.
vietnamadminunits lists every old commune with its district and centroid; each centroid
is placed in a current commune (vectorised point-in-polygon), so a current commune's share
of a former district is the share of that district's old communes that fell inside it.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from gis.commune_index import CommuneIndex
from gis.gazetteer_sources import package_data_dir


def legacy_wards() -> pd.DataFrame:
    """Old communes: ward_code, district_code, district, province, lon, lat."""
    conn = sqlite3.connect(f"file:{package_data_dir() / 'dataset.db'}?mode=ro", uri=True)
    try:
        frame = pd.read_sql_query(
            "SELECT wardCode AS ward_code, districtCode AS district_code, district, "
            "province, wardLon AS lon, wardLat AS lat FROM admin_units_legacy "
            "WHERE wardLat IS NOT NULL AND wardLon IS NOT NULL",
            conn,
        )
    finally:
        conn.close()
    return frame


def former_districts(engine: Engine, province: str | None = None) -> pd.DataFrame:
    """Which former districts each current commune of the area lies in, and how much.

    Columns: code (current commune), district_code, district (name, with its old province),
    wards (old communes of that district inside it), share (of the commune's old communes).
    """
    wards = legacy_wards()
    index = CommuneIndex.from_engine(engine, province)
    found = index.lookup(wards["lon"].to_numpy(), wards["lat"].to_numpy())
    wards = wards[found >= 0].assign(code=index.codes[found[found >= 0]])
    wards["district"] = wards["district"] + " (" + wards["province"] + ")"
    out = wards.groupby(["code", "district_code", "district"]).size().rename("wards").reset_index()
    out["share"] = out["wards"] / out.groupby("code")["wards"].transform("sum")
    return out.sort_values(["code", "share"], ascending=[True, False]).reset_index(drop=True)


def district_gaps(districts: pd.DataFrame, covered_codes: set[str]) -> pd.DataFrame:
    """Per commune: share of its former districts (by old communes) with no covered commune.

    Columns: code, gap_share (0–1), gap_districts (names of its former districts without
    any model). A district has a model when any current commune it reaches is covered.
    """
    reached = districts.assign(covered=districts["code"].isin(covered_codes))
    district_has_model = reached.groupby("district_code")["covered"].any()
    gap = ~reached["district_code"].map(district_has_model).astype(bool)
    reached = reached.assign(gap=gap, gap_weight=np.where(gap, reached["share"], 0.0))
    per = reached.groupby("code").agg(gap_share=("gap_weight", "sum"))
    names = reached[reached["gap"]].groupby("code")["district"].agg(lambda s: sorted(set(s)))
    per["gap_districts"] = names.reindex(per.index)
    per["gap_districts"] = per["gap_districts"].apply(lambda v: v if isinstance(v, list) else [])
    return per.reset_index()
