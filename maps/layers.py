"""folium elements of the thematic maps: site markers, numbered markers, legends with themes.

Markers are drawn by maps/static/tuquan-thematic.js from compact rows (one array per
marker, not one folium object each: ~10× lighter). Every text in a row is escaped here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import folium
import pandas as pd
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster
from folium.template import Template
from markupsafe import Markup

from maps.assets import (
    TUQUAN_CSS_URL,
    TUQUAN_JS_URL,
    TUQUAN_THEMATIC_CSS_URL,
    TUQUAN_THEMATIC_JS_URL,
)
from maps.controls import HtmlBox, LegendItem, TuquanElement
from maps.icons import SvgIcon
from maps.text import bilingual, esc

COORD_DECIMALS = 5
_ICON = re.compile(r"^[a-z0-9-]+$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")
_THEMATIC_JS = (
    ("tuquan_map_js", TUQUAN_JS_URL),
    ("tuquan_thematic_js", TUQUAN_THEMATIC_JS_URL),
)
_THEMATIC_CSS = (
    ("tuquan_map_css", TUQUAN_CSS_URL),
    ("tuquan_thematic_css", TUQUAN_THEMATIC_CSS_URL),
)


def _checked_colours(colours: Mapping[str, str]) -> dict[str, str]:
    for colour in colours.values():
        if not _COLOUR.match(colour):
            raise ValueError(f"not a hex colour: {colour!r}")
    return dict(colours)


class ThematicAssets(JSCSSMixin):
    """Declares the thematic JS/CSS (and Font Awesome) once for a map that uses them."""

    default_js = _THEMATIC_JS
    default_css = _THEMATIC_CSS
    _template = Template("")


class SiteLayer(JSCSSMixin, folium.map.Layer):
    """Sites as markers: icon by kind, colour by status, escaped popup (clustered if many).

    ``rows`` and ``site_options`` are built by maps.sites (which escapes every text).
    """

    default_js = (*_THEMATIC_JS, *MarkerCluster.default_js)
    default_css = (*_THEMATIC_CSS, *MarkerCluster.default_css)
    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = tuquan.siteLayer({{ this.rows|tojson }},
            {{ this.site_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, rows: list[list], site_options: dict, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "SiteLayer"
        _checked_colours(site_options["colours"])
        self.rows = rows
        self.site_options = site_options


class NumberedLayer(JSCSSMixin, folium.map.Layer):
    """Ranked places as numbered round markers with escaped popups."""

    default_js = _THEMATIC_JS
    default_css = _THEMATIC_CSS
    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = tuquan.numberedLayer({{ this.rows|tojson }},
            {{ this.layer_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(
        self,
        rows: list[list],
        name: str,
        colour: str,
        css_class: str = "",
        show: bool = True,
        anchor: tuple[int, int] = (13, 13),
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "NumberedLayer"
        if not _COLOUR.match(colour) or not re.fullmatch(r"[a-z0-9 -]*", css_class):
            raise ValueError(f"bad colour or class: {colour!r}, {css_class!r}")
        self.rows = rows
        self.layer_options = {"colour": colour, "className": css_class, "anchor": list(anchor)}


class CircleLayer(JSCSSMixin, folium.map.Layer):
    """Circles of one radius (metres on the ground) around many points, in one element."""

    default_js = _THEMATIC_JS
    default_css = _THEMATIC_CSS
    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = tuquan.circleLayer({{ this.rows|tojson }},
            {{ this.circle_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(
        self,
        rows: list[list],
        radius_m: float,
        styles: Mapping[str, dict],
        name: str,
        show: bool = True,
    ) -> None:
        """``rows``: [lat, lon, style key]; ``styles``: key → Leaflet path options."""
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "CircleLayer"
        self.rows = rows
        self.circle_options = {"radiusM": float(radius_m), "styles": dict(styles)}


class ThemeLegend(TuquanElement):
    """The legend of a map whose communes can be coloured in several ways (radio buttons)."""

    default_js = _THEMATIC_JS
    default_css = _THEMATIC_CSS
    _template = Template(
        """{% macro script(this, kwargs) %}
        tuquan.themeLegend({{ this._parent.get_name() }}, {{ this.layer.get_name() }},
            {{ this.legend_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(
        self,
        layer: folium.GeoJson,
        html: Markup,
        themes: Mapping[str, tuple[str, Mapping[str, str]]],
        base_style: Mapping[str, object],
        initial: str,
    ) -> None:
        """``themes``: id → (feature property, value → colour); ``html`` has the radios."""
        super().__init__()
        self._name = "ThemeLegend"
        self.layer = layer
        self.legend_options = {
            "html": str(html),
            "themes": {
                key: {"property": prop, "colours": _checked_colours(colours), "fallback": "#ccc"}
                for key, (prop, colours) in themes.items()
            },
            "baseStyle": dict(base_style),
            "initial": initial,
            "position": "bottomright",
        }


# -- legend HTML (escaped) ----------------------------------------------------------------
def legend_rows(items: Sequence[LegendItem]) -> Markup:
    """<ul> of swatch rows."""
    rows = Markup("").join(
        Markup("<li>{}<span>{}</span></li>").format(i.swatch(), bilingual(i.label_vi, i.label_en))
        for i in items
    )
    return Markup("<ul>{}</ul>").format(rows)


def icon_rows(
    rows: Sequence[tuple[SvgIcon | str | None, str, str, str]],
    css_class: str = "",
    columns: bool = False,
) -> Markup:
    """<ul> of marker rows: (icon, or a short text such as '1', or None; colour; vi; en)."""
    items = []
    for icon, colour, vi, en in rows:
        if not _COLOUR.match(colour):
            raise ValueError(f"not a hex colour: {colour!r}")
        glyph = icon.markup(10) if isinstance(icon, SvgIcon) else esc(icon)
        items.append(
            Markup(
                '<li><span class="tq-marker tq-icon-swatch {}" style="background:{}">{}</span>'
                "<span>{}</span></li>"
            ).format(css_class, colour, glyph, bilingual(vi, en))
        )
    ul = Markup('<ul class="tq-cols">') if columns else Markup("<ul>")
    return ul + Markup("").join(items) + Markup("</ul>")


def ramp(colours: Sequence[str], low: str, high: str) -> Markup:
    """A continuous colour ramp with its two end labels."""
    for colour in colours:
        if not _COLOUR.match(colour):
            raise ValueError(f"not a hex colour: {colour!r}")
    gradient = ",".join(colours)
    return Markup(
        '<div class="tq-ramp" style="background:linear-gradient(to right,{})"></div>'
        '<div class="tq-ramp-labels"><span>{}</span><span>{}</span></div>'
    ).format(gradient, esc(low), esc(high))


def notice_box(title_vi: str, title_en: str, notes: Sequence[tuple[str, str]]) -> HtmlBox:
    """A yellow box listing (what, why) pairs: layers that could not be drawn."""
    rows = Markup("<br>").join(Markup("{}: {}").format(esc(what), esc(why)) for what, why in notes)
    html = Markup("<b>{}</b><br>{}").format(bilingual(title_vi, title_en), rows)
    return HtmlBox(html, "tq-notice", "bottomleft")


def section(title_vi: str, title_en: str, body: Markup, theme: str | None = None) -> Markup:
    """A titled part of a legend (shown only with its theme when ``theme`` is given)."""
    attr = Markup(' data-theme-section="{}"').format(theme) if theme else Markup("")
    return Markup("<div{}><h3>{}</h3>{}</div>").format(attr, bilingual(title_vi, title_en), body)


def legend_box(title_vi: str, title_en: str, parts: Sequence[Markup], note=None) -> Markup:
    """A whole legend: title, parts, an optional note."""
    html = Markup("<h2>{}</h2>{}").format(bilingual(title_vi, title_en), Markup("").join(parts))
    if note:
        html += Markup('<div class="tq-note">{}</div>').format(esc(note))
    return html


def theme_radios(choices: Sequence[tuple[str, str, str]], initial: str) -> Markup:
    """Radio buttons (id, label vi, label en) choosing the commune colouring."""
    inputs = Markup("").join(
        Markup('<label><input type="radio" name="tq-theme" value="{}"{}> {}</label>').format(
            key, Markup(" checked") if key == initial else Markup(""), bilingual(vi, en)
        )
        for key, vi, en in choices
    )
    return Markup('<div class="tq-themes">{}</div>').format(inputs)


# -- rows for the marker layers ----------------------------------------------------------
def marker_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[list]:
    """[lat, lon, *columns] per row, coordinates rounded to ~1 m."""
    out = frame[["lat", "lon", *columns]].copy()
    out["lat"] = out["lat"].astype(float).round(COORD_DECIMALS)
    out["lon"] = out["lon"].astype(float).round(COORD_DECIMALS)
    return out.to_numpy().tolist()
