"""Vietnamese text normalisation for matching addresses against unit names.

Three forms of a text are used: NFC (what we store), the *accented key* (NFC, lower case,
one tone-mark placement, punctuation removed) used as the diacritics tie-breaker, and the
*folded key* (no diacritics, đ → d) on which names are matched.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Old-style and new-style tone placement both occur ("Hoà" / "Hòa"); compare one form.
_TONE_PLACEMENT = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip
# The same 15 pairs as character classes: scanned faster than an alternation of 15.
_TONE_RE = re.compile(r"(?:o[àáảãạèéẻẽẹ]|u[ỳýỷỹỵ])(?!\w)")  # open syllables only
_D_BAR = str.maketrans({"đ": "d", "Đ": "D"})

# Glued words: "NinhBình" → "Ninh Bình", "P.6" → "P. 6", "Phường06" → "Phường 06".
_LETTER_DIGIT_RE = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
# Segment separators; '-' and '.' only separate words (Bà Rịa - Vũng Tàu stays one part).
_SEGMENT_RE = re.compile(r"[,;|\n\r\t()\[\]{}<>]+")
_NON_WORD_RE = re.compile(r"[^\w]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_DIGITS_RE = re.compile(r"^0+(?=\d)")

MAX_INPUT_CHARS = 2000  # addresses are short; longer text is cut (and reported by the caller)


def nfc(text: str) -> str:
    """Unicode NFC with control characters removed and spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    # What _CONTROL_RE removes is unprintable, but for U+FFFD: most texts skip the scan.
    if text.isprintable() and "\ufffd" not in text:
        # The only white space a printable text can have is the ASCII space: most texts
        # have their spaces collapsed already.
        if "  " not in text and text[:1] != " " and text[-1:] != " ":
            return str.__str__(text)  # itself; a str subclass (numpy.str_) as a plain str
    else:
        text = _CONTROL_RE.sub(" ", text)
    # str.split() and the regex \s agree on what is white space (Py_UNICODE_ISSPACE).
    return " ".join(text.split())


class _FoldTable(dict):
    """Code point → that character without its marks; filled on first sight of each one.

    Dropping the combining marks of the NFD form one character at a time gives the same
    text as doing it on the whole string (reordering only moves marks, which all go), and
    `str.translate` over this table runs in C.
    """

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code).translate(_D_BAR))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower case without diacritics ('Đà Nẵng' → 'da nang'); keeps other characters."""
    if text.isascii():  # nothing to take off (a flag of the string: no scan)
        return text.lower()
    return text.translate(_FOLD_TABLE).lower()


def accent_key(text: str) -> str:
    """Lower-case NFC with one tone-mark placement ('Hoà' and 'Hòa' → 'hòa')."""
    return accent_key_of_nfc(unicodedata.normalize("NFC", text))


def accent_key_of_nfc(text: str) -> str:
    """`accent_key` of a text already in NFC (as `nfc` gives it)."""
    lowered = text.lower()
    if lowered.isascii() or not _has_tone_pair(lowered):  # ASCII: no tone marks
        return lowered
    return _TONE_RE.sub(_one_placement, lowered)


def _has_tone_pair(text: str) -> bool:
    """A pair _TONE_RE may place differently: "o" or "u" before a tone-marked vowel (2 % of
    words). A loop over the characters: compiled (normalise.pxd), no call into the regex
    engine for each word."""
    for i in range(len(text) - 1):
        c = text[i]
        if c == "o" and text[i + 1] in "àáảãạèéẻẽẹ":
            return True
        if c == "u" and text[i + 1] in "ỳýỷỹỵ":
            return True
    return False


def _one_placement(m: re.Match) -> str:
    return _TONE_PLACEMENT[m.group()]


def compact(text: str) -> str:
    """Folded key without spaces or punctuation: 'Xã Ninh Hải' → 'xaninhhai'."""
    return _NON_WORD_RE.sub("", fold(text)).replace("_", "")


def _split_camel(text: str) -> str:
    out, prev_lower = [], False
    for c in text:
        upper = c != c.lower()
        if upper and prev_lower:
            out.append(" ")
        out.append(c)
        prev_lower = c != c.upper()
    return "".join(out)


def split_glued(text: str) -> str:
    """Insert spaces where words were glued: camel case and letter/digit boundaries."""
    if not (text.islower() or text.isupper()) and text[1:] != text[1:].lower():
        text = _split_camel(text)  # a capital after the first letter: maybe camel case
    return _LETTER_DIGIT_RE.sub(" ", text)


def cache_key(text: str) -> str:
    """The normalised text that the cache is keyed on (diacritics kept)."""
    return accent_key_of_nfc(nfc(text[:MAX_INPUT_CHARS]))


def has_diacritics(text: str) -> bool:
    """True when the text carries Vietnamese diacritics (then they can break ties)."""
    return fold(text) != text.lower()


def _number(token: str) -> str:
    return _DIGITS_RE.sub("", token) if token.isdigit() else token


def word_tokens(word: str) -> tuple[tuple[str, str], ...]:
    """(folded, accented) tokens of one whitespace-separated word (glued words split)."""
    if word.isalpha() and (word.islower() or word.isupper() or word[1:] == word[1:].lower()):
        return ((fold(word), accent_key(word)),)  # one plain word: nothing to split
    tokens = []
    for piece in _NON_WORD_RE.split(split_glued(word).replace("_", " ")):
        if piece:  # a loop, not a generator: compiled with direct calls (normalise.pxd)
            tokens.append((_number(fold(piece)), _number(accent_key(piece))))
    return tuple(tokens)


_word_tokens = functools.lru_cache(maxsize=100_000)(word_tokens)


def _has_other_separator(text: str) -> bool:
    """A separator of parts other than the comma (see _SEGMENT_RE), as a loop (see
    _has_tone_pair)."""
    for c in text:  # noqa: SIM110 (a cpdef holds no generator)
        if c in ";|\n\r\t()[]{}<>":
            return True
    return False


def split_parts(clean: str) -> list[str]:
    """The raw parts of a text already through `nfc` (split at commas and the like).

    Empty parts may come out (",,"): callers drop parts without words.
    """
    if _has_other_separator(str.__str__(clean)):  # a plain str (the loop is typed)
        return _SEGMENT_RE.split(clean)
    return clean.split(",")  # the common case, three times faster


def segments(text: str) -> list[list[tuple[str, str]]]:
    """Parts of an address, each a list of (folded, accented) word tokens.

    Numbers lose leading zeros ("06" → "6"), so "Phường 06" and "P.6" read alike.
    """
    out = []
    for part in split_parts(nfc(text[:MAX_INPUT_CHARS])):
        tokens = [t for word in part.split() for t in _word_tokens(word)]
        if tokens:
            out.append(tokens)
    return out
