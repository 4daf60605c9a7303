"""Sites of the model on a map: compact marker rows, escaped popups, the legend of kinds.

A popup is assembled in the page from fixed labels and the site's values, all escaped
here with maps.text.esc; one row per site (~200 bytes) instead of a folium Marker with its
own popup HTML (~1.5 kB) keeps a province with hundreds of sites under the size budget.
"""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from gis.domain import COMPONENTS, SITE_KINDS, SITE_STATUSES
from maps.icons import fa_solid
from maps.layers import COORD_DECIMALS, SiteLayer, icon_rows, section
from maps.text import bilingual, day, esc
from maps.themes import SITE_ICONS, SITE_STATUS_COLOURS

SITE_LAYER_NAME = "Mô hình / sites"
CLUSTER_FROM = 50  # sites: more than this are clustered at low zoom
UNCLUSTER_ZOOM = 13
UNKNOWN = "unknown"
# Popup rows in the order tuquan.siteLayer fills them.
FIELD_LABELS = (
    ("Loại", "kind"),
    ("Trạng thái", "status"),
    ("Thành phần", "components"),
    ("Bắt đầu", "started"),
    ("Thí điểm từ", "pilot since"),
    ("Nhân rộng từ", "replicated since"),
    ("Tạm dừng từ", "suspended since"),
    ("Đơn vị chủ trì", "hosting unit"),
    ("Xã, phường", "commune"),
    ("Mã", "ref"),
)


def _escaped(series: pd.Series, missing: str | None = "—") -> list:
    return [missing if v is None or (not isinstance(v, str) and pd.isna(v)) else str(esc(v))
            for v in series]  # fmt: skip


def _days(series: pd.Series, keep_missing: bool = True) -> list:
    return [None if (v is None or pd.isna(v)) and not keep_missing else day(v) for v in series]


def site_rows(sites: pd.DataFrame) -> list[list]:
    """One marker row per site (columns of gis.map_records.sites_as_of), texts escaped."""
    kinds = sites["kind"].where(sites["kind"].isin(SITE_ICONS), UNKNOWN)
    statuses = sites["status"].where(sites["status"].isin(SITE_STATUS_COLOURS), UNKNOWN)
    columns = [
        sites["lat"].astype(float).round(COORD_DECIMALS).tolist(),
        sites["lon"].astype(float).round(COORD_DECIMALS).tolist(),
        kinds.tolist(),
        statuses.tolist(),
        _escaped(sites["name"]),
        _escaped(sites["ref"]),
        _escaped(sites["host_unit"]),
        _escaped(sites["commune_name"]),
        [[int(n) for n in v] for v in sites["components"]],
        _days(sites["started_on"]),
        _days(sites["pilot_on"]),
        _days(sites["replicated_on"]),
        _days(sites["suspended_on"], keep_missing=False),  # shown only when suspended
        [str(v) for v in sites["name"]],  # plain: set as a title attribute, never as HTML
    ]
    return [list(row) for row in zip(*columns, strict=True)]


def site_options(cluster: bool) -> dict:
    """The labels, icons and colours tuquan.siteLayer needs (escaped once, shared)."""
    icons = {key: fa_solid(name).as_json() for key, name in SITE_ICONS.items()}
    icons[UNKNOWN] = fa_solid("circle").as_json()
    kinds = {t.key: str(bilingual(t.vi, t.en)) for t in SITE_KINDS}
    statuses = {t.key: str(bilingual(t.vi, t.en)) for t in SITE_STATUSES}
    return {
        "cluster": cluster,
        "unclusterZoom": UNCLUSTER_ZOOM,
        "icons": icons,
        "fallbackKind": UNKNOWN,
        "colours": dict(SITE_STATUS_COLOURS),
        "fallbackColour": "#878787",
        "kindLabels": {**kinds, UNKNOWN: "—"},
        "statusLabels": {**statuses, UNKNOWN: "—"},
        "componentLabels": {
            str(i): str(esc(f"{i}. {t.vi}")) for i, t in enumerate(COMPONENTS, start=1)
        },
        "fieldLabels": [str(bilingual(vi, en)) for vi, en in FIELD_LABELS],
    }


def site_layer(sites: pd.DataFrame, name: str = SITE_LAYER_NAME, show: bool = True) -> SiteLayer:
    """The sites as markers (icon per kind, colour per status) with their popups."""
    return SiteLayer(site_rows(sites), site_options(len(sites) > CLUSTER_FROM), name, show)


def site_legend_parts() -> list[Markup]:
    """Legend parts for site markers: kinds (icons) and statuses (colours)."""
    kinds = icon_rows([(fa_solid(SITE_ICONS[t.key]), "#555555", t.vi, t.en) for t in SITE_KINDS])
    statuses = icon_rows(
        [(None, SITE_STATUS_COLOURS[t.key], t.vi, t.en.split(" (")[0]) for t in SITE_STATUSES],
        columns=True,
    )
    return [
        section("Loại mô hình", "kind of site", kinds),
        section("Trạng thái mô hình", "site status", statuses),
    ]


def site_popup_html(site) -> str:
    """The popup of one site built in Python (what tuquan.siteLayer assembles in the page).

    For exports that have no map script, and the bench's plain-folium peer.
    """
    row = site_rows(pd.DataFrame([site._asdict()]))[0]
    options = site_options(cluster=False)
    comps = "<br>".join(options["componentLabels"][str(n)] for n in row[8]) or "—"
    values = [options["kindLabels"][row[2]], options["statusLabels"][row[3]], comps,
              row[9], row[10], row[11], row[12], row[6], row[7], row[5]]  # fmt: skip
    cells = "".join(
        f"<tr><th>{label}</th><td>{value}</td></tr>"
        for label, value in zip(options["fieldLabels"], values, strict=True)
        if value is not None
    )
    return f"<h3>{row[4]}</h3><table>{cells}</table>"
