"""Pre-2025 commune names of a province, as search aliases of the current communes.

People still look for "Ninh Hải" (merged into a new commune on 1 July 2025). The names and
the official old → new crosswalk are the gazetteer's (gis.gazetteer_sources, read from the
`vietnamadminunits` package once per process), so the map search and the geocoder agree.
"""

from __future__ import annotations

import functools

import pandas as pd

from gis.gazetteer_sources import read_sources

FormerName = tuple[str, str]  # (old commune name, old district full name)


@functools.cache
def _links() -> pd.DataFrame:
    """One row per (current commune code, old commune): province_code, code, name, district."""
    sources = read_sources()
    districts = {s.key: s.full_name for s in sources if s.level == "OD"}
    province_of = {s.code: s.province_code for s in sources if s.level == "NC"}
    rows = [
        (province_of.get(code), code, s.key, s.name, s.full_name, districts.get(s.parent_key, ""))
        for s in sources
        if s.level == "OC"
        for code in s.successors
    ]
    columns = ["province_code", "code", "old_key", "name", "full_name", "district"]
    frame = pd.DataFrame(rows, columns=columns).drop_duplicates(["code", "old_key"])
    # "Phường 7" shortened to "7", or a town and a commune both called "Yên Viên" in one
    # district: the short name alone would be no help in a search list.
    unclear = frame["name"].str.isdigit() | frame.duplicated(
        ["code", "district", "name"], keep=False
    )
    frame["name"] = frame["name"].where(~unclear, frame["full_name"])
    return frame.sort_values(["code", "name", "old_key"])


def former_names(province_code: str) -> dict[str, list[FormerName]]:
    """Current commune code → its pre-2025 communes (name, district), for one province."""
    links = _links()
    rows = links[links["province_code"] == province_code]
    return {
        code: list(zip(group["name"], group["district"], strict=True))
        for code, group in rows.groupby("code", sort=True)
    }
