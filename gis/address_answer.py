"""The one result for an address, from its ranked proposals: matched, ambiguous or unmatched."""

from __future__ import annotations

from gis.boundary_fetch import fetch_hint
from gis.gazetteer import CURRENT_COMMUNE, CURRENT_PROVINCE, OLD_COMMUNE, OLD_DISTRICT, Gazetteer
from gis.geocode_result import Candidate, GeocodeResult, unmatched


class Answers:
    """Builds results from ranked proposals (gis.address_resolve.Proposal)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        self._labels: dict[int, str] = {}

    def legacy_label(self, uid: int) -> str:
        """The gazetteer's label of a pre-2025 unit, built once per unit."""
        label = self._labels.get(uid)
        if label is None:
            label = self._labels[uid] = self.g.legacy_label(self.g.units[uid])
        return label

    def matched(self, text: str, best) -> GeocodeResult:
        """The best proposal as the answer (unmatched when its boundaries are not loaded)."""
        g, c = self.g, best.commune
        province = g.province(c.province_code)
        if not c.loaded:
            return unmatched(
                text,
                f"{c.full_name} ({province.name if province else c.province_code}) chưa được "
                f"nạp ranh giới / its boundaries are not loaded: run "
                + fetch_hint(c.province_code),
                score=best.score,
            )
        legacy = None
        lon, lat, precision = c.lon, c.lat, "commune"
        via = best.via
        if via.level in (OLD_COMMUNE, OLD_DISTRICT):
            legacy = self.legacy_label(via.uid)
            if via.level == OLD_COMMUNE and g.legacy_inside.get(via.uid) == c.code:
                lon, lat, precision = via.lon, via.lat, "legacy_commune"
        return GeocodeResult(
            text, "matched", precision, c.code, c.full_name, c.province_code,
            province.full_name if province else None, legacy, lon, lat, best.score,
        )  # fmt: skip

    def ambiguous(self, text: str, close: list) -> GeocodeResult:
        """Several communes come close: all loaded ones as candidates, and why."""
        g = self.g
        loaded = [p for p in close if p.commune.loaded]
        missing = [p for p in close if not p.commune.loaded]
        names = "; ".join(
            f"{p.commune.full_name} ({g.province(p.commune.province_code).name})" for p in close[:6]
        )
        split = {p.via.uid for p in close if p.via.level == OLD_COMMUNE}
        if len(split) == 1 and len(close) == len(g.units[next(iter(split))].successors):
            old = g.units[next(iter(split))]
            why = (
                f"{g.legacy_label(old)} đã chia cho nhiều xã mới / the old commune was split "
                f"between several new communes: {names}; name the new commune"
            )
        else:
            why = (
                f"tên khớp nhiều xã / the name matches several communes: {names}; "
                "name the province (and district for old addresses)"
            )
        if not loaded:
            codes = sorted({p.commune.province_code for p in missing})
            return unmatched(
                text,
                why
                + "; none is loaded / chưa nạp ranh giới: run "
                + "; ".join(fetch_hint(c) for c in codes),
                score=close[0].score,
            )
        if missing:
            why += f" ({len(missing)} of them in provinces not loaded)"
        via = {p.via.uid for p in loaded}
        legacy = g.legacy_label(g.units[next(iter(via))]) if len(via) == 1 and (
            loaded[0].via.level != CURRENT_COMMUNE
        ) else None  # fmt: skip
        return GeocodeResult(
            text=text, status="ambiguous", legacy=legacy, score=close[0].score,
            candidates=[
                Candidate(p.commune.code, p.commune.full_name, p.commune.province_code, p.score)
                for p in loaded
            ],
            reason=why,
        )  # fmt: skip

    def no_commune(self, text: str, mentions: list, ranked: list) -> GeocodeResult:
        """No proposal is good enough: the province alone when exactly one is named."""
        g = self.g
        provinces = {
            g.units[u].code if g.units[u].level == CURRENT_PROVINCE else None
            for m in mentions
            for u in m.uids
            if g.units[u].level == CURRENT_PROVINCE and (m.kind or m.whole)
        } - {None}
        if ranked:
            best = ranked[0]
            where = g.province(best.commune.province_code)
            reason = (
                f"không chắc chắn / not confident: the closest commune, "
                f"{best.commune.full_name} ({where.name if where else '?'}), does not fit "
                "the rest of the address"
            )
        else:
            reason = (
                "không nhận ra xã/phường nào / no commune or ward recognised: write it as "
                "'xã/phường …, tỉnh/thành phố …'"
            )
        if len(provinces) == 1:
            code = provinces.pop()
            province = g.province(code)
            return unmatched(
                text, reason, precision="province", province_code=code,
                province_name=province.full_name, lon=province.lon if province.loaded else None,
                lat=province.lat if province.loaded else None,
                score=round(ranked[0].score, 3) if ranked else 0.0,
            )  # fmt: skip
        return unmatched(text, reason, score=round(ranked[0].score, 3) if ranked else 0.0)
