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
    district_of: dict[str, frozenset[int]]  # current commune code → old districts it was in
    commune_of: dict[str, frozenset[int]]  # current commune code → units that name it
    targets: list[Target]
    also_province: bool  # written bare, the name is also a province
    unsupported_penalty: float  # when no other part names the commune's province
    supported_penalty: float  # when one does


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
        self.forget()

    def forget(self) -> None:
        """Drop the evidence worked out so far (at the end of a batch)."""
        self._evidence_memo: dict[tuple, Evidence] = {}

    def proposals(self, mentions: list[Mention], accented: bool) -> list[Proposal]:
        """Every (current commune, evidence) proposal, best first."""
        evidence = [
            m.evidence if m.evidence is not None else self._evidence(m, accented) for m in mentions
        ]
        strong = [
            bool(e.provinces) and (m.kind in PROVINCE_KINDS or m.whole or m.end - m.start == 1)
            for m, e in zip(mentions, evidence, strict=True)
        ]
        hinted: set[str] = set()
        for e, is_strong in zip(evidence, strong, strict=True):
            if is_strong:
                hinted |= e.provinces
        out: list[Proposal] = []
        deferred = []
        for m, e in zip(mentions, evidence, strict=True):
            if not e.targets:
                continue
            start, end = m.start, m.end
            others, prov_strong, dist_typed = [], False, False
            for n, f, is_strong in zip(mentions, evidence, strong, strict=True):
                if n.start < end and start < n.end:
                    continue  # overlaps m (m itself included)
                others.append(f)
                prov_strong = prov_strong or is_strong
                dist_typed = dist_typed or n.kind in _TYPED_DISTRICT_KINDS
            for target in e.targets:
                if prov_strong and target[1].province_code not in hinted:
                    deferred.append(
                        (target, m, e, others, dist_typed)
                    )  # contradicted by the province
                    continue
                raw = _score(target, m, e, others, prov_strong, dist_typed)
                out.append(Proposal(target[1], target[0], m, raw))
        # A proposal the written province contradicts scores at most ~0.82: it matters only
        # when nothing else reaches PRUNE_ABOVE.
        if deferred and max((p.raw for p in out), default=0.0) < PRUNE_ABOVE:
            for target, m, e, others, dist_typed in deferred:
                raw = _score(target, m, e, others, True, dist_typed)
                out.append(Proposal(target[1], target[0], m, raw))
        out.sort(key=lambda p: -p.raw)
        return out

    def _evidence(self, m: Mention, accented: bool) -> Evidence:
        key = (m.kind, m.accent, accented, tuple(m.uids))
        found = self._evidence_memo.get(key)
        if found is None:
            found = self._evidence_of(m, accented)
            if len(self._evidence_memo) < EVIDENCE_MEMO_SIZE:
                self._evidence_memo[key] = found
        m.evidence = found  # the same mention always means the same (see MentionFinder)
        return found

    def _evidence_of(self, m: Mention, accented: bool) -> Evidence:
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
        # Written bare, a name that is also a province or district most likely means that.
        bare_levels = levels if m.kind is None else set()
        also_province = bool(bare_levels & _PROVINCE_SET)
        has_district = OLD_DISTRICT in bare_levels
        if CURRENT_PROVINCE in bare_levels:
            supported = 0.2  # "Bình Thuận, Tuyên Quang": the bare current province name
        else:
            supported = 0.05 if also_province else 0.1 if has_district else 0.0
        targets = [
            self._target(g.units[uid], g.units[cid], m, accented)
            for uid in m.uids
            for code in _targets(g.units[uid], m)
            if (cid := g.commune_by_code.get(code)) is not None
        ]
        return Evidence(
            frozenset(provinces), districts, _inverse(districts), _inverse(communes), targets,
            also_province, 0.25 if also_province else 0.1 if has_district else 0.0, supported,
        )  # fmt: skip

    def _target(self, unit: Unit, commune: Unit, m: Mention, accented: bool) -> Target:
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
        accent_factor = 1.0
        if accented and m.accent:
            accent_factor = 1.0 if m.accent.replace(" ", "") == unit.accent_compact else 0.8
        unique = self.g.name_counts.get(unit.key, 0) == 1
        return (unit, commune, base, kind_factor, accent_factor, unique)

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


def _score(target: Target, m: Mention, e: Evidence, others: list[Evidence],
           prov_strong: bool, dist_typed: bool) -> float:  # fmt: skip
    """A proposal's score: its own evidence and how the rest of the address agrees."""
    unit, commune, base, kind_factor, accent_factor, unique = target
    province, code = commune.province_code, commune.code
    is_old_commune = unit.level == OLD_COMMUNE
    supporters = 0
    for f in others:
        if province in f.provinces:
            supporters += 1
    parent = district = secondary = False
    for f in others:
        # A name read as the province cannot also be the district ("Lào Cai" is both the
        # province and its old capital city) unless another part names the province too.
        if supporters == 1 and province in f.provinces:
            continue
        if f.districts:
            if is_old_commune and unit.parent in f.districts:
                parent = True
            held = f.district_of.get(code)
            if held and (not is_old_commune or len(held) > 1 or unit.parent not in held):
                district = True
        if f.commune_of:
            naming = f.commune_of.get(code)
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


def _targets(unit: Unit, m: Mention) -> tuple[str, ...]:
    if unit.level == CURRENT_COMMUNE:
        return (unit.code,)
    if unit.level == OLD_COMMUNE:
        return unit.successors
    if unit.level == OLD_DISTRICT and len(unit.successors) == 1 and m.kind != "thanhpho":
        return unit.successors  # island districts that became one special zone
    return ()


def _inverse(named: dict[int, tuple[str, ...]]) -> dict[str, frozenset[int]]:
    """Current commune code → the units whose codes include it."""
    out: dict[str, set[int]] = {}
    for uid, codes in named.items():
        for code in codes:
            out.setdefault(code, set()).add(uid)
    return {code: frozenset(uids) for code, uids in out.items()}
