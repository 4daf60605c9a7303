"""Pre-2025 commune names of a province, as search aliases of the current communes.

People still look for "Ninh Hải" (merged into a new commune on 1 July 2025). The official
old → new crosswalk comes from the `vietnamadminunits` package (MIT). When the gazetteer
(gis/gazetteer.py) offers the same aliases, this module should defer to it.
"""

from __future__ import annotations

import functools

import pandas as pd

FormerName = tuple[str, str]  # (old commune name, old district full name)


@functools.cache
def _tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from vietnamadminunits.converter import converter_2025 as crosswalk
    from vietnamadminunits.database.main import get_data

    current = pd.DataFrame(
        get_data(["provinceCode", "provinceKey", "wardKey", "wardCode"], "admin_units")
    )
    legacy = pd.DataFrame(
        get_data(
            ["provinceKey", "districtKey", "wardKey", "wardShort", "district"], "admin_units_legacy"
        )
    )
    legacy["old_key"] = legacy.provinceKey + "_" + legacy.districtKey + "_" + legacy.wardKey
    # new ward key → old keys (old communes merged whole), and old key → new wards (split ones)
    pairs = [
        (province, new_ward, old_key)
        for province, wards in crosswalk.DICT_PROVINCE_WARD_NO_DIVIDED.items()
        for new_ward, old_keys in wards.items()
        for old_key in old_keys
    ] + [
        (province, part["newWardKey"], old_key)
        for province, olds in crosswalk.DICT_PROVINCE_WARD_DIVIDED.items()
        for old_key, parts in olds.items()
        for part in parts
    ]
    links = pd.DataFrame(pairs, columns=["provinceKey", "wardKey", "old_key"])
    return current, legacy, links


def former_names(province_code: str) -> dict[str, list[FormerName]]:
    """Current commune code → its pre-2025 communes (name, district), for one province."""
    current, legacy, links = _tables()
    wards = current.loc[
        current.provinceCode == province_code, ["provinceKey", "wardKey", "wardCode"]
    ]
    merged = wards.merge(links, on=["provinceKey", "wardKey"]).merge(
        legacy[["old_key", "wardShort", "district"]], on="old_key"
    )
    merged = merged.drop_duplicates(["wardCode", "old_key"]).sort_values(["wardCode", "wardShort"])
    return {
        code: list(zip(group.wardShort, group.district, strict=True))
        for code, group in merged.groupby("wardCode", sort=True)
    }
