"""Find the unit names an address mentions: exact (folded) matches, then fuzzy ones.

An address is read as parts (split at commas and the like) of word tokens. A *mention* is
a run of tokens whose compact key names units in the gazetteer, with the type word written
in front of it when there is one ("xã", "P.", "huyện", "TP"). Village, street and house
parts ("thôn 3", "số 12 ngõ 5") are skipped unless a type word follows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from gis.gazetteer import (
    COMMUNE_LEVELS,
    CURRENT_COMMUNE,
    OLD_COMMUNE,
    OLD_DISTRICT,
    PROVINCE_LEVELS,
    Gazetteer,
)
from gis.gazetteer_sources import COMMUNE_KINDS

# Type words as folded tokens → the kind they announce.
TWO_WORD_TYPES = {
    ("thanh", "pho"): "thanhpho", ("thi", "xa"): "thixa", ("thi", "tran"): "thitran",
    ("dac", "khu"): "dackhu", ("t", "p"): "thanhpho", ("t", "x"): "thixa", ("t", "t"): "thitran",
}  # fmt: skip
ONE_WORD_TYPES = {
    "tinh": "tinh", "tp": "thanhpho", "thanhpho": "thanhpho", "huyen": "huyen",
    "quan": "quan", "tx": "thixa", "thixa": "thixa", "xa": "xa", "phuong": "phuong",
    "tt": "thitran", "thitran": "thitran", "dackhu": "dackhu", "h": "huyen", "q": "quan",
    "p": "phuong", "f": "phuong", "x": "xa", "t": "tinh",
}  # fmt: skip
GLUED_TYPES = ("thanhpho", "thitran", "dackhu", "phuong", "huyen", "thixa", "tinh", "quan",
               "xa", "tp", "tx", "tt")  # fmt: skip
LEVELS_OF_KIND = {
    **{k: PROVINCE_LEVELS for k in ("tinh",)},
    "thanhpho": (*PROVINCE_LEVELS, OLD_DISTRICT),
    **{k: (OLD_DISTRICT,) for k in ("huyen", "quan", "thixa")},
    **{k: COMMUNE_LEVELS for k in COMMUNE_KINDS},
}
# Words that open a street, village or house part (accented and folded forms).
STREET_WORDS_ACCENTED = frozenset(
    [
        "số",
        "ngõ",
        "ngách",
        "hẻm",
        "kiệt",
        "đường",
        "phố",
        "thôn",
        "xóm",
        "ấp",
        "tổ",
        "khu",
        "khóm",
        "bản",
        "làng",
        "cụm",
        "đội",
        "km",
        "ql",
        "quốc",
        "lộ",
        "tỉnh",
        "lộ",
        "đt",
        "tl",
        "nhà",
        "tòa",
        "lô",
        "phòng",
        "tầng",
        "kdc",
        "kcn",
        "kđt",
        "chung",
        "cư",
        "sn",
        "dốc",
    ]
)
STREET_WORDS_FOLDED = frozenset(
    [
        "so",
        "ngo",
        "ngach",
        "hem",
        "kiet",
        "duong",
        "pho",
        "thon",
        "xom",
        "ap",
        "to",
        "khu",
        "khom",
        "ban",
        "lang",
        "cum",
        "doi",
        "km",
        "ql",
        "quoc",
        "lo",
        "tl",
        "dt",
        "nha",
        "toa",
        "lo",
        "phong",
        "tang",
        "kdc",
        "kcn",
        "kdt",
        "chung",
        "cu",
        "sn",
        "doc",
    ]
)
FUZZY_MAX_WORDS = 5
PART_MEMO_SIZE = 200_000  # distinct address parts remembered (a few hundred bytes each)


@dataclass(slots=True)
class Mention:
    """A run of tokens that names units: [start, end) over the whole address."""

    part: int
    start: int
    end: int
    uids: list[int]
    kind: str | None  # the type word written in front, if any
    quality: float  # 1.0 exact; lower for fuzzy matches
    accent: str  # the words as written (accented key), for the diacritics tie-break
    whole: bool  # the mention is a whole part of the address
    loose: float = 0.0  # penalty: unexplained words right after it, or a type word before it

    def overlaps(self, other: Mention) -> bool:
        return self.start < other.end and other.start < self.end


# With diacritics written, a type word must carry its own: "Phương Bình" is no "phường".
ACCENTED_TYPE_WORDS = frozenset(
    [
        "tỉnh",
        "thành",
        "phố",
        "huyện",
        "quận",
        "thị",
        "xã",
        "phường",
        "trấn",
        "đặc",
        "khu",
        "tp",
        "tx",
        "tt",
        "h",
        "q",
        "p",
        "f",
        "x",
        "t",
    ]
)


def _type_at(folded: list[str], i: int, accents: list[str] | None = None):
    if i + 1 < len(folded) and (folded[i], folded[i + 1]) in TWO_WORD_TYPES:
        found = TWO_WORD_TYPES[(folded[i], folded[i + 1])], 2
    else:
        kind = ONE_WORD_TYPES.get(folded[i])
        found = (kind, 1) if kind else None
    if found and accents is not None:
        for j in range(i, i + found[1]):
            if accents[j] not in ACCENTED_TYPE_WORDS:
                return None
    return found


_GLUED_RE = re.compile(f"^({'|'.join(GLUED_TYPES)})(..+)$")


def _glued_type(token: str) -> tuple[str, str] | None:
    m = _GLUED_RE.match(token)
    return (ONE_WORD_TYPES[m.group(1)], m.group(2)) if m else None


def _mark_loose(mentions, folded, offset, failed_types, streets, accents, accented) -> None:
    """Penalise names with unexplained words right after them ("Xã Bác Ái Đsông") or a
    type word before them whose own name was not found ("Phường Trbờng Long Hòa")."""
    starts = {m.start for m in mentions}
    n = len(folded)
    for m in mentions:
        after = m.end - offset
        if after < n and m.end not in starts:
            word = accents[after] if accented else folded[after]
            if not (_type_at(folded, after) or word in streets):
                m.loose += 0.2
        if m.kind is None and any(
            f < m.start - offset and not any(f < o.start - offset < m.start - offset
                                             for o in mentions)
            for f in failed_types
        ):  # fmt: skip
            m.loose += 0.15


def _allowed(g: Gazetteer, uids: list[int], kind: str | None) -> list[int]:
    if kind is None:
        return uids
    levels = LEVELS_OF_KIND[kind]
    return [u for u in uids if g.units[u].level in levels]


class MentionFinder:
    """Exact and fuzzy mentions of gazetteer names in tokenised addresses."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        self._choices: dict[tuple, tuple[list[str], list[list[int]]]] = {}
        self.accented = False
        self._parts: dict[tuple, list[Mention]] = {}
        self._province_index: dict | None = None

    def exact(self, parts: list[list[tuple[str, str]]], accented: bool) -> list[Mention]:
        """Every exact mention, typed ones first where a type word is written.

        Parts recur across a batch ("Tỉnh Ninh Bình"): each distinct part is read once.
        """
        out, offset = [], 0
        self.accented = accented
        last_part = len(parts) - 1
        for p, tokens in enumerate(parts):
            key = (tuple(tokens), p == last_part, accented)
            found = self._parts.get(key)
            if found is None:
                found = self._part(tokens, p == last_part, accented)
                if len(self._parts) < PART_MEMO_SIZE:
                    self._parts[key] = found
            for m in found:
                out.append(Mention(p, m.start + offset, m.end + offset, m.uids, m.kind,
                                   m.quality, m.accent, m.whole, m.loose))  # fmt: skip
            offset += len(tokens)
        return out

    def _part(self, tokens: list[tuple[str, str]], last: bool, accented: bool) -> list[Mention]:
        """Mentions in one part of an address (positions relative to the part)."""
        g, p, offset = self.g, 0, 0
        folded = [t[0] for t in tokens]
        accents = [t[1] for t in tokens]
        n, i, street = len(tokens), 0, False
        streets = STREET_WORDS_ACCENTED if accented else STREET_WORDS_FOLDED
        out: list[Mention] = []
        failed_types: list[int] = []
        while i < n:
            typed = self._typed_at(folded, accents, i, p, offset)
            if typed:
                out.extend(typed)
                i, street = max(m.end for m in typed) - offset, False
                continue
            if _type_at(folded, i, accents if accented else None) or _glued_type(folded[i]):
                failed_types.append(i)
            if (accents[i] if accented else folded[i]) in streets:
                street = True
                # "Bản Bo", "Phố Bảng": a unit name that starts with a street word.
                key = "".join(folded[i:])
                uids = g.lookup(key) if n - i <= g.max_words else []
                if uids and i == 0:
                    out.append(Mention(p, 0, n, uids, None, 1.0, " ".join(accents), True))
                    break
            if not street:
                for L in range(min(n - i, g.max_words), 0, -1):
                    whole = i == 0 and n == L
                    key = "".join(folded[i : i + L])
                    uids = g.lookup(key, short=whole)
                    if uids and L == 1 and not whole:
                        # One glued word inside a part: only a full multi-word name.
                        uids = [u for u in uids if g.units[u].key == key and " " in g.units[u].name]
                    if uids:
                        accent = " ".join(accents[i : i + L])
                        out.append(Mention(p, i, i + L, uids, None, 1.0, accent, whole))
            i += 1
        _mark_loose(out, folded, offset, failed_types, streets, accents, accented)
        # A province abbreviation at the very end ("… h gia vien nb").
        if last and n > 1 and len(folded[-1]) <= 4:
            uids = [
                u for u in g.short_names.get(folded[-1], []) if g.units[u].level in PROVINCE_LEVELS
            ]
            if uids:
                out.append(Mention(p, n - 1, n, uids, None, 1.0, accents[-1], False))
        # A run of words inside a longer name is not a name of its own ("Tân Sơn" in
        # "Tân Sơn Hòa").
        return [
            m
            for m in out
            if not any(
                o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                for o in out
            )
        ]

    def _typed_at(self, folded, accents, i, p, offset) -> list[Mention]:
        g, n = self.g, len(folded)
        found = _type_at(folded, i, accents if self.accented else None)
        glued = None if found else _glued_type(folded[i])
        if found:
            kind, width = found
            start, head = i + width, ""
        elif glued:
            kind, head = glued
            start = i + 1
            width = 1
        else:
            return []
        first = start if not head else i + 1
        found_names = []
        for L in range(min(n - first, g.max_words), -1 if head else 0, -1):
            key = head + "".join(folded[first : first + L])
            uids = _allowed(g, g.lookup(key, short=True), kind) if key else []
            if uids:
                found_names.append((L, uids))
        if not found_names:
            return []

        def crosses_type(L: int) -> bool:  # "Tân Hòa Thành|Phố …": "Thành Phố" is a type word
            end = first + L
            return bool(L) and end < n and (folded[end - 1], folded[end]) in TWO_WORD_TYPES

        L, uids = next((f for f in found_names if not crosses_type(f[0])), found_names[0])
        accent = accents[i][-len(head) :] if head else ""
        accent = " ".join([accent, *accents[first : first + L]]).strip()
        end = first + L
        mentions = [
            Mention(p, offset + i, offset + end, uids, kind, 1.0, accent, i == 0 and end == n)
        ]
        return mentions

    # -- fuzzy ----------------------------------------------------------------------------
    def fuzzy(
        self,
        parts: list[list[tuple[str, str]]],
        exact: list[Mention],
        province_codes: set[str],
    ) -> list[Mention]:
        """Near matches (1–2 edits, by length) for parts that no exact mention explains."""
        out, offset = [], 0
        for p, tokens in enumerate(parts):
            folded = [t[0] for t in tokens]
            n = len(tokens)
            spans = []
            found = _type_at(folded, 0) if n else None
            if found:
                kind, width = found
                spans.append((kind, width, n))
            elif n <= FUZZY_MAX_WORDS and folded[0] not in STREET_WORDS_FOLDED:
                spans.append((None, 0, n))
            for i in range(1, n):  # a type word inside the part: the words after it
                inner = _type_at(folded, i)
                if inner:
                    end = next((j for j in range(i + inner[1], n) if _type_at(folded, j)), n)
                    spans.append((inner[0], i + inner[1], end))
            for kind, s, e in spans:
                if e - s < 1 or e - s > FUZZY_MAX_WORDS:
                    continue
                a, b = offset + s, offset + e
                if any(m.start <= a and b <= m.end for m in exact):
                    continue  # already explained exactly
                key = "".join(folded[s:e])
                accent = " ".join(t[1] for t in tokens[s:e])
                for uids, quality in self._near(key, kind, province_codes):
                    out.append(Mention(p, offset + s - (1 if kind else 0), b, uids, kind,
                                       quality, accent, s <= 2 and e == n))  # fmt: skip
            offset += n
        return out

    def _near(self, key: str, kind: str | None, provinces: set[str]):
        max_edits = 2 if len(key) >= 9 else 1 if len(key) >= 5 else 0
        if not max_edits:
            return []
        levels = LEVELS_OF_KIND[kind] if kind else (*PROVINCE_LEVELS, OLD_DISTRICT,
                                                     *COMMUNE_LEVELS)  # fmt: skip
        keys, ids = self._choice_list(tuple(sorted(levels)), tuple(sorted(provinces)))
        matches = process.extract(key, keys, scorer=OSA.distance, score_cutoff=max_edits, limit=8)
        return [(ids[i], 0.82 if d == 1 else 0.68) for _, d, i in matches if d > 0]

    def _choice_list(self, levels: tuple, provinces: tuple) -> tuple[list[str], list[list[int]]]:
        """Keys (and their units) at these levels; communes and districts only in these
        provinces when any are given (province names are always candidates)."""
        cached = self._choices.get((levels, provinces))
        if cached:
            return cached
        by_key: dict[str, list[int]] = {}
        for scope in ("*", *provinces) if provinces else (None,):
            for key, uid, level in self._by_province().get(scope, ()):
                if level in levels:
                    by_key.setdefault(key, []).append(uid)
        result = (list(by_key), list(by_key.values()))
        if len(self._choices) < 10_000:
            self._choices[(levels, provinces)] = result
        return result

    def _by_province(self) -> dict:
        """(key, unit, level) per current province code; '*' for provinces; None for all."""
        if self._province_index is None:
            g = self.g
            index: dict = {None: []}
            for key, uids in g.names.items():
                for u in uids:
                    unit = g.units[u]
                    entry = (key, u, unit.level)
                    index[None].append(entry)
                    if unit.level in PROVINCE_LEVELS:
                        index.setdefault("*", []).append(entry)
                    elif unit.level == CURRENT_COMMUNE:
                        index.setdefault(unit.province_code, []).append(entry)
                    elif unit.level in (OLD_COMMUNE, OLD_DISTRICT):
                        for code in {
                            g.units[c].province_code
                            for c in (g.commune_by_code.get(x) for x in unit.successors)
                            if c is not None
                        }:
                            index.setdefault(code, []).append(entry)
            self._province_index = index
        return self._province_index
