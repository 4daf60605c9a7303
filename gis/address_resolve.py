"""Turn the mentions found in an address into one current commune, or say why not.

Each commune-level mention proposes current communes: itself (a current commune) or, for a
pre-2025 commune, those the crosswalk names. Every proposal is scored on its own evidence
(type word, diacritics, fuzzy distance) and on the rest of the address: a province or an
old district that contains it supports it, one that does not contradicts it. The best
proposal wins only when no other commune comes close; otherwise the answer is ambiguous.

What a mention can stand for, and the parts of a proposal's score that depend on the
mention alone, are worked out once per distinct mention (`Evidence`); per address only the
agreement between mentions is scored, with set and dict look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.address_answer import FETCH_HINT, Answers
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
from gis.geocode_result import GeocodeResult

__all__ = ["FETCH_HINT", "Proposal", "Resolver"]

MATCH_FLOOR = 0.5  # below this the best proposal is not an answer
AMBIGUITY_MARGIN = 0.12  # a runner-up within 12 % of the best makes the answer ambiguous
PRUNE_ABOVE = 0.95  # see Resolver.proposals
EVIDENCE_MEMO_SIZE = 200_000

_PROVINCE_SET = frozenset(PROVINCE_LEVELS)
_TYPED_DISTRICT_KINDS = frozenset(k for k in DISTRICT_KINDS if k != "thanhpho")

# (unit named, current commune it may mean, base score, type-word factor, diacritics
# factor, the only commune in the country with this name)
Target = tuple[Unit, Unit, float, float, float, bool]


@dataclass(slots=True)
class Evidence:
    """What one mention can stand for, indexed for the scoring of other mentions."""

    provinces: frozenset[str]  # current province codes it names
    districts: dict[int, tuple[str, ...]]  # old district id → its current communes
    communes: dict[int, tuple[str, ...]]  # unit id → the current communes it names
    targets: list[Target]
    by_province: dict[str, list[Target]]  # the targets in each current province
    also_province: bool  # written bare, the name is also a province
    unsupported_penalty: float  # when no other part names the commune's province
    supported_penalty: float  # when one does
    district_of: dict[str, frozenset[int]] | None = None  # code → old districts it was in
    commune_of: dict[str, frozenset[int]] | None = None  # code → units that name it

    def held(self, code: str) -> frozenset[int] | None:
        """The old districts (ids) that held this current commune."""
        if self.district_of is None:
            self.district_of = _inverse(self.districts)
        return self.district_of.get(code)

    def naming(self, code: str) -> frozenset[int] | None:
        """The units (ids) that name this current commune."""
        if self.commune_of is None:
            self.commune_of = _inverse(self.communes)
        return self.commune_of.get(code)


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


class Resolver:
    """Scores proposals for one address at a time (the gazetteer is shared)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        self.answers = Answers(gazetteer)
        # The current communes each unit may mean (by code through the crosswalk), once.
        by_code, units = gazetteer.commune_by_code, gazetteer.units
        self._communes_of = [
            tuple(units[by_code[c]] for c in _target_codes(u, None) if c in by_code) for u in units
        ]
        self.forget()

    def forget(self) -> None:
        """Drop the evidence worked out so far (at the end of a batch)."""
        self._evidence_memo: dict[tuple, Evidence] = {}

    def proposals(self, mentions: list[Mention], accented: bool) -> list[Proposal]:
        """Every (current commune, evidence) proposal, best first."""
        readings = [m.evidence or self._reading(m, accented) for m in mentions]
        hinted: set[str] = set()
        for e, is_strong, _ in readings:
            if is_strong:
                hinted |= e.provinces
        only = next(iter(hinted)) if len(hinted) == 1 else None
        out: list[Proposal] = []
        deferred = []
        best = 0.0
        for m, (e, _, _) in zip(mentions, readings, strict=True):
            if not e.targets:
                continue
            start, end = m.start, m.end
            support: dict[str, int] = {}  # province code → other parts that name it
            context = []  # other parts that name old districts or communes
            prov_strong = dist_typed = False
            for n, (f, is_strong, typed_district) in zip(mentions, readings, strict=True):
                if n.start < end and start < n.end:
                    continue  # overlaps m (m itself included)
                for code in f.provinces:
                    support[code] = support.get(code, 0) + 1
                if f.districts or f.communes:
                    context.append(f)
                prov_strong = prov_strong or is_strong
                dist_typed = dist_typed or typed_district
            if prov_strong:
                # Targets outside the written province wait (see below), in their order.
                if only is not None:
                    chosen = e.by_province.get(only, ())
                else:
                    chosen = [t for t in e.targets if t[1].province_code in hinted]
                if len(chosen) < len(e.targets):
                    deferred.append((m, e, support, context, dist_typed))
            else:
                chosen = e.targets
            for target in chosen:
                raw = _score(target, m, e, support, context, prov_strong, dist_typed)
                out.append(Proposal(target[1], target[0], m, raw))
                if raw > best:
                    best = raw
        # A proposal the written province contradicts scores at most ~0.82: it matters only
        # when nothing else reaches PRUNE_ABOVE.
        if deferred and best < PRUNE_ABOVE:
            for m, e, support, context, dist_typed in deferred:
                for target in e.targets:
                    if target[1].province_code not in hinted:
                        raw = _score(target, m, e, support, context, True, dist_typed)
                        out.append(Proposal(target[1], target[0], m, raw))
        out.sort(key=lambda p: -p.raw)
        return out

    def _reading(self, m: Mention, accented: bool) -> tuple[Evidence, bool, bool]:
        """(evidence, names the province strongly, a typed district), kept on the mention:
        the same mention always reads the same (see MentionFinder)."""
        # Without diacritics in the address, how the name was written changes nothing.
        key = (m.kind, m.accent if accented else None, accented, tuple(m.uids))
        e = self._evidence_memo.get(key)
        if e is None:
            e = self._evidence_of(m, accented)
            if len(self._evidence_memo) < EVIDENCE_MEMO_SIZE:
                self._evidence_memo[key] = e
        strong = bool(e.provinces) and (m.kind in PROVINCE_KINDS or m.whole or m.end - m.start == 1)
        m.evidence = (e, strong, m.kind in _TYPED_DISTRICT_KINDS)
        return m.evidence

    def _evidence_of(self, m: Mention, accented: bool) -> Evidence:
        g = self.g
        units = g.units
        written = m.accent.replace(" ", "") if accented and m.accent else None
        provinces: set[str] = set()
        districts: dict[int, tuple[str, ...]] = {}
        communes: dict[int, tuple[str, ...]] = {}
        levels = set()
        for uid in m.uids:
            unit = units[uid]
            level = unit.level
            levels.add(level)
            if level == CURRENT_PROVINCE:
                provinces.add(unit.code)
            elif level in PROVINCE_LEVELS:
                provinces.update(unit.successors)
            elif level == OLD_DISTRICT:
                districts[uid] = unit.successors
            elif written is not None and written != unit.accent_compact:
                continue  # diacritics say another commune: no second opinion from it
            elif level == CURRENT_COMMUNE:
                communes[uid] = (unit.code,)
            else:
                communes[uid] = unit.successors
        if m.kind is None and provinces:
            communes = {}  # a bare province name does not also vouch for a commune
        # Written bare, a name that is also a province or district most likely means that.
        bare_levels = levels if m.kind is None else set()
        also_province = bool(bare_levels & _PROVINCE_SET)
        has_district = OLD_DISTRICT in bare_levels
        if CURRENT_PROVINCE in bare_levels:
            supported = 0.2  # "Bình Thuận, Tuyên Quang": the bare current province name
        else:
            supported = 0.05 if also_province else 0.1 if has_district else 0.0
        targets, by_province = self._targets(m, written)
        return Evidence(
            frozenset(provinces), districts, communes, targets, by_province, also_province,
            0.25 if also_province else 0.1 if has_district else 0.0, supported,
        )  # fmt: skip

    def _targets(self, m: Mention, written: str | None) -> tuple[list, dict]:
        """The (unit, current commune) pairs a mention proposes, with their own factors."""
        units, name_counts, communes_of = self.g.units, self.g.name_counts, self._communes_of
        kind = m.kind
        targets: list[Target] = []
        by_province: dict[str, list[Target]] = {}
        for uid in m.uids:
            communes = communes_of[uid]
            if not communes:
                continue
            unit = units[uid]
            if kind == "thanhpho" and unit.level == OLD_DISTRICT:
                continue  # written "thành phố": not the one commune the district became
            kind_factor = 1.0
            if kind in COMMUNE_KINDS:
                base = 0.62
                if kind != unit.kind:
                    # "xã" written for a ward: possible, but weaker; no "thị trấn" since 2025.
                    kind_factor = (
                        0.7 if unit.level == CURRENT_COMMUNE and kind == "thitran" else 0.85
                    )
            elif unit.level == OLD_DISTRICT:
                base = 0.55 if kind else 0.5
            else:
                base = 0.55
            accent_factor = 1.0 if written is None or written == unit.accent_compact else 0.8
            unique = name_counts.get(unit.key, 0) == 1
            for commune in communes:
                target = (unit, commune, base, kind_factor, accent_factor, unique)
                targets.append(target)
                by_province.setdefault(commune.province_code, []).append(target)
        return targets, by_province

    # -- the answer ------------------------------------------------------------------------
    def result(self, text: str, mentions: list[Mention], accented: bool) -> GeocodeResult:
        """The one result for these mentions."""
        proposals = self.proposals(mentions, accented)
        best_by_code: dict[str, Proposal] = {}
        for p in proposals:
            best_by_code.setdefault(p.commune.code, p)
        ranked = list(best_by_code.values())
        if not ranked or ranked[0].raw < MATCH_FLOOR:
            return self.answers.no_commune(text, mentions, ranked)
        best = ranked[0]
        close = [p for p in ranked if p.raw >= best.raw * (1 - AMBIGUITY_MARGIN)]
        if len(close) > 1:
            return self.answers.ambiguous(text, close)
        return self.answers.matched(text, best)


def _score(target: Target, m: Mention, e: Evidence, support: dict[str, int],
           context: list[Evidence], prov_strong: bool, dist_typed: bool) -> float:  # fmt: skip
    """A proposal's score: its own evidence and how the rest of the address agrees."""
    unit, commune, base, kind_factor, accent_factor, unique = target
    province, code = commune.province_code, commune.code
    is_old_commune = unit.level == OLD_COMMUNE
    supporters = support.get(province, 0)
    parent = district = secondary = False
    for f in context:
        # A name read as the province cannot also be the district ("Lào Cai" is both the
        # province and its old capital city) unless another part names the province too.
        if supporters == 1 and province in f.provinces:
            continue
        if f.districts:
            if is_old_commune and unit.parent in f.districts:
                parent = True
            held = f.held(code)
            if held and (not is_old_commune or len(held) > 1 or unit.parent not in held):
                district = True
        if f.communes:
            naming = f.naming(code)
            if naming and (len(naming) > 1 or unit.uid not in naming):
                secondary = True  # two names in the address agree on the commune
    prov_support = supporters > 0
    prov_conflict = prov_strong and not prov_support
    dist_conflict = dist_typed and not (district or parent)
    score = base
    if prov_support:
        score += 0.33
    elif not (prov_conflict or e.also_province) and unique:
        score += 0.2  # the only commune, old or new, with this name in the country
    score += 0.25 if parent else 0.08 if district else 0.0
    score += 0.2 if secondary else 0.0
    score += 0.02 if unit.level == CURRENT_COMMUNE else 0.0
    if is_old_commune and not (parent or district):
        score -= 0.12  # an old commune named without its district: weaker than a new one
    score -= 0.35 if prov_conflict else 0.0
    score -= 0.15 if dist_conflict else 0.0
    score -= e.supported_penalty if prov_support else e.unsupported_penalty
    score -= m.loose
    quality = m.quality * kind_factor * accent_factor
    return max(0.0, score) * quality  # may pass 1: ranks; clipped in the result


def _target_codes(unit: Unit, kind: str | None) -> tuple[str, ...]:
    if unit.level == CURRENT_COMMUNE:
        return (unit.code,)
    if unit.level == OLD_COMMUNE:
        return unit.successors
    if unit.level == OLD_DISTRICT and len(unit.successors) == 1 and kind != "thanhpho":
        return unit.successors  # island districts that became one special zone
    return ()


def _inverse(named: dict[int, tuple[str, ...]]) -> dict[str, frozenset[int]]:
    """Current commune code → the units whose codes include it."""
    out: dict[str, set[int]] = {}
    for uid, codes in named.items():
        for code in codes:
            out.setdefault(code, set()).add(uid)
    return {code: frozenset(uids) for code, uids in out.items()}
