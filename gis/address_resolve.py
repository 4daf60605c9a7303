"""Turn the mentions found in an address into one current commune, or say why not.

Each commune-level mention proposes current communes: itself (a current commune) or, for a
pre-2025 commune, those the crosswalk names. Every proposal is scored on its own evidence
(type word, diacritics, fuzzy distance) and on the rest of the address: a province or an
old district that contains it supports it, one that does not contradicts it. The best
proposal wins only when no other commune comes close; otherwise the answer is ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gis.address_match import Mention
from gis.gazetteer import (
    CURRENT_COMMUNE,
    CURRENT_PROVINCE,
    OLD_COMMUNE,
    OLD_DISTRICT,
    PROVINCE_LEVELS,
    Gazetteer,
    Unit,
)
from gis.gazetteer_sources import COMMUNE_KINDS, DISTRICT_KINDS, PROVINCE_KINDS
from gis.geocode_result import Candidate, GeocodeResult, unmatched

_WORDS = re.compile(r"[\W_]+")

MATCH_FLOOR = 0.5  # below this the best proposal is not an answer
AMBIGUITY_MARGIN = 0.12  # a runner-up within 12 % of the best makes the answer ambiguous
FETCH_HINT = "`tuquan boundaries fetch --province {code}`"
PRUNE_ABOVE = 0.95  # see Resolver.proposals


_PROVINCE_SET = set(PROVINCE_LEVELS)


@dataclass(slots=True)
class _Evidence:
    """What one mention can stand for: provinces, old districts, communes (codes)."""

    provinces: set[str]
    districts: dict[int, tuple[str, ...]]
    communes: dict[int, tuple[str, ...]]
    levels: set[str]
    targets: list[tuple[Unit, Unit]]  # (unit named, current commune it may mean)


@dataclass(slots=True)
class Proposal:
    """One current commune proposed by one mention, with its score."""

    commune: Unit
    via: Unit  # the unit named: the current commune itself, an old commune or district
    mention: Mention
    raw: float  # for ranking (may exceed 1)

    @property
    def score(self) -> float:
        return round(min(1.0, self.raw), 3)


def _accent_factor(mention: Mention, unit: Unit, accented: bool) -> float:
    if not accented or not mention.accent:
        return 1.0
    return 1.0 if mention.accent.replace(" ", "") == unit.accent_compact else 0.8


class Resolver:
    """Scores proposals for one address at a time (the gazetteer is shared)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        self._evidence_memo: dict[tuple, _Evidence] = {}

    def proposals(self, mentions: list[Mention], accented: bool) -> list[Proposal]:
        """Every (current commune, evidence) proposal, best first."""
        evidence = [self._evidence(m, accented) for m in mentions]
        strong = [
            m
            for m, e in zip(mentions, evidence, strict=True)
            if e.provinces and (m.kind in PROVINCE_KINDS or m.whole or m.end - m.start == 1)
        ]
        typed_districts = [m for m in mentions if m.kind in DISTRICT_KINDS and m.kind != "thanhpho"]
        out: list[Proposal] = []
        deferred = []
        hinted = {c for m, e in zip(mentions, evidence, strict=True) if m in strong
                  for c in e.provinces}  # fmt: skip
        for m, e in zip(mentions, evidence, strict=True):
            others = [(n, f) for n, f in zip(mentions, evidence, strict=True) if not n.overlaps(m)]
            prov_strong = any(not n.overlaps(m) for n in strong)
            dist_typed = any(not n.overlaps(m) for n in typed_districts)
            args = (m, e, others, prov_strong, dist_typed, accented)
            for unit, commune in e.targets:
                if prov_strong and commune.province_code not in hinted:
                    deferred.append((commune, unit, args))  # contradicted by the province
                    continue
                out.append(Proposal(commune, unit, m, self._score(unit, commune, *args)))
        # A proposal the written province contradicts scores at most ~0.82: it matters only
        # when nothing else reaches PRUNE_ABOVE.
        if deferred and max((p.raw for p in out), default=0.0) < PRUNE_ABOVE:
            for commune, unit, args in deferred:
                out.append(Proposal(commune, unit, args[0], self._score(unit, commune, *args)))
        out.sort(key=lambda p: -p.raw)
        return out

    def _evidence(self, m: Mention, accented: bool) -> _Evidence:
        key = (m.kind, m.accent, accented, tuple(m.uids))
        found = self._evidence_memo.get(key)
        if found is None:
            found = self._evidence_of(m, accented)
            if len(self._evidence_memo) < 200_000:
                self._evidence_memo[key] = found
        return found

    def _evidence_of(self, m: Mention, accented: bool) -> _Evidence:
        g = self.g
        written = m.accent.replace(" ", "") if accented and m.accent else None
        provinces: set[str] = set()
        districts: dict[int, tuple[str, ...]] = {}
        communes: dict[int, tuple[str, ...]] = {}
        levels = set()
        for uid in m.uids:
            unit = g.units[uid]
            levels.add(unit.level)
            if unit.level == CURRENT_PROVINCE:
                provinces.add(unit.code)
            elif unit.level in PROVINCE_LEVELS:
                provinces.update(unit.successors)
            elif unit.level == OLD_DISTRICT:
                districts[uid] = unit.successors
            elif written is not None and written != unit.accent_compact:
                continue  # diacritics say another commune: no second opinion from it
            elif unit.level == CURRENT_COMMUNE:
                communes[uid] = (unit.code,)
            else:
                communes[uid] = unit.successors
        if m.kind is None and provinces:
            communes = {}  # a bare province name does not also vouch for a commune
        targets = [
            (g.units[uid], g.units[cid])
            for uid in m.uids
            for code in self._targets(g.units[uid], m)
            if (cid := g.commune_by_code.get(code)) is not None
        ]
        return _Evidence(provinces, districts, communes, levels, targets)

    def _targets(self, unit: Unit, m: Mention) -> tuple[str, ...]:
        if unit.level == CURRENT_COMMUNE:
            return (unit.code,)
        if unit.level == OLD_COMMUNE:
            return unit.successors
        if unit.level == OLD_DISTRICT and len(unit.successors) == 1 and m.kind != "thanhpho":
            return unit.successors  # island districts that became one special zone
        return ()

    def _score(self, unit, commune, m, e, others, prov_strong, dist_typed, accented) -> float:
        g = self.g
        kind_factor = 1.0
        if m.kind in COMMUNE_KINDS:
            base = 0.62
            if m.kind != unit.kind:
                # "xã" written for a ward: possible, but weaker; no "thị trấn" exists since 2025.
                kind_factor = 0.7 if unit.level == CURRENT_COMMUNE and m.kind == "thitran" else 0.85
        elif unit.level == OLD_DISTRICT:
            base = 0.55 if m.kind else 0.5
        else:
            base = 0.55
        province, code = commune.province_code, commune.code
        prov_support = district = parent = secondary = False
        # A name read as the province cannot also be the district ("Lào Cai" is both the
        # province and its old capital city) unless another part names the province too.
        supporters = sum(province in f.provinces for _, f in others)
        for _, f in others:
            if province in f.provinces:
                prov_support = True
                if supporters == 1:
                    continue
            for did, successors in f.districts.items():
                if unit.parent == did and unit.level == OLD_COMMUNE:
                    parent = True
                elif code in successors:
                    district = True
            for cid, successors in f.communes.items():
                if cid != unit.uid and code in successors:
                    secondary = True
        prov_conflict = prov_strong and not prov_support
        dist_conflict = dist_typed and not (district or parent)
        # Written bare, a name that is also a province or district most likely means that.
        levels = e.levels if m.kind is None else set()
        also_province = bool(levels & _PROVINCE_SET)
        score = base
        if prov_support:
            score += 0.33
        elif not (prov_conflict or also_province) and g.name_counts.get(unit.key, 0) == 1:
            score += 0.2  # the only commune, old or new, with this name in the country
        score += 0.25 if parent else 0.08 if district else 0.0
        score += 0.2 if secondary else 0.0  # two names in the address agree on the commune
        score += 0.02 if unit.level == CURRENT_COMMUNE else 0.0
        if unit.level == OLD_COMMUNE and not (parent or district):
            score -= 0.12  # an old commune named without its district: weaker than a new one
        score -= 0.35 if prov_conflict else 0.0
        score -= 0.15 if dist_conflict else 0.0
        if not prov_support:
            score -= 0.25 if also_province else 0.1 if OLD_DISTRICT in levels else 0.0
        elif CURRENT_PROVINCE in levels:
            score -= (
                0.2  # "Bình Thuận, Tuyên Quang": the bare current province name is the province
            )
        elif also_province:
            score -= 0.05
        elif OLD_DISTRICT in levels:
            score -= 0.1
        score -= m.loose
        quality = m.quality * kind_factor * _accent_factor(m, unit, accented)
        return max(0.0, score) * quality  # may pass 1: ranks; clipped in the result

    # -- the answer ------------------------------------------------------------------------
    def result(self, text: str, mentions: list[Mention], accented: bool) -> GeocodeResult:
        """The one result for these mentions."""
        proposals = self.proposals(mentions, accented)
        best_by_code: dict[str, Proposal] = {}
        for p in proposals:
            best_by_code.setdefault(p.commune.code, p)
        ranked = list(best_by_code.values())
        if not ranked or ranked[0].raw < MATCH_FLOOR:
            return self._no_commune(text, mentions, ranked)
        best = ranked[0]
        close = [p for p in ranked if p.raw >= best.raw * (1 - AMBIGUITY_MARGIN)]
        if len(close) > 1:
            return self._ambiguous(text, close)
        return self._matched(text, best)

    def _matched(self, text: str, best: Proposal) -> GeocodeResult:
        g, c = self.g, best.commune
        province = g.province(c.province_code)
        if not c.loaded:
            return unmatched(
                text,
                f"{c.full_name} ({province.name if province else c.province_code}) chưa được "
                f"nạp ranh giới / its boundaries are not loaded: run "
                + FETCH_HINT.format(code=c.province_code),
                score=best.score,
            )
        legacy = None
        lon, lat, precision = c.lon, c.lat, "commune"
        if best.via.level in (OLD_COMMUNE, OLD_DISTRICT):
            legacy = g.legacy_label(best.via)
            if best.via.level == OLD_COMMUNE and g.legacy_inside.get(best.via.uid) == c.code:
                lon, lat, precision = best.via.lon, best.via.lat, "legacy_commune"
        return GeocodeResult(
            text=text, status="matched", precision=precision, commune_code=c.code,
            commune_name=c.full_name, province_code=c.province_code,
            province_name=province.full_name if province else None, legacy=legacy,
            lon=lon, lat=lat, score=best.score,
        )  # fmt: skip

    def _ambiguous(self, text: str, close: list[Proposal]) -> GeocodeResult:
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
                + ", ".join(FETCH_HINT.format(code=c) for c in codes),
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

    def _no_commune(self, text: str, mentions: list[Mention], ranked) -> GeocodeResult:
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
