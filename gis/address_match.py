"""Find the unit names an address mentions: exact (folded) matches, then fuzzy ones.

An address is read as parts (split at commas and the like) of word tokens. A *mention* is
a run of tokens whose compact key names units in the gazetteer, with the type word written
in front of it when there is one ("xã", "P.", "huyện", "TP"). Village, street and house
parts ("thôn 3", "số 12 ngõ 5") are skipped unless a type word follows them.
"""

from __future__ import annotations

from gis.address_fuzzy import FuzzyMatching
from gis.address_words import (
    LEVELS_OF_KIND,
    PART_STRIDE,
    STREET_WORDS_ACCENTED,
    STREET_WORDS_FOLDED,
    TWO_WORD_TYPES,
    Mention,
    all_numbers,
    glued_type,
    has_marks,
    mark_loose,
    outermost,
    said_of,
    type_at,
)
from gis.gazetteer import PROVINCE_LEVELS, Gazetteer
from gis.normalise import split_parts, word_tokens

PART_MEMO_SIZE = 200_000  # distinct address parts remembered (a few hundred bytes each)

Tokens = tuple[tuple[str, str], ...]  # (folded, accented) word tokens of one part


class MentionFinder(FuzzyMatching):
    """Exact and fuzzy mentions of gazetteer names in tokenised addresses.

    Parts recur across a batch ("Tỉnh Ninh Bình"): each distinct part is tokenised once and
    read once at each place it takes in an address; its mentions are shared, not copied.
    What a batch read is forgotten after it (`forget`); the fuzzy choice lists, built from
    the gazetteer alone, are kept.
    """

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        self._choices: dict[tuple, tuple] = {}  # gis.address_fuzzy's choice lists
        self._province_index: dict | None = None
        self._by_province()  # built with the gazetteer, not in the first batch
        self._typed = _typed_names(gazetteer)
        self.forget()

    def forget(self) -> None:
        """Drop the parts, words and mentions read so far (at the end of a batch)."""
        self._tokens: dict[str, tuple[Tokens, bool]] = {}
        self._words: dict[str, tuple[Tokens, bool]] = {}  # word → tokens, has diacritics
        self._glued: dict[str, tuple[str, str] | None] = {}  # word → glued_type(word)
        # (part, place, last, accented) → its mentions, and what they say (`said_of`)
        self._parts: dict[tuple, tuple[list[Mention], tuple]] = {}
        self._read: dict[tuple, list[Mention]] = {}  # (tokens, last, accented), at place 0

    def parts(self, clean: str) -> tuple[list[tuple[str, Tokens]], bool]:
        """The non-empty parts of an address (text through `nfc`) with their tokens, and
        whether the address carries diacritics anywhere (then they can break ties)."""
        out, accented = [], False
        for part in split_parts(clean):
            found = self._tokens.get(part)
            if found is None:
                found = self._tokenise(part)
            if found[0]:
                out.append((part, found[0]))
                accented = accented or found[1]
        return out, accented

    def _tokenise(self, part: str) -> tuple[Tokens, bool]:
        words = self._words
        tokens: list[tuple[str, str]] = []
        accented = False
        for word in part.split():
            found = words.get(word)
            if found is None:
                read = word_tokens(word)
                found = (read, has_marks(read))
                if len(words) < PART_MEMO_SIZE:
                    words[word] = found
            tokens.extend(found[0])
            accented = accented or found[1]
        result = (tuple(tokens), accented)
        if len(self._tokens) < PART_MEMO_SIZE:
            self._tokens[part] = result
        return result

    def exact(self, parts: list[tuple[str, Tokens]], accented: bool) -> tuple[list[Mention], tuple]:
        """Every exact mention, typed ones first where a type word is written, and a key
        of what they say (all a resolver reads of them): two addresses with the same key
        name the same units in the same way ("thôn 3, Xã Ninh Hải, …" and "thôn 5, xã
        Ninh Hải, …", when the village parts name no unit)."""
        out: list[Mention] = []
        named: list[tuple] = []  # what each part with mentions says, in order
        last = len(parts) - 1
        memo = self._parts
        for p, (part, tokens) in enumerate(parts):
            key = (part, p, p == last, accented)
            found = memo.get(key)
            if found is None:
                # A part with letters is read with diacritics only when it has some itself:
                # "số 12 ngõ 5, Xa Xop, Tinh Quang Ngai" (a house part typed with them, the
                # units without) still reads "Xa" as "xã", and its names break no ties. A
                # part of numbers ("8, 10, Hồ Chí Minh") follows the address.
                own = accented and (has_marks(tokens) or all_numbers(tokens))
                mentions = self._placed(tokens, p, p == last, own, accented and not own)
                found = (mentions, said_of(mentions))
                if len(memo) < PART_MEMO_SIZE:
                    memo[key] = found
            if found[0]:
                out.extend(found[0])
                named.append(found[1])
        return out, (accented, tuple(named))

    def _placed(
        self, tokens: Tokens, p: int, last: bool, accented: bool, unaccented: bool
    ) -> list[Mention]:
        """The mentions of a part at place ``p``: read once per distinct tokens, moved.
        ``unaccented``: the part has no diacritics in an address that has some (its
        mentions carry no written accents, so that they break no ties)."""
        key = (tokens, last, accented, unaccented)
        found = self._read.get(key)
        if found is None:
            found = self._part(tokens, 0, last, accented)
            if unaccented:
                found = [
                    Mention(0, m.start, m.end, m.uids, m.kind, m.quality, "", m.whole, m.loose)
                    for m in found
                ]
            if len(self._read) < PART_MEMO_SIZE:
                self._read[key] = found
        if p == 0:
            return found
        offset = p * PART_STRIDE
        return [
            Mention(p, m.start + offset, m.end + offset, m.uids, m.kind, m.quality, m.accent,
                    m.whole, m.loose)
            for m in found
        ]  # fmt: skip

    def _part(self, tokens: Tokens, p: int, last: bool, accented: bool) -> list[Mention]:
        """Mentions in part ``p`` of an address (positions from p * PART_STRIDE)."""
        g, offset = self.g, p * PART_STRIDE
        names, short_names, max_words = g.names, g.short_names, g.max_words
        glued_of = self._glued
        folded = [t[0] for t in tokens]
        accents = [t[1] for t in tokens]
        words = accents if accented else folded
        check = accents if accented else None
        n, i, street = len(tokens), 0, False
        streets = STREET_WORDS_ACCENTED if accented else STREET_WORDS_FOLDED
        out: list[Mention] = []
        failed_types: list[int] = []
        while i < n:
            found = type_at(folded, i, check)
            glued = None
            if not found:
                glued = glued_of.get(folded[i], False)
                if glued is False:
                    glued = glued_of[folded[i]] = glued_type(folded[i])
            if found or glued:
                typed = self._typed_at(folded, accents, i, p, offset, found, glued)
                if typed is not None:
                    out.append(typed)
                    if not accented and found:
                        # Without diacritics "xa dung" is "xã Dung" or the commune "Xa
                        # Dung": both are read, the rest of the address decides.
                        end = typed.end - offset
                        uids = names.get("".join(folded[i:end]))
                        if uids:
                            accent, whole = " ".join(accents[i:end]), i == 0 and end == n
                            out.append(
                                Mention(p, offset + i, offset + end, uids, None, 1.0, accent, whole)
                            )
                    i, street = typed.end - offset, False
                    continue
                failed_types.append(i)
            if words[i] in streets:
                street = True
                # "Bản Bo", "Phố Bảng": a unit name that starts with a street word.
                uids = names.get("".join(folded)) if i == 0 and n <= max_words else None
                if uids:
                    out.append(
                        Mention(p, offset, offset + n, uids, None, 1.0, " ".join(accents), True)
                    )
                    break
            if not street:
                keys, key = [], ""  # keys[L - 1]: the L words from i, glued
                for word in folded[i : i + max_words]:
                    key += word
                    keys.append(key)
                for L in range(len(keys), 0, -1):
                    key = keys[L - 1]
                    whole = i == 0 and n == L
                    uids = names.get(key)
                    if uids is None and whole:
                        uids = short_names.get(key)
                    if uids and L == 1 and not whole:
                        # One glued word inside a part: only a full multi-word name.
                        uids = [u for u in uids if g.units[u].key == key and " " in g.units[u].name]
                    if uids:
                        accent = " ".join(accents[i : i + L])
                        out.append(
                            Mention(p, offset + i, offset + i + L, uids, None, 1.0, accent, whole)
                        )
            i += 1
        mark_loose(out, folded, offset, failed_types, streets, accents, accented)
        # A province abbreviation at the very end ("… h gia vien nb").
        if last and n > 1 and len(folded[-1]) <= 4:
            uids = [
                u for u in g.short_names.get(folded[-1], []) if g.units[u].level in PROVINCE_LEVELS
            ]
            if uids:
                out.append(
                    Mention(p, offset + n - 1, offset + n, uids, None, 1.0, accents[-1], False)
                )
        return outermost(out)

    def _typed_at(self, folded, accents, i, p, offset, found, glued) -> Mention | None:
        """The name after the type word at ``i`` (``found`` by type_at, or ``glued`` to it)."""
        g, n = self.g, len(folded)
        if found:
            kind, width = found
            first, head = i + width, ""
        else:
            kind, head = glued
            first = i + 1
        table = self._typed[LEVELS_OF_KIND[kind]]
        keys, key = [head], head  # keys[L]: head and the L words from first, glued
        for word in folded[first : first + g.max_words]:
            key += word
            keys.append(key)
        found_names = []
        for L in range(len(keys) - 1, -1 if head else 0, -1):
            uids = table.get(keys[L])
            if uids:
                found_names.append((L, uids))
        if not found_names:
            return None
        # Not across a type word: "Tân Hòa Thành|Phố …" ("Thành Phố").
        L, uids = found_names[0]
        for L_, uids_ in found_names:
            end = first + L_
            if not (L_ and end < n and (folded[end - 1], folded[end]) in TWO_WORD_TYPES):
                L, uids = L_, uids_
                break
        if head:
            accent = " ".join([accents[i][-len(head) :], *accents[first : first + L]])
        else:
            accent = " ".join(accents[first : first + L])
        end = first + L
        return Mention(p, offset + i, offset + end, uids, kind, 1.0, accent, i == 0 and end == n)

    # -- fuzzy ----------------------------------------------------------------------------


def _typed_names(g: Gazetteer) -> dict[tuple[str, ...], dict[str, list[int]]]:
    """For each set of levels a type word allows: name key → the units at those levels.

    Short keys count when no longer name has the same key (as `Gazetteer.lookup` with
    ``short``); a key's own list is shared when all its units are allowed.
    """
    out: dict[tuple[str, ...], dict[str, list[int]]] = {}
    units = g.units
    for levels in set(LEVELS_OF_KIND.values()):
        table: dict[str, list[int]] = {}
        for source in (g.names, g.short_names):
            for key, uids in source.items():
                if key in table or (source is g.short_names and key in g.names):
                    continue
                kept = [u for u in uids if units[u].level in levels]
                if kept:
                    table[key] = uids if len(kept) == len(uids) else kept
        out[levels] = table
    return out
