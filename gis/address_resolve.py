"""Turn the mentions found in an address into one current commune, or say why not.

Each commune-level mention proposes current communes: itself (a current commune) or, for a
pre-2025 commune, those the crosswalk names. Every proposal is scored on its own evidence
(type word, diacritics, fuzzy distance) and on the rest of the address: a province or an
old district that contains it supports it, one that does not contradicts it. The best
proposal wins only when no other commune comes close; otherwise the answer is ambiguous.

What a mention can stand for, and the parts of a proposal's score that depend on the
mention alone, are worked out once per distinct mention (gis.address_evidence); per address
only the agreement between mentions is scored, with set and dict look-ups.
"""

from __future__ import annotations

from gis.address_answer import Answers
from gis.address_evidence import Evidence, EvidenceReader, Target
from gis.address_words import Mention
from gis.gazetteer import Gazetteer, Unit
from gis.geocode_result import GeocodeResult

__all__ = ["Proposal", "Resolver"]

MATCH_FLOOR = 0.5  # below this the best proposal is not an answer
AMBIGUITY_MARGIN = 0.12  # a runner-up within 12 % of the best makes the answer ambiguous
PRUNE_ABOVE = 0.95  # see Resolver.proposals


class Proposal:
    """One current commune proposed by one mention, with its score."""

    # Slots when run as Python; compiled, the fields of the .pxd.
    __slots__ = ("commune", "mention", "raw", "via")

    def __init__(self, commune: Unit, via: Unit, mention: Mention, raw: float) -> None:
        self.commune = commune
        self.via = via  # the unit named: the current commune itself, an old commune or district
        self.mention = mention
        self.raw = raw  # for ranking (may exceed 1)

    @property
    def score(self) -> float:
        return round(min(1.0, self.raw), 3)


class Resolver:
    """Scores proposals for one address at a time (the gazetteer is shared)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        self.answers = Answers(gazetteer)
        self.evidence = EvidenceReader(gazetteer)

    def forget(self) -> None:
        """Drop the evidence worked out so far (at the end of a batch)."""
        self.evidence.forget()

    def proposals(self, mentions: list[Mention], accented: bool) -> list[Proposal]:
        """Every (current commune, evidence) proposal, best first."""
        reader = self.evidence
        return _proposals(mentions, [m.evidence or reader.reading(m, accented) for m in mentions])

    # -- the answer ------------------------------------------------------------------------
    def result(self, text: str, mentions: list[Mention], accented: bool) -> GeocodeResult:
        """The one result for these mentions."""
        proposals = self.proposals(mentions, accented)
        best_by_code: dict[str, Proposal] = {}
        for p in proposals:
            best_by_code.setdefault(p.commune.code, p)
        ranked = list(best_by_code.values())
        if not ranked or ranked[0].raw < MATCH_FLOOR:
            if ranked and len({(m.start, m.end) for m in mentions}) == 1:
                # One name and nothing else: no "rest of the address" to blame.
                if _all_exact(mentions):
                    return self.answers.one_name(text, mentions, ranked, accented)
                return self.answers.no_commune(text, mentions, ranked, loose=True)
            return self.answers.no_commune(text, mentions, ranked)
        best = ranked[0]
        close = [p for p in ranked if p.raw >= best.raw * (1 - AMBIGUITY_MARGIN)]
        if len(close) > 1:
            return self.answers.ambiguous(text, close)
        return self.answers.matched(text, best)


def _proposals(mentions: list[Mention], readings: list[tuple]) -> list[Proposal]:
    """`Resolver.proposals` of mentions read as ``readings`` (EvidenceReader.reading)."""
    hinted: set[str] = set()
    for e, is_strong, _ in readings:
        if is_strong:
            hinted |= e.provinces
    only = next(iter(hinted)) if len(hinted) == 1 else None
    out: list[Proposal] = []
    deferred = []
    best = 0.0
    count = len(mentions)
    # By index over both lists, no tuples in between: the pairwise loop is the hot path.
    for i in range(count):
        m = mentions[i]
        e = readings[i][0]
        if not e.targets:
            continue
        support: dict[str, int] = {}  # province code → other parts that name it
        context = []  # other parts that name old districts or communes
        prov_strong = dist_typed = False
        for j in range(count):
            n = mentions[j]
            if n.start < m.end and m.start < n.end:
                continue  # overlaps m (m itself included)
            f, is_strong, typed_district = readings[j]
            if f.provinces:
                for code in f.provinces:
                    support[code] = support.get(code, 0) + 1
            if f.districts or f.communes:
                context.append(f)
            if is_strong:
                prov_strong = True
            if typed_district:
                dist_typed = True
        if prov_strong:
            # Targets outside the written province wait (see below), in their order.
            if only is not None:
                chosen = e.by_province.get(only, ())
            else:
                chosen = [t for t in e.targets if t.province in hinted]
            if len(chosen) < len(e.targets):
                deferred.append((m, e, support, context, dist_typed))
        else:
            chosen = e.targets
        for target in chosen:
            raw = _score(target, m, e, support, context, prov_strong, dist_typed)
            out.append(Proposal(target.commune, target.unit, m, raw))
            if raw > best:
                best = raw
    # A proposal the written province contradicts scores at most ~0.82: it matters only
    # when nothing else reaches PRUNE_ABOVE.
    if deferred and best < PRUNE_ABOVE:
        for m, e, support, context, dist_typed in deferred:
            for target in e.targets:
                if target.province not in hinted:
                    raw = _score(target, m, e, support, context, True, dist_typed)
                    out.append(Proposal(target.commune, target.unit, m, raw))
    out.sort(key=_by_raw)
    return out


def _all_exact(mentions: list[Mention]) -> bool:
    # A loop, not all(generator): a generator is a closure, which a cpdef cannot hold.
    for m in mentions:  # noqa: SIM110
        if m.quality < 1.0:
            return False
    return True


def _by_raw(p: Proposal) -> float:
    return -p.raw


def _score(target: Target, m: Mention, e: Evidence, support: dict[str, int],
           context: list[Evidence], prov_strong: bool, dist_typed: bool) -> float:  # fmt: skip
    """A proposal's score: its own evidence and how the rest of the address agrees."""
    province, code = target.province, target.code
    is_old_commune = target.is_old_commune
    supporters = support.get(province, 0)
    parent = district = secondary = False
    for f in context:
        # A name read as the province cannot also be the district ("Lào Cai" is both the
        # province and its old capital city) unless another part names the province too.
        if supporters == 1 and province in f.provinces:
            continue
        if f.districts:
            if is_old_commune and target.parent in f.districts:
                parent = True
            held = f.held(code)
            if held and (not is_old_commune or len(held) > 1 or target.parent not in held):
                district = True
        if f.communes:
            naming = f.naming(code)
            if naming and (len(naming) > 1 or target.uid not in naming):
                secondary = True  # two names in the address agree on the commune
    prov_support = supporters > 0
    prov_conflict = prov_strong and not prov_support
    dist_conflict = dist_typed and not (district or parent)
    score = target.base
    if prov_support:
        score += 0.33
    elif not (prov_conflict or e.also_province) and target.unique:
        score += 0.2  # the only commune, old or new, with this name in the country
    score += 0.25 if parent else 0.08 if district else 0.0
    score += 0.2 if secondary else 0.0
    score += 0.02 if target.is_current else 0.0
    if is_old_commune and not (parent or district):
        score -= 0.12  # an old commune named without its district: weaker than a new one
    score -= 0.35 if prov_conflict else 0.0
    score -= 0.15 if dist_conflict else 0.0
    score -= e.supported_penalty if prov_support else e.unsupported_penalty
    score -= m.loose
    quality = m.quality * target.kind_factor * target.accent_factor
    return max(0.0, score) * quality  # may pass 1: ranks; clipped in the result
