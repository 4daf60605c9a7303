"""Coverage map: where the 5 tự quản model runs, with how many components, and its sites.

Communes are coloured by model status (no model / pilot / replicated) or, with the legend's
switch, by their number of components; sites are markers with an icon per kind and a
colour per status. Everything comes from gis.coverage (a stored result) and
gis.map_records: nothing is computed here but colours and text.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from markupsafe import Markup
from sqlalchemy.engine import Engine

from gis.coverage import coverage_result
from gis.map_records import sites_as_of
from maps.base import BASE_LEGEND, COMMUNE_STYLE, MapOptions, ProvinceMap
from maps.controls import Attribution
from maps.icons import ICONS_ATTRIBUTION
from maps.layers import ThemeLegend, legend_box, legend_rows, section, theme_radios
from maps.province import ProvinceBase
from maps.sites import site_layer, site_legend_parts
from maps.text import bilingual, day, esc
from maps.themes import (
    COMPONENT_COLOURS,
    STATUS_COLOURS,
    STATUS_LABELS,
    commune_status,
    component_legend,
    status_legend,
)


@dataclass(frozen=True)
class CoverageData:
    """What the coverage map shows: commune coverage, the sites, and their dates."""

    communes: pd.DataFrame  # gis.coverage.commune_coverage columns
    sites: pd.DataFrame  # gis.map_records.sites_as_of columns
    as_of: date
    data_as_of: datetime | None

    @property
    def synthetic(self) -> bool:
        """Demo data shown: any site is synthetic."""
        return bool(len(self.sites) and self.sites["is_synthetic"].any())


def read_coverage(
    engine: Engine, province: str, as_of: date | None = None, *, refresh: bool = False
) -> CoverageData:
    """Coverage of ``province`` on ``as_of`` (stored result, computed when missing or stale)."""
    as_of = as_of or date.today()
    result = coverage_result(engine, province, as_of, refresh=refresh)
    return CoverageData(
        result.frame, sites_as_of(engine, province, as_of), as_of, result.data_as_of
    )


def commune_classes(communes: pd.DataFrame) -> pd.DataFrame:
    """Per commune code: st (none | pilot | replicated) and nc (0–5 components)."""
    out = pd.DataFrame(index=communes["code"].astype(str).to_numpy())
    out["st"] = commune_status(communes["status"].astype(object)).to_numpy()
    out["nc"] = communes["component_count"].fillna(0).astype(int).to_numpy()
    return out


def commune_tooltips(base: ProvinceBase, communes: pd.DataFrame) -> pd.Series:
    """Escaped tooltip HTML per commune of ``base`` (its order): name, status, components."""
    data = communes.set_index(communes["code"].astype(str)).reindex(base.communes["code"])
    status = commune_status(data["status"].astype(object))
    status_text = status.map(lambda s: str(bilingual(*STATUS_LABELS[s])))
    numbers = data["components"].map(
        lambda v: ", ".join(str(n) for n in v) if isinstance(v, list) and v else "—"
    )
    count = data["component_count"].fillna(0).astype(int).astype(str)
    sites = data["active_sites"].fillna(0).astype(int).astype(str)
    since = data["first_year"].map(lambda v: "—" if pd.isna(v) else str(int(v)))
    names = base.communes["full_name"].map(lambda v: str(esc(v))).to_numpy()
    tips = (
        "<b>" + names + "</b><br>" + status_text
        + "<br>Thành phần / components: " + count + " (" + numbers + ")"
        + "<br>Mô hình hoạt động / active sites: " + sites
        + "<br>Từ năm / since: " + since
    )  # fmt: skip
    return pd.Series(tips.to_numpy(), index=base.communes.index)


def coverage_summary(communes: pd.DataFrame) -> tuple[int, int]:
    """(communes with the model, communes)."""
    return int(communes["covered"].fillna(False).astype(bool).sum()), len(communes)


def coverage_map(
    base: ProvinceBase, data: CoverageData, options: MapOptions | None = None
) -> ProvinceMap:
    """The coverage map of a province (save it with ``.save(path)``)."""
    options = options or MapOptions()
    if data.synthetic and not options.synthetic:
        options = dataclasses.replace(options, synthetic=True)
    covered, total = coverage_summary(data.communes)
    share = covered / total if total else 0.0
    lines = (
        Markup("{}: {}").format(bilingual("Tình hình đến ngày", "as of"), esc(day(data.as_of))),
        Markup("{}: {}/{} ({})").format(
            bilingual("Xã có mô hình", "communes with the model"), covered, total, f"{share:.1%}"
        ),
        Markup("{}: {}").format(bilingual("Số mô hình", "sites shown"), len(data.sites)),
    )
    classes = commune_classes(data.communes)
    pm = ProvinceMap(
        base,
        "Độ phủ mô hình “5 tự quản”",
        "coverage of the 5 tự quản model",
        options,
        data_as_of=data.data_as_of,
        commune_style=lambda f: {
            **COMMUNE_STYLE,
            "fillColor": STATUS_COLOURS.get(f["properties"].get("st"), "#cccccc"),
        },
        commune_properties=classes,
        commune_tooltips=commune_tooltips(base, data.communes),
        title_lines=lines,
    )
    pm.layer_control_position = "topleft"
    if len(data.sites):
        pm.add(site_layer(data.sites))
        Attribution(ICONS_ATTRIBUTION).add_to(pm.map)
    themes = {
        "status": ("st", STATUS_COLOURS),
        "components": ("nc", {str(n): c for n, c in enumerate(COMPONENT_COLOURS)}),
    }
    html = legend_box(
        "Chú giải",
        "legend",
        [
            theme_radios(
                [
                    ("status", "Tô màu: trạng thái", "colour by status"),
                    ("components", "Tô màu: số thành phần", "colour by components"),
                ],
                "status",
            ),
            section("Trạng thái của xã", "commune status", legend_rows(status_legend()), "status"),
            section(
                "Số thành phần đang thực hiện",
                "components in place",
                legend_rows(component_legend()),
                "components",
            ),
            *(site_legend_parts() if len(data.sites) else []),
            legend_rows(BASE_LEGEND[:1]),
        ],
        note="Trạng thái của xã: mô hình tiến xa nhất đang hoạt động / "
        "commune status: its most advanced active site",
    )
    pm.add_legend_element(
        ThemeLegend(pm.communes, html, themes, {**COMMUNE_STYLE}, initial="status")
    )
    return pm
