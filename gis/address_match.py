"""Find the unit names an address mentions: exact (folded) matches, then fuzzy ones.

An address is read as parts (split at commas and the like) of word tokens. A *mention* is
a run of tokens whose compact key names units in the gazetteer, with the type word written
in front of it when there is one ("xã", "P.", "huyện", "TP"). Village, street and house
parts ("thôn 3", "số 12 ngõ 5") are skipped unless a type word follows them.
"""

from __future__ import annotations

from gis.address_fuzzy import FuzzyMatching
from gis.address_words import (
    STREET_WORDS_ACCENTED,
    STREET_WORDS_FOLDED,
    TWO_WORD_TYPES,
    Mention,
    allowed,
    glued_type,
    mark_loose,
    type_at,
)
from gis.gazetteer import PROVINCE_LEVELS, Gazetteer

PART_MEMO_SIZE = 200_000  # distinct address parts remembered (a few hundred bytes each)


class MentionFinder(FuzzyMatching):
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
            if type_at(folded, i, accents if accented else None) or glued_type(folded[i]):
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
        mark_loose(out, folded, offset, failed_types, streets, accents, accented)
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
        found = type_at(folded, i, accents if self.accented else None)
        glued = None if found else glued_type(folded[i])
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
            uids = allowed(g, g.lookup(key, short=True), kind) if key else []
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
