"""The vocabulary of the 5 tự quản model: components, kinds of site, statuses, categories.

Keys are stable English identifiers stored in the database; labels are Vietnamese first,
with an English alternative, for every user-facing output.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary: stored key, Vietnamese and English labels."""

    key: str
    vi: str
    en: str


# The five self-managed areas (components); their number is their position (1..5).
COMPONENTS: tuple[Term, ...] = (
    Term("crime", "Phòng, chống tội phạm", "Crime prevention"),
    Term("social_evils", "Phòng, chống tệ nạn xã hội", "Prevention of social evils"),
    Term(
        "property_fire",
        "Bảo vệ tài sản, phòng, chống cháy nổ",
        "Protection of property, fire and explosion prevention",
    ),
    Term(
        "public_order",
        "Trật tự, an toàn giao thông, trật tự công cộng, trật tự đô thị",
        "Traffic order and safety, public order, urban order",
    ),
    Term(
        "offenders",
        "Quản lý người lầm lỗi tại cộng đồng dân cư",
        "Managing people who have offended, in the community",
    ),
)
COMPONENT_NUMBERS = {term.key: i for i, term in enumerate(COMPONENTS, start=1)}

SITE_KINDS: tuple[Term, ...] = (
    Term("commune", "Xã, phường, thị trấn", "Commune, ward or town"),
    Term("village", "Thôn, tổ dân phố", "Village or residential group"),
    Term("clan", "Dòng họ", "Clan"),
    Term("religious", "Cơ sở thờ tự, tôn giáo", "Place of worship or religious establishment"),
    Term("organisation", "Tổ chức chính trị - xã hội", "Socio-political organisation"),
)

# planned → pilot → replicated (active) → suspended
SITE_STATUSES: tuple[Term, ...] = (
    Term("planned", "Kế hoạch", "Planned"),
    Term("pilot", "Thí điểm", "Pilot"),
    Term("replicated", "Nhân rộng", "Replicated (active)"),
    Term("suspended", "Tạm dừng", "Suspended"),
)
ACTIVE_STATUSES = ("pilot", "replicated")

# Incidents fall in one of the five areas of the model, or outside them.
INCIDENT_CATEGORIES: tuple[Term, ...] = (
    *COMPONENTS,
    Term("other", "Khác", "Other"),
)

# How precisely a point is known, finest first.
PRECISIONS: tuple[Term, ...] = (
    Term("coordinates", "Tọa độ", "Coordinates"),
    Term("street", "Đường phố", "Street"),
    Term("legacy_commune", "Xã cũ (trước 2025)", "Pre-2025 commune"),
    Term("commune", "Xã", "Commune"),
    Term("province", "Tỉnh", "Province"),
)
FINER_THAN_COMMUNE = ("coordinates", "street")


def keys(terms: tuple[Term, ...]) -> tuple[str, ...]:
    """The stored keys of a vocabulary."""
    return tuple(t.key for t in terms)


def label(terms: tuple[Term, ...], key: str, lang: str = "vi") -> str:
    """The label of ``key`` in ``lang`` ('vi' or 'en'); the key itself when unknown."""
    for term in terms:
        if term.key == key:
            return term.vi if lang == "vi" else term.en
    return key
