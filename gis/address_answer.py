"""The one result for an address, from its ranked proposals: matched, ambiguous or unmatched."""

from __future__ import annotations

from gis.boundary_fetch import fetch_hint
from gis.gazetteer import (
    CURRENT_COMMUNE,
    CURRENT_PROVINCE,
    OLD_COMMUNE,
    OLD_DISTRICT,
    OLD_PROVINCE,
    Gazetteer,
    Unit,
)
from gis.geocode_result import Candidate, GeocodeResult, unmatched

# A commune of a former district named alone ranks below a commune of that very name.
DISTRICT_SHARE = 0.8
SHOWN_READINGS = 6


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
                why + "; none is loaded / chưa nạp ranh giới: run " + fetch_hint(*codes),
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

    def no_commune(
        self,
        text: str,
        mentions: list,
        ranked: list,
        reason: str | None = None,
        loose: bool = False,
    ) -> GeocodeResult:
        """No proposal is good enough: the province alone when exactly one is named."""
        g = self.g
        provinces = {
            g.units[u].code if g.units[u].level == CURRENT_PROVINCE else None
            for m in mentions
            for u in m.uids
            if g.units[u].level == CURRENT_PROVINCE and (m.kind or m.whole)
        } - {None}
        if reason is None and ranked:
            best = ranked[0]
            where = g.province(best.commune.province_code)
            closest = f"{best.commune.full_name} ({where.name if where else '?'})"
            if loose:  # one name only, and only a loose (fuzzy) match for it
                reason = (
                    f"không chắc chắn / not confident: the only name written is a loose match "
                    f"for the closest commune, {closest}; check the spelling and write the "
                    "type (xã/phường) and the province"
                )
            else:
                reason = (
                    f"không chắc chắn / not confident: the closest commune, {closest}, does not "
                    "fit the rest of the address"
                )
        elif reason is None:
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

    def one_name(self, text: str, mentions: list, ranked: list, accented: bool) -> GeocodeResult:
        """The address is one name and nothing else (``ranked`` is weak): what the name can
        stand for, as ``ambiguous`` when it names several units, else why it is too weak."""
        g = self.g
        m = mentions[0]
        written = m.accent.replace(" ", "") if accented and m.accent else None
        units = {g.units[u] for n in mentions for u in n.uids}
        if written is not None and any(u.accent_compact == written for u in units):
            units = {u for u in units if u.accent_compact == written}
        order = {CURRENT_PROVINCE: 0, CURRENT_COMMUNE: 1, OLD_COMMUNE: 2, OLD_DISTRICT: 3}
        units = sorted(units, key=lambda u: (order.get(u.level, 4), u.uid))
        readings = [self._reading(u) for u in units]
        uids = {u.uid for u in units}
        best = ranked[0]
        scores: dict[str, float] = {}
        communes: dict[str, Unit] = {}
        for p in ranked:
            if p.via.uid in uids and p.commune.code not in scores:
                scores[p.commune.code] = p.score
                communes[p.commune.code] = p.commune
        for u in units:
            if u.level == OLD_DISTRICT:
                for code in u.successors:
                    unit = g.commune(code)
                    if unit is not None and code not in scores:
                        scores[code] = round(best.score * DISTRICT_SHARE, 3)
                        communes[code] = unit
        shown = "; ".join(readings[:SHOWN_READINGS])
        if len(readings) > SHOWN_READINGS:
            shown += f"; and {len(readings) - SHOWN_READINGS} more"
        written_as = m.accent or units[0].name
        example = f"'xã/phường {units[0].name}, tỉnh …'"
        if len(readings) > 1:
            why = (
                f"'{written_as}' là tên duy nhất, khớp nhiều đơn vị / is the only name in the "
                f"address and fits {len(readings)} units: {shown}; write the type (xã/phường) "
                f"and the province, e.g. {example}"
            )
        else:
            why = (
                f"'{written_as}' là tên duy nhất / is the only name in the address: {shown}; a "
                f"bare name without its type or province is too weak to answer: write e.g. "
                f"{example}"
            )
        if any(u.level == CURRENT_PROVINCE for u in units):
            # A province named alone: the province is the answer's place (see no_commune).
            why = (
                f"'{written_as}' là tên duy nhất / is the only name in the address and names "
                f"a province, not a commune (it fits {len(readings)} units: {shown}); write "
                f"the commune too, e.g. 'xã/phường …, {units[0].full_name}'"
            )
            return self.no_commune(text, mentions, ranked, reason=why)
        loaded = [c for c in communes.values() if c.loaded]
        if not loaded:
            codes = sorted({c.province_code for c in communes.values()})
            if codes:
                why += "; none of its communes is loaded / chưa nạp ranh giới: run " + (
                    fetch_hint(*codes)
                )
            return unmatched(text, why, score=best.score)
        if len(readings) == 1:
            return unmatched(text, why, score=best.score)
        loaded.sort(key=lambda c: -scores[c.code])
        return GeocodeResult(
            text=text, status="ambiguous", score=best.score, reason=why,
            candidates=[
                Candidate(c.code, c.full_name, c.province_code, scores[c.code]) for c in loaded
            ],
        )  # fmt: skip

    def _reading(self, unit: Unit) -> str:
        """One reading of a bare name: a current unit with its province, or a former one."""
        g = self.g
        if unit.level == CURRENT_COMMUNE:
            province = g.province(unit.province_code)
            return f"{unit.full_name} ({province.name if province else unit.province_code})"
        if unit.level == CURRENT_PROVINCE:
            return unit.full_name
        now = ", ".join(
            sorted({g.province(c).name for c in self._provinces_of(unit) if g.province(c)})
        )
        now = f", now {now}" if now else ""
        return f"{self.legacy_label(unit.uid)} (trước 2025 / before 2025{now})"

    def _provinces_of(self, unit: Unit) -> set[str]:
        """Current provinces a pre-2025 unit went to."""
        g = self.g
        if unit.level == OLD_PROVINCE:
            return set(unit.successors)
        return {c.province_code for c in map(g.commune, unit.successors) if c is not None}
