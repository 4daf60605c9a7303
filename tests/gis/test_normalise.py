"""Vietnamese text normalisation: folding, tone placement, glued words, parts and tokens."""

from __future__ import annotations

import random
import re
import sys
import unicodedata

from gis.normalise import (
    _TONE_PLACEMENT,
    _TONE_RE,
    accent_key,
    accent_key_of_nfc,
    cache_key,
    compact,
    fold,
    nfc,
    segments,
    split_glued,
)


def test_fold_removes_diacritics_and_d_bar():
    assert fold("Đà Nẵng, Thừa Thiên Huế") == "da nang, thua thien hue"
    assert compact("Xã Ninh Hải") == "xaninhhai"
    assert compact("Bà Rịa - Vũng Tàu") == "bariavungtau"


def test_decomposed_input_reads_like_composed():
    composed = "Phường Phủ Lý, Tỉnh Ninh Bình"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert nfc(decomposed) == composed
    assert cache_key(decomposed) == cache_key(composed)
    assert segments(decomposed) == segments(composed)


def test_old_and_new_tone_placement_compare_equal():
    assert accent_key("Hoà Bình") == accent_key("Hòa Bình") == "hòa bình"
    assert accent_key("Thuỷ") == accent_key("Thủy")
    # Only open syllables move the mark: "Hoàng" keeps it on the a.
    assert accent_key("Hoàng") == "hoàng"


def test_the_tone_pattern_matches_exactly_the_placement_pairs():
    pairs = {a + b for a in "ou" for b in "àáảãạèéẻẽẹỳýỷỹỵaeiouy"}
    assert {p for p in pairs if _TONE_RE.fullmatch(p)} == set(_TONE_PLACEMENT)


def test_glued_words_are_split():
    assert split_glued("NinhBình") == "Ninh Bình"
    assert split_glued("P.6") == "P.6"
    assert split_glued("Phường06") == "Phường 06"
    assert split_glued("XÃ GIA VIỄN") == "XÃ GIA VIỄN"  # all capitals: nothing to split


def test_segments_tokens_and_numbers():
    parts = segments("P.06, Q.3, TP.HCM")
    assert [[f for f, _ in p] for p in parts] == [["p", "6"], ["q", "3"], ["tp", "hcm"]]
    parts = segments("thôn 3; xã Ninh Hải (cũ)")
    assert [[a for _, a in p] for p in parts] == [["thôn", "3"], ["xã", "ninh", "hải"], ["cũ"]]


def test_malformed_text_does_not_break_normalisation():
    assert segments("") == []
    assert segments("!!! ??? ...") == []
    assert nfc("a\x00b\x1f c") == "a b c"
    assert len(cache_key("x" * 100_000)) <= 2000


def test_fold_by_table_equals_folding_the_whole_text():
    """fold() drops marks one character at a time; the same as NFD of the whole text."""

    def reference(text: str) -> str:
        decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
        return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()

    rng = random.Random(7)
    letters = "ĐđÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
    alphabet = letters + letters.lower() + "aeiouy AZ09.,-Σßİ\u0301\u0323\u0309ǅﬁ가"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        for form in ("NFC", "NFD"):
            variant = unicodedata.normalize(form, text)
            assert fold(variant) == reference(variant), variant


def test_printable_text_has_nothing_for_the_control_pattern_but_the_replacement_sign():
    # nfc skips the control-character pass for printable text without U+FFFD.
    from gis import normalise

    caught = [chr(i) for i in range(sys.maxunicode + 1) if normalise._CONTROL_RE.match(chr(i))]
    assert caught and all(not c.isprintable() or c == "\ufffd" for c in caught)


def test_the_accent_key_of_nfc_text_is_its_accent_key():
    for text in ("Hoà Bình", "THỊ XÃ Mỹ Hào", "thuỷ", "Xã  \x01Ninh\u00a0Hải", "a \u0301b"):
        clean = nfc(text)
        assert accent_key_of_nfc(clean) == accent_key(clean)


def test_the_only_printable_white_space_is_the_ascii_space():
    # nfc returns printable text as it is when no two spaces meet and none starts or ends it.
    every = (chr(i) for i in range(sys.maxunicode + 1))
    spaces = [c for c in every if c.isspace() and c.isprintable()]
    assert spaces == [" "]
    for text in ("a  b", " a", "a ", "  ", " ", "", "a b"):
        assert nfc(text) == " ".join(text.split())


def test_the_character_loops_find_what_the_patterns_found():
    # _has_tone_pair and _has_other_separator replace two regex searches (compiled loops).
    from gis import normalise

    tone = re.compile(r"o[àáảãạèéẻẽẹ]|u[ỳýỷỹỵ]")
    separator = re.compile(r"[;|\n\r\t()\[\]{}<>]")
    rng = random.Random(11)
    alphabet = "ouOUàáảãạèéẻẽẹỳýỷỹỵaey ,.;|\n\r\t()[]{}<>ơư\u0300x"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert normalise._has_tone_pair(text) == bool(tone.search(text)), text
        assert normalise._has_other_separator(text) == bool(separator.search(text)), text


def test_a_str_subclass_normalises_like_a_str():
    import numpy as np

    from gis.coordinates import parse_point

    for text in ("Phường  06, Q.3, TP.HCM", "Xã Hoà Bình", "20°15'N 105°58'E", "NinhBình"):
        for function in (nfc, fold, accent_key, cache_key, segments, parse_point):
            assert function(np.str_(text)) == function(text), function.__name__
