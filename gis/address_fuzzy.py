"""Fuzzy mentions: near spellings (1–2 edits, by length) of unit names, by the hierarchy.

A commune is only looked for among the communes of the provinces the address names (when
it names any), so a typo cannot jump across the country.
"""

from __future__ import annotations

from bisect import bisect_left

from rapidfuzz import process
from rapidfuzz.distance import OSA

from gis.address_words import (
    LEVELS_OF_KIND,
    PART_STRIDE,
    STREET_WORDS_FOLDED,
    Mention,
    type_at,
)
from gis.gazetteer import (
    COMMUNE_LEVELS,
    CURRENT_COMMUNE,
    OLD_COMMUNE,
    OLD_DISTRICT,
    PROVINCE_LEVELS,
)

FUZZY_MAX_WORDS = 5
NEAR_LIMIT = 8  # near keys kept per part


class FuzzyMatching:
    """Base of MentionFinder: the fuzzy pass. Its attributes, set by MentionFinder: ``g``
    (the Gazetteer), ``_choices`` (choice lists by levels and provinces) and
    ``_province_index`` (see `_by_province`); typed in address_fuzzy.pxd."""

    def fuzzy(
        self,
        parts: list[tuple[str, tuple[tuple[str, str], ...]]],
        exact: list[Mention],
        province_codes: set[str],
    ) -> list[Mention]:
        """Near matches (1–2 edits, by length) for parts that no exact mention explains."""
        out = []
        for p, (_, tokens) in enumerate(parts):
            offset = p * PART_STRIDE
            folded = [t[0] for t in tokens]
            n = len(tokens)
            spans = []
            found = type_at(folded, 0) if n else None
            if found:
                kind, width = found
                spans.append((kind, width, n))
            elif n <= FUZZY_MAX_WORDS and folded[0] not in STREET_WORDS_FOLDED:
                spans.append((None, 0, n))
            for i in range(1, n):  # a type word inside the part: the words after it
                inner = type_at(folded, i)
                if inner:
                    end = next((j for j in range(i + inner[1], n) if type_at(folded, j)), n)
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
        return out

    def _near(self, key: str, kind: str | None, provinces: set[str]):
        max_edits = 2 if len(key) >= 9 else 1 if len(key) >= 5 else 0
        if not max_edits:
            return []
        levels = LEVELS_OF_KIND[kind] if kind else (*PROVINCE_LEVELS, OLD_DISTRICT,
                                                     *COMMUNE_LEVELS)  # fmt: skip
        keys, ids, ranks, starts = self._choice_list(
            tuple(sorted(levels)), tuple(sorted(provinces))
        )
        # Only keys within max_edits of this length can be that near (an edit changes the
        # length by one at most): a slice of the list, which is sorted by length.
        top = len(starts) - 1
        lo = starts[min(max(len(key) - max_edits, 0), top)]
        hi = starts[min(len(key) + max_edits + 1, top)]
        matches = process.extract(
            key, keys[lo:hi], scorer=OSA.distance, score_cutoff=max_edits, limit=None
        )
        # The 8 nearest, ties in the order of the unsorted list (as one extract over it).
        best = sorted((d, ranks[lo + i]) for _, d, i in matches)[:NEAR_LIMIT]
        return [(ids[rank], 0.82 if d == 1 else 0.68) for d, rank in best if d > 0]

    def _choice_list(
        self, levels: tuple, provinces: tuple
    ) -> tuple[list[str], list[list[int]], list[int], list[int]]:
        """Keys at these levels, sorted by length, with their place in the list unsorted
        (their rank) and the units of each rank; ``starts[n]``: where keys of length ``n``
        begin. Communes and districts only in these provinces when any are given
        (province names are always candidates)."""
        cached = self._choices.get((levels, provinces))
        if cached:
            return cached
        by_key: dict[str, list[int]] = {}
        index = self._by_province()
        for scope in ("*", *provinces) if provinces else (None,):
            for entry in index.get(scope, ()):
                if entry[2] in levels:
                    found = by_key.get(entry[0])
                    if found is None:
                        by_key[entry[0]] = [entry[1]]
                    else:
                        found.append(entry[1])
        unsorted = list(by_key)
        lengths = [len(key) for key in unsorted]
        ranks = sorted(range(len(unsorted)), key=lengths.__getitem__)  # stable: ties in order
        keys = [unsorted[rank] for rank in ranks]
        longest = lengths[ranks[-1]] if ranks else 0
        starts = [bisect_left(keys, n, key=len) for n in range(longest + 2)]
        result = (keys, list(by_key.values()), ranks, starts)
        if len(self._choices) < 10_000:
            self._choices[(levels, provinces)] = result
        return result

    def _by_province(self) -> dict:
        """(key, unit, level) per current province code; '*' for provinces; None for all."""
        if self._province_index is None:
            g = self.g
            units = g.units
            province_of = {code: units[u].province_code for code, u in g.commune_by_code.items()}
            everywhere = []
            index = {None: everywhere}
            lists_of = [None] * len(units)  # by unit: the lists its entries go to
            for key, uids in g.names.items():
                for u in uids:
                    unit = units[u]
                    entry = (key, u, unit.level)
                    everywhere.append(entry)
                    lists = lists_of[u]
                    if lists is None:
                        lists = [index.setdefault(s, []) for s in _scopes(g, unit, province_of)]
                        lists_of[u] = lists
                    for target in lists:
                        target.append(entry)
            self._province_index = index
        return self._province_index


def _scopes(g, unit, province_of: dict) -> list:
    """Where a unit is looked for: '*' (a province), or its current provinces
    (``province_of``: current commune code → province code)."""
    if unit.level in PROVINCE_LEVELS:
        return ["*"]
    if unit.level == CURRENT_COMMUNE:
        return [unit.province_code]
    if unit.level == OLD_COMMUNE or unit.level == OLD_DISTRICT:
        found = set()
        for x in unit.successors:
            code = province_of.get(x)
            if code is not None:
                found.add(code)
        return list(found)
    return []
