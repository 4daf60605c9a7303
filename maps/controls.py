"""Map furniture as folium elements: title, legend, labels, attribution, fullscreen, search.

The JS lives in maps/static/tuquan-map.js (inlined like any other asset). Every piece of
text that reaches the page goes through maps.text.esc here, or is set with textContent in JS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import folium
from folium.elements import JSCSSMixin
from folium.template import Template
from markupsafe import Markup

from maps.assets import FONT_AWESOME_URL, TUQUAN_CSS_URL, TUQUAN_JS_URL
from maps.text import bilingual, esc

Position = str  # "topleft" | "topright" | "bottomleft" | "bottomright"


class TuquanElement(JSCSSMixin):
    """An element that uses maps/static/tuquan-map.{js,css}."""

    default_js = (("tuquan_map_js", TUQUAN_JS_URL),)
    default_css = (("tuquan_map_css", TUQUAN_CSS_URL),)


class HtmlBox(TuquanElement):
    """A Leaflet control showing HTML that was escaped in Python."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        tuquan.htmlControl({{ this._parent.get_name() }}, {{ this.html|tojson }},
            {{ this.box_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, html: Markup, css_class: str, position: Position = "topright") -> None:
        super().__init__()
        self._name = "HtmlBox"
        self.html = str(html)
        self.box_options = {"className": css_class, "position": position}


def _fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def title_box(
    title_vi: str,
    title_en: str,
    province: str,
    made_on: date,
    data_as_of: date | datetime | None,
    lines: Sequence[Markup] = (),
) -> HtmlBox:
    """Title block: map title, province, date made and data as-of (Vietnamese first)."""
    meta = [
        Markup("{}: {}").format(bilingual("Tỉnh", "province"), esc(province)),
        Markup("{}: {}").format(bilingual("Ngày lập", "made on"), esc(_fmt_date(made_on))),
        Markup("{}: {}").format(bilingual("Dữ liệu đến", "data as of"), esc(_fmt_date(data_as_of))),
        *lines,
    ]
    html = Markup('<h1>{}</h1><div class="tq-meta">{}</div>').format(
        bilingual(title_vi, title_en), Markup("<br>").join(meta)
    )
    return HtmlBox(html, "tq-title", "topright")


_COLOUR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|none|transparent)$")


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a swatch (fill, line or point) and a Vietnamese/English label."""

    label_vi: str
    label_en: str
    fill: str | None = None
    stroke: str = "#555555"
    kind: str = "fill"  # fill | line | point
    opacity: float = 1.0

    def swatch(self) -> Markup:
        for colour in (self.fill, self.stroke):
            if colour is not None and not _COLOUR.match(colour):
                raise ValueError(f"not a CSS colour: {colour!r}")
        if self.kind == "line":
            style = f"border-color:{self.stroke}"
        else:
            style = f"background:{self.fill or 'transparent'};border-color:{self.stroke}"
        style += f";opacity:{float(self.opacity):.2f}"
        kind = {"fill": "", "line": " tq-line", "point": " tq-point"}[self.kind]
        return Markup('<span class="tq-swatch{}" style="{}"></span>').format(kind, style)


def legend_html(
    title_vi: str, title_en: str, items: Sequence[LegendItem], note: Markup | str | None = None
) -> Markup:
    """The legend's HTML: a title and one row per item, everything escaped."""
    rows = Markup("").join(
        Markup("<li>{}<span>{}</span></li>").format(i.swatch(), bilingual(i.label_vi, i.label_en))
        for i in items
    )
    html = Markup("<h2>{}</h2><ul>{}</ul>").format(bilingual(title_vi, title_en), rows)
    if note:
        html += Markup('<div class="tq-note">{}</div>').format(esc(note))
    return html


def legend(
    title_vi: str,
    title_en: str,
    items: Sequence[LegendItem],
    note: Markup | str | None = None,
    position: Position = "bottomright",
) -> HtmlBox:
    """A legend box (Vietnamese first, English alternative)."""
    return HtmlBox(legend_html(title_vi, title_en, items, note), "tq-legend", position)


def synthetic_data_label(position: Position = "topright") -> HtmlBox:
    """The red 'Dữ liệu mô phỏng / synthetic data' label shown with demo data."""
    html = Markup("⚠ {}").format(bilingual("Dữ liệu mô phỏng", "synthetic data"))
    return HtmlBox(html, "tq-synthetic", position)


class Attribution(TuquanElement):
    """Adds an (escaped) source line to the map's attribution control."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        tuquan.attribution({{ this._parent.get_name() }}, {{ this.html|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.html = str(esc(text))


class Fullscreen(TuquanElement):
    """A fullscreen button (the browser's Fullscreen API; no plugin needed)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        tuquan.fullscreen({{ this._parent.get_name() }}, {{ this.control_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, position: Position = "topleft") -> None:
        super().__init__()
        self._name = "Fullscreen"
        self.control_options = {"position": position, "title": "Toàn màn hình / fullscreen"}


COMPACT_BELOW_PX = 800  # narrower maps (dashboard frames, phones) fold their controls


class CompactMode(TuquanElement):
    """Folds the controls of a small map (layer list, title, legends) behind buttons.

    Add it after the layer control and the legends: it finds them on the page.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        tuquan.compact({{ this._parent.get_name() }},
            {{ this.layer_control.get_name() if this.layer_control else "null" }},
            {{ this.compact_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(
        self,
        layer_control: folium.LayerControl | None,
        bounds: list[list[float]] | None = None,
        below_px: int = COMPACT_BELOW_PX,
    ) -> None:
        super().__init__()
        self._name = "CompactMode"
        self.layer_control = layer_control
        self.compact_options = {
            "below": below_px,
            "bounds": bounds,
            "legendLabel": "Chú giải / legend",
            "titleHint": "Bấm để xem thêm / click for more",
        }


class CommuneSearch(TuquanElement):
    """Search box over a commune layer by name, with or without diacritics, and old names."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        tuquan.communeSearch({{ this._parent.get_name() }}, {{ this.layer.get_name() }},
            {{ this.search_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(
        self,
        layer: folium.GeoJson,
        aliases: Mapping[str, Sequence[tuple[str, str]]] | None = None,
        position: Position = "topleft",
    ) -> None:
        super().__init__()
        self._name = "CommuneSearch"
        self.layer = layer
        self.search_options = {
            "position": position,
            "aliases": {code: [list(a) for a in names] for code, names in (aliases or {}).items()},
            "placeholder": "Tìm xã, phường… / find a commune",
            "formerLabel": "tên cũ / former",
            "noneLabel": "Không tìm thấy / not found",
            "highlightStyle": {"color": "#d7301f", "weight": 4, "fillOpacity": 0.35},
        }


class FontAwesome(JSCSSMixin):
    """Declares the (inlined, solid-only) Font Awesome CSS for maps that draw icons."""

    default_css = (("awesome_markers_font_css", FONT_AWESOME_URL),)
    _template = Template("")


def fa_div_icon(icon: str, colour: str, title: str = "") -> folium.DivIcon:
    """A round marker with a Font Awesome solid icon (add FontAwesome() to the map once)."""
    if not re.fullmatch(r"[a-z0-9-]+", icon) or not _COLOUR.match(colour):
        raise ValueError(f"bad icon or colour: {icon!r}, {colour!r}")
    html = Markup(
        '<div class="tq-marker" title="{}" style="background:{};color:#fff;border-radius:50%;'
        "width:24px;height:24px;display:flex;align-items:center;justify-content:center;"
        'box-shadow:0 0 0 2px #fff"><i class="fa-solid fa-{}"></i></div>'
    ).format(esc(title), colour, icon)
    return folium.DivIcon(html=str(html), icon_size=(24, 24), icon_anchor=(12, 12))
