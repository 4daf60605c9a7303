"""Marker icons as inline SVG paths read from the installed Font Awesome package.

A map that shows five kinds of site needs five glyphs, not the 280 kB icon font with its
CSS: each glyph's path is read from xstatic-font-awesome's svgs/solid/ at build time (never
copied into the repository) and drawn by the map's JS as an <svg>. Font Awesome Free
icons are CC BY 4.0: maps that use them name it in their attribution (ICONS_ATTRIBUTION).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from gis.errors import ConfigurationError

ICONS_ATTRIBUTION = "Biểu tượng / icons: Font Awesome Free 6 (CC BY 4.0)"
_NAME = re.compile(r"^[a-z0-9-]+$")
_VIEW_BOX = re.compile(r'viewBox="([0-9 .]+)"')
_PATH = re.compile(r'<path d="([^"]+)"')


@dataclass(frozen=True)
class SvgIcon:
    """One solid glyph: its viewBox and path data."""

    name: str
    view_box: str
    path: str

    def markup(self, size_px: int = 12) -> Markup:
        """The glyph as inline SVG (white, for a coloured round marker)."""
        return Markup(
            '<svg viewBox="{}" width="{}" height="{}" fill="currentColor" aria-hidden="true">'
            '<path d="{}"/></svg>'
        ).format(self.view_box, size_px, size_px, self.path)

    def as_json(self) -> dict[str, str]:
        """What the map's JS needs to draw it."""
        return {"viewBox": self.view_box, "d": self.path}


@functools.cache
def fa_solid(name: str) -> SvgIcon:
    """A Font Awesome Free solid icon by name ('landmark'), from the installed package."""
    if not _NAME.match(name):
        raise ValueError(f"bad icon name {name!r}")
    import xstatic.pkg.font_awesome as font_awesome

    path = Path(font_awesome.BASE_DIR) / "svgs" / "solid" / f"{name}.svg"
    if not path.exists():
        raise ConfigurationError(
            f"Font Awesome has no solid icon {name!r} ({path})",
            "pick another name from the package's svgs/solid/ folder",
        )
    text = path.read_text(encoding="utf-8")
    view_box, d = _VIEW_BOX.search(text), _PATH.search(text)
    if view_box is None or d is None:
        raise ConfigurationError(f"cannot read the icon file {path}", "reinstall the project")
    return SvgIcon(name, view_box.group(1), d.group(1))
