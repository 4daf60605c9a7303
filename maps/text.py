"""Text shown on maps: the one HTML-escaping helper and Vietnamese-first labels."""

from __future__ import annotations

import html
import unicodedata

import pandas as pd
from markupsafe import Markup


def esc(value: object) -> Markup:
    """HTML-escape any name or note (NFC) for a popup, tooltip, legend or title; None → ''."""
    if value is None:
        return Markup("")
    if isinstance(value, Markup):  # already built from escaped parts
        return value
    text = unicodedata.normalize("NFC", str(value))
    return Markup(html.escape(text, quote=True))


def bilingual(vi: str, en: str) -> Markup:
    """'Vietnamese / English' with the English part de-emphasised, both escaped."""
    return Markup('{} <span class="tq-en">/ {}</span>').format(esc(vi), esc(en))


def fold(text: str) -> str:
    """Lower-case, diacritic-free form of a Vietnamese name (đ → d): what the search compares."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def day(value) -> str:
    """dd/mm/yyyy of a date (or ISO text, or a datetime); '—' when missing."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return "—"
    return pd.Timestamp(value).strftime("%d/%m/%Y")


def count_text(value: object) -> str:
    """A count as printed on a map; a count withheld for privacy (missing) says so."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "ẩn / hidden"
    return str(int(value))
