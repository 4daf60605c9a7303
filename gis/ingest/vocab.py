"""What officers write for categories, kinds, statuses and components → gis.domain keys.

Matching is on the folded text (no diacritics, lower case, punctuation as spaces), so
"Trộm cắp", "trom cap" and "TRỘM CẮP TÀI SẢN" read alike. Each vocabulary is a list of
(phrase, key) pairs tried in order: an exact phrase first, then the first phrase the value
contains as whole words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gis.domain import (
    COMPONENT_NUMBERS,
    COMPONENTS,
    INCIDENT_CATEGORIES,
    SITE_KINDS,
    SITE_STATUSES,
    Term,
)
from gis.normalise import fold

_NON_WORD = re.compile(r"[^0-9a-z]+")


def folded(text: str) -> str:
    """Folded words separated by single spaces: 'Tệ nạn XH!' → 'te nan xh'."""
    return _NON_WORD.sub(" ", fold(text)).strip()


def _terms(terms: Iterable[Term]) -> list[tuple[str, str]]:
    """Every key, Vietnamese and English label as phrases of their own key."""
    out = []
    for t in terms:
        out += [(folded(t.key.replace("_", " ")), t.key), (folded(t.vi), t.key)]
        out += [(folded(t.en), t.key)]
    return out


# Incident categories: the five areas, plus the offences officers name in their place.
CATEGORY_PHRASES: list[tuple[str, str]] = [
    *_terms(INCIDENT_CATEGORIES),
    *[(str(i), t.key) for i, t in enumerate(COMPONENTS, start=1)],
    ("6", "other"),
    ("toi pham", "crime"), ("hinh su", "crime"), ("trom", "crime"), ("trom cap", "crime"),
    ("cuop", "crime"), ("cuop giat", "crime"), ("lua dao", "crime"), ("giet nguoi", "crime"),
    ("co y gay thuong tich", "crime"), ("gay thuong tich", "crime"), ("cuong doat", "crime"),
    ("lam dung", "crime"), ("hiep dam", "crime"), ("theft", "crime"), ("robbery", "crime"),
    ("assault", "crime"), ("fraud", "crime"),
    ("te nan", "social_evils"), ("te nan xa hoi", "social_evils"), ("tnxh", "social_evils"),
    ("ma tuy", "social_evils"), ("danh bac", "social_evils"), ("co bac", "social_evils"),
    ("mai dam", "social_evils"), ("mua ban dam", "social_evils"), ("ban dam", "social_evils"),
    ("lo de", "social_evils"), ("drugs", "social_evils"),
    ("gambling", "social_evils"), ("prostitution", "social_evils"),
    ("chay", "property_fire"), ("chay no", "property_fire"), ("no", "property_fire"),
    ("hoa hoan", "property_fire"), ("binh gas", "property_fire"), ("phat no", "property_fire"),
    ("pccc", "property_fire"), ("fire", "property_fire"),
    ("explosion", "property_fire"), ("bao ve tai san", "property_fire"),
    ("giao thong", "public_order"), ("tai nan giao thong", "public_order"),
    ("tai nan gt", "public_order"), ("vi pham gt", "public_order"), ("ttcc", "public_order"),
    ("tngt", "public_order"), ("attgt", "public_order"), ("trat tu", "public_order"),
    ("gay roi", "public_order"), ("gay roi trat tu", "public_order"),
    ("trat tu cong cong", "public_order"), ("trat tu do thi", "public_order"),
    ("danh nhau", "public_order"), ("traffic", "public_order"),
    ("public order", "public_order"),
    ("nguoi lam loi", "offenders"), ("lam loi", "offenders"), ("tai pham", "offenders"),
    ("nguoi tai hoa nhap", "offenders"), ("tai hoa nhap", "offenders"),
    ("tha tu", "offenders"), ("dac xa", "offenders"), ("offender", "offenders"),
    ("re offending", "offenders"),
    ("khac", "other"), ("loai khac", "other"), ("other", "other"), ("mat tich", "other"),
    ("tranh chap", "other"), ("tranh chap dan su", "other"),
]  # fmt: skip

KIND_PHRASES: list[tuple[str, str]] = [
    *_terms(SITE_KINDS),
    ("xa", "commune"), ("phuong", "commune"), ("thi tran", "commune"), ("dac khu", "commune"),
    ("cap xa", "commune"), ("xa phuong", "commune"), ("ward", "commune"), ("town", "commune"),
    ("thon", "village"), ("to dan pho", "village"), ("tdp", "village"), ("xom", "village"),
    ("khu pho", "village"), ("ap", "village"), ("ban", "village"), ("lang", "village"),
    ("khu dan cu", "village"), ("kdc", "village"), ("residential group", "village"),
    ("dong ho", "clan"), ("ho toc", "clan"), ("family clan", "clan"),
    ("co so tho tu", "religious"), ("ton giao", "religious"),
    ("giao xu", "religious"), ("giao ho", "religious"), ("nha tho", "religious"),
    ("chua", "religious"), ("den", "religious"), ("dinh", "religious"), ("tinh that", "religious"),
    ("church", "religious"), ("pagoda", "religious"), ("temple", "religious"),
    ("to chuc", "organisation"), ("doan the", "organisation"), ("hoi", "organisation"),
    ("doan thanh nien", "organisation"), ("hoi phu nu", "organisation"),
    ("hoi cuu chien binh", "organisation"), ("hoi nong dan", "organisation"),
    ("mat tran", "organisation"), ("cong doan", "organisation"), ("chi hoi", "organisation"),
    ("organization", "organisation"), ("association", "organisation"),
]  # fmt: skip

STATUS_PHRASES: list[tuple[str, str]] = [
    *_terms(SITE_STATUSES),
    ("ke hoach", "planned"), ("du kien", "planned"), ("chua trien khai", "planned"),
    ("dang xay dung", "planned"), ("planned", "planned"),
    ("thi diem", "pilot"), ("diem", "pilot"), ("pilot", "pilot"),
    ("nhan rong", "replicated"), ("dang hoat dong", "replicated"), ("hoat dong", "replicated"),
    ("duy tri", "replicated"), ("da trien khai", "replicated"), ("active", "replicated"),
    ("replicated", "replicated"),
    ("tam dung", "suspended"), ("ngung", "suspended"), ("ngung hoat dong", "suspended"),
    ("dung", "suspended"), ("giai the", "suspended"), ("suspended", "suspended"),
    ("stopped", "suspended"),
]  # fmt: skip

# Components by number or name; "all" words mean the five of them.
COMPONENT_PHRASES: list[tuple[str, str]] = [
    *_terms(COMPONENTS),
    *[(str(i), t.key) for i, t in enumerate(COMPONENTS, start=1)],
    ("toi pham", "crime"), ("te nan", "social_evils"), ("tnxh", "social_evils"),
    ("tai san", "property_fire"), ("chay no", "property_fire"), ("pccc", "property_fire"),
    ("giao thong", "public_order"), ("trat tu", "public_order"), ("attgt", "public_order"),
    ("lam loi", "offenders"), ("nguoi lam loi", "offenders"),
]  # fmt: skip
ALL_COMPONENT_WORDS = ("tat ca", "ca 5", "5 tu quan", "all", "du 5", "day du")

# What the report suggests when a value is not understood.
CATEGORY_CHOICES = (
    "1 tội phạm, 2 tệ nạn xã hội, 3 tài sản / cháy nổ, 4 trật tự / giao thông, 5 người lầm lỗi, "
    "khác (or crime, social_evils, property_fire, public_order, offenders, other)"
)
KIND_CHOICES = (
    "xã / phường / thị trấn, thôn / tổ dân phố, dòng họ, cơ sở tôn giáo, tổ chức chính trị - xã "
    "hội (or commune, village, clan, religious, organisation)"
)
STATUS_CHOICES = (
    "kế hoạch, thí điểm, nhân rộng / đang hoạt động, tạm dừng "
    "(or planned, pilot, replicated, suspended)"
)

TRUE_WORDS = ("x", "co", "c", "yes", "y", "true", "1", "dung", "v")
FALSE_WORDS = ("", "khong", "k", "no", "n", "false", "0", "sai")


def match_phrase(value: str, phrases: list[tuple[str, str]]) -> str | None:
    """The key of the first phrase equal to the folded value, else the first it contains."""
    text = folded(value)
    if not text:
        return None
    for phrase, key in phrases:
        if text == phrase:
            return key
    padded = f" {text} "
    for phrase, key in phrases:
        if len(phrase) > 2 and f" {phrase} " in padded:
            return key
    return None


_GENERIC_CATEGORY_WORDS = {
    *(folded(t.vi) for t in INCIDENT_CATEGORIES),
    *(folded(t.en) for t in INCIDENT_CATEGORIES),
    *(t.key.replace("_", " ") for t in INCIDENT_CATEGORIES),
    "toi pham", "te nan", "te nan xa hoi", "tnxh", "chay no", "trat tu", "khac", "loai khac",
}  # fmt: skip


def is_generic_category(value: str) -> bool:
    """True when the value only names a category (no offence worth keeping as subcategory)."""
    text = folded(value)
    return text in _GENERIC_CATEGORY_WORDS or text.isdigit()


def _component_numbers(part: str) -> set[int] | None:
    """Numbers of one part of a components cell: digits or one component name."""
    words = folded(part).split()
    if not words:
        return set()
    if all(w.isdigit() for w in words):
        numbers = {int(w) for w in words}
        return numbers if all(1 <= n <= len(COMPONENTS) for n in numbers) else None
    key = match_phrase(part, COMPONENT_PHRASES)
    return None if key is None else {COMPONENT_NUMBERS[key]}


def parse_components(value: str) -> tuple[int, ...] | None:
    """Component numbers (sorted) in '1,2,5', 'tội phạm; tệ nạn' or 'tất cả'; None if unreadable."""
    text = folded(value)
    if not text:
        return None
    if any(f" {w} " in f" {text} " for w in ALL_COMPONENT_WORDS):
        return tuple(range(1, len(COMPONENTS) + 1))
    numbers: set[int] = set()
    for part in re.split(r"[;/+|&\n]| và | va | and ", value):
        found = _component_numbers(part)
        if found is None:  # names may hold commas ("Phòng, chống tội phạm"): try the pieces
            pieces = [_component_numbers(p) for p in part.split(",")]
            if any(p is None for p in pieces):
                return None
            found = set().union(*pieces)
        numbers |= found
    return tuple(sorted(numbers)) or None


def parse_flag(value: str) -> bool | None:
    """True/False for the yes/no words officers use ('x', 'có', 'không'); None if neither."""
    text = folded(value)
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None
