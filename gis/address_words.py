"""The words of addresses: type words ("xã", "P.", "TP"), street words, and mentions.

Shared by exact matching (gis.address_match) and fuzzy matching (gis.address_fuzzy).
"""

from __future__ import annotations

import re

from gis.gazetteer import COMMUNE_LEVELS, OLD_DISTRICT, PROVINCE_LEVELS
from gis.gazetteer_sources import COMMUNE_KINDS

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
STREET_WORDS_ACCENTED = frozenset((
    "số", "ngõ", "ngách", "hẻm", "kiệt", "đường", "phố", "thôn", "xóm", "ấp", "tổ", "khu",
    "khóm", "bản", "làng", "cụm", "đội", "km", "ql", "quốc", "lộ", "tỉnh", "đt", "tl", "nhà",
    "tòa", "lô", "phòng", "tầng", "kdc", "kcn", "kđt", "chung", "cư", "sn", "dốc",
))  # fmt: skip
STREET_WORDS_FOLDED = frozenset((
    "so", "ngo", "ngach", "hem", "kiet", "duong", "pho", "thon", "xom", "ap", "to", "khu",
    "khom", "ban", "lang", "cum", "doi", "km", "ql", "quoc", "lo", "tl", "dt", "nha", "toa",
    "phong", "tang", "kdc", "kcn", "kdt", "chung", "cu", "sn", "doc",
))  # fmt: skip


# Token positions of part p start at p * PART_STRIDE (a part has at most MAX_INPUT_CHARS
# tokens), so mentions of different parts never overlap and a part's mentions can be
# shared, unchanged, by every address that has the same part at the same place.
PART_STRIDE = 1 << 16


class Mention:
    """A run of tokens that names units: [start, end) over the whole address."""

    # Slots when run as Python; compiled, the fields of the .pxd.
    __slots__ = (
        "accent", "end", "evidence", "kind", "loose", "part", "quality", "start", "uids",
        "whole"
    )  # fmt: skip

    def __init__(
        self, part: int, start: int, end: int, uids: list[int], kind: str | None,
        quality: float, accent: str, whole: bool, loose: float = 0.0,
    ) -> None:  # fmt: skip
        self.part = part
        self.start = start
        self.end = end
        self.uids = uids
        self.kind = kind  # the type word written in front, if any
        self.quality = quality  # 1.0 exact; lower for fuzzy matches
        self.accent = accent  # the words as written (accented key), for the diacritics tie-break
        self.whole = whole  # the mention is a whole part of the address
        # Penalty: unexplained words right after it, or a type word before it.
        self.loose = loose
        self.evidence = None  # set once by the resolver (gis.address_evidence)

    def __repr__(self) -> str:
        return (
            f"Mention({self.part}, {self.start}, {self.end}, {self.uids}, {self.kind!r}, "
            f"{self.quality}, {self.accent!r}, {self.whole}, {self.loose})"
        )


# With diacritics written, a type word must carry its own: "Phương Bình" is no "phường".
ACCENTED_TYPE_WORDS = frozenset((
    "tỉnh", "thành", "phố", "huyện", "quận", "thị", "xã", "phường", "trấn", "đặc", "khu",
    "tp", "tx", "tt", "h", "q", "p", "f", "x", "t",
))  # fmt: skip


def type_at(folded: list[str], i: int, accents: list[str] | None = None):
    """(kind, number of words) of the type word at ``i``, or None."""
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


def glued_type(token: str) -> tuple[str, str] | None:
    """("xa", "ninhhai") for "xaninhhai": a type word glued to a name."""
    m = _GLUED_RE.match(token)
    return (ONE_WORD_TYPES[m.group(1)], m.group(2)) if m else None


def mark_loose(mentions, folded, offset, failed_types, streets, accents, accented) -> None:
    """Penalise names with unexplained words right after them ("Xã Bác Ái Đsông") or a
    type word before them whose own name was not found ("Phường Trbờng Long Hòa")."""
    starts = {m.start for m in mentions}
    n = len(folded)
    for m in mentions:
        after = m.end - offset
        if after < n and m.end not in starts:
            word = accents[after] if accented else folded[after]
            if not (type_at(folded, after) or word in streets):
                m.loose += 0.2
        if m.kind is None and any(
            f < m.start - offset and not any(f < o.start - offset < m.start - offset
                                             for o in mentions)
            for f in failed_types
        ):  # fmt: skip
            m.loose += 0.15


def has_marks(tokens: tuple[tuple[str, str], ...]) -> bool:
    """Some token is written with diacritics (its accented form is not its folded one)."""
    # A loop, not any(generator): a generator is a closure, which a cpdef cannot hold.
    for folded, accented in tokens:  # noqa: SIM110
        if folded != accented:
            return True
    return False


def all_numbers(tokens: tuple[tuple[str, str], ...]) -> bool:
    for folded, _ in tokens:  # noqa: SIM110 (as in has_marks)
        if not folded.isdigit():
            return False
    return True


def outermost(mentions: list[Mention]) -> list[Mention]:
    """Without the mentions inside a longer one: a run of words inside a longer name is
    not a name of its own ("Tân Sơn" in "Tân Sơn Hòa")."""
    kept = []
    for m in mentions:  # loops, not generators: compiled with m and o typed
        inside = False
        for o in mentions:
            if o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start:
                inside = True
                break
        if not inside:
            kept.append(m)
    return kept


def said_of(mentions: list[Mention]) -> tuple:
    """All a resolver reads of a part's mentions (their positions carry the part's place)."""
    said = []
    for m in mentions:  # a loop, not a generator: compiled with m typed (address_words.pxd)
        said.append((m.start, m.end, m.kind, m.quality, m.accent, m.whole, m.loose, *m.uids))
    return tuple(said)
