"""What each mention of an address can stand for, worked out once per distinct mention.

A mention names units (gis.address_match); its *evidence* is what those units say: the
current provinces, the old districts and the communes they name (for scoring the other
mentions of the address), and the current communes it proposes (*targets*), each with the
parts of its score that depend on this mention alone (type word, diacritics, a name
unique in the country). The resolver (gis.address_resolve) scores the targets against the
rest of the address.
"""

from __future__ import annotations

from gis.address_words import Mention
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

EVIDENCE_MEMO_SIZE = 200_000

_PROVINCE_SET = frozenset(PROVINCE_LEVELS)
_TYPED_DISTRICT_KINDS = frozenset(k for k in DISTRICT_KINDS if k != "thanhpho")


class Target:
    """A current commune a mention proposes, with the parts of its score that depend on the
    mention alone, and what the scoring of the address reads of the unit named."""

    # Slots when run as Python; compiled, the fields of the .pxd.
    __slots__ = (
        "accent_factor", "base", "code", "commune", "is_current", "is_old_commune",
        "kind_factor", "parent", "province", "uid", "unique", "unit"
    )  # fmt: skip

    def __init__(
        self, unit: Unit, commune: Unit, base: float, kind_factor: float,
        accent_factor: float, unique: bool,
    ) -> None:  # fmt: skip
        self.unit = unit  # the unit named: the current commune, an old commune or district
        self.commune = commune  # the current commune it may mean
        self.base = base
        self.kind_factor = kind_factor  # the type word written
        self.accent_factor = accent_factor  # the diacritics written
        self.unique = unique  # the only commune in the country with this name
        # Read through the typed fields (address_evidence.pxd): C fields when compiled.
        self.province = self.commune.province_code
        self.code = self.commune.code
        self.uid = self.unit.uid
        self.parent = self.unit.parent
        self.is_old_commune = self.unit.level == OLD_COMMUNE
        self.is_current = self.unit.level == CURRENT_COMMUNE


class Evidence:
    """What one mention can stand for, indexed for the scoring of other mentions."""

    # Slots when run as Python; compiled, the fields of the .pxd.
    __slots__ = (
        "also_province", "by_province", "commune_of", "communes", "district_of", "districts",
        "provinces", "supported_penalty", "targets", "unsupported_penalty"
    )  # fmt: skip

    def __init__(
        self,
        provinces: frozenset[str],  # current province codes it names
        districts: dict[int, tuple[str, ...]],  # old district id → its current communes
        communes: dict[int, tuple[str, ...]],  # unit id → the current communes it names
        targets: list[Target],
        by_province: dict[str, list[Target]],  # the targets in each current province
        also_province: bool,  # written bare, the name is also a province
        unsupported_penalty: float,  # when no other part names the commune's province
        supported_penalty: float,  # when one does
    ) -> None:
        self.provinces = provinces
        self.districts = districts
        self.communes = communes
        self.targets = targets
        self.by_province = by_province
        self.also_province = also_province
        self.unsupported_penalty = unsupported_penalty
        self.supported_penalty = supported_penalty
        self.district_of = None  # code → old districts it was in, when first asked
        self.commune_of = None  # code → units that name it, when first asked

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


class EvidenceReader:
    """Evidence of mentions, remembered for one batch (the gazetteer is shared)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        # The current communes each unit may mean (by code through the crosswalk), once.
        by_code, units = gazetteer.commune_by_code, gazetteer.units
        self._communes_of = [
            tuple(units[by_code[c]] for c in _target_codes(u, None) if c in by_code) for u in units
        ]
        self.forget()

    def forget(self) -> None:
        """Drop the evidence worked out so far (at the end of a batch)."""
        self._memo: dict[tuple, Evidence] = {}

    def reading(self, m: Mention, accented: bool) -> tuple[Evidence, bool, bool]:
        """(evidence, names the province strongly, a typed district), kept on the mention:
        the same mention always reads the same (see MentionFinder)."""
        # Without diacritics in the address, how the name was written changes nothing.
        key = (m.kind, m.accent if accented else None, accented, tuple(m.uids))
        e = self._memo.get(key)
        if e is None:
            e = self._evidence_of(m, accented)
            if len(self._memo) < EVIDENCE_MEMO_SIZE:
                self._memo[key] = e
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
                target = Target(unit, commune, base, kind_factor, accent_factor, unique)
                targets.append(target)
                by_province.setdefault(target.province, []).append(target)
        return targets, by_province


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
