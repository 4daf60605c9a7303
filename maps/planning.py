"""Planning map: where to replicate the model next, and why.

Uncovered hot-spot communes are highlighted (the gap map); the top-k candidates of
gis.planning are numbered by rank with their score broken down in the popup (markers that
would cover one another are pushed apart; the legend lists them by rank, a click shows one); the
optimiser's sites (gis.covering) are drawn with their coverage radius, beside the existing
sites and the radius they already cover.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template
from markupsafe import Markup
from sqlalchemy.engine import Engine

from gis.covering import covering_result
from gis.domain import ACTIVE_STATUSES
from gis.errors import InputError
from gis.hotspots import hotspots_result
from gis.incident_filter import IncidentFilter
from gis.map_records import IncidentSpan, has_synthetic_records, incident_span
from gis.planning import candidates_result
from maps.base import BASE_LEGEND, COMMUNE_STYLE, MapOptions, ProvinceMap
from maps.controls import Attribution, HtmlBox, LegendItem
from maps.coverage import read_coverage
from maps.hotspots import categories_text
from maps.icons import ICONS_ATTRIBUTION
from maps.layers import (
    CircleLayer,
    NumberedLayer,
    ThematicAssets,
    icon_rows,
    legend_box,
    legend_rows,
    marker_rows,
    notice_box,
    section,
)
from maps.planning_text import candidate_popup, chosen_popup, commune_tooltips
from maps.province import COORD_DECIMALS, ProvinceBase
from maps.sites import site_layer, site_legend_parts
from maps.text import bilingual, day, esc
from maps.themes import (
    CANDIDATE_COLOUR,
    CHOSEN_COLOUR,
    PLAN_COLOURS,
    plan_class,
    plan_legend,
)

DEFAULT_TOP = 10
DEFAULT_K = 5
DEFAULT_RADIUS_M = 3000.0
CANDIDATE_LAYER = "Ứng viên nhân rộng / replication candidates"
CHOSEN_LAYER = "Vị trí tối ưu / optimised new sites"
RADIUS_LAYER = "Bán kính phủ / coverage radius"
EXISTING_SITES = "mô hình hiện có / existing sites"
NEW_SITES = "vị trí mới / new sites"


@dataclass
class PlanningData:
    """Candidates, the optimiser's choice, commune classes and sites of one province."""

    candidates: pd.DataFrame  # gis.planning.rank_candidates columns, top rows
    chosen: pd.DataFrame | None  # gis.covering.choose_sites chosen columns
    covering: dict  # the optimiser's summary
    classes: pd.Series  # commune code → covered | gap | uncovered
    sites: pd.DataFrame  # gis.map_records.sites_as_of columns
    incidents: IncidentFilter
    span: IncidentSpan
    as_of: date
    data_as_of: datetime | None
    synthetic: bool
    notes: list[tuple[str, str]] = field(default_factory=list)


def read_planning(
    engine: Engine,
    incidents: IncidentFilter,
    *,
    as_of: date | None = None,
    top: int = DEFAULT_TOP,
    k: int = DEFAULT_K,
    radius_m: float = DEFAULT_RADIUS_M,
    refresh: bool = False,
) -> PlanningData:
    """Ranking, covering, gaps and sites for ``incidents.province`` (stored results).

    Without an end date the incidents counted end with the day ``as_of`` (everywhere on the
    map: gaps, candidates, optimiser, title).
    """
    province = incidents.province
    if province is None:
        raise InputError("a planning map is made for one province", "give --province CODE")
    as_of = as_of or date.today()
    # One window for the whole map: the gaps (Gi*), the title and the counts read the
    # incidents up to the as-of day, as the ranking and the optimiser do.
    incidents = incidents.up_to(as_of).check(engine)
    notes: list[tuple[str, str]] = []
    ranked = candidates_result(engine, province, as_of=as_of, incidents=incidents, refresh=refresh)
    coverage = read_coverage(engine, province, as_of, refresh=refresh)
    try:
        hot = hotspots_result(engine, incidents, refresh=refresh).frame.set_index("code")["bin"]
    except InputError as exc:
        notes.append(("Gi*", exc.message))
        hot = pd.Series(0, index=coverage.communes["code"])
    covered = coverage.communes.set_index("code")["covered"]
    classes = plan_class(covered, hot.reindex(covered.index).fillna(0))
    chosen, summary = None, {}
    try:
        result = covering_result(
            engine, province, k=k, radius_m=radius_m, as_of=as_of, incidents=incidents,
            refresh=refresh,
        )  # fmt: skip
        chosen, summary = result.frame, result.summary
    except InputError as exc:
        notes.append(("Tối ưu / optimiser", exc.message))
    stamps = [d for d in (ranked.data_as_of, coverage.data_as_of) if d]
    return PlanningData(
        candidates=ranked.frame.head(top),
        chosen=chosen,
        covering=summary,
        classes=classes,
        sites=coverage.sites,
        incidents=incidents,
        span=incident_span(engine, incidents),
        as_of=as_of,
        data_as_of=max(stamps) if stamps else None,
        synthetic=coverage.synthetic or has_synthetic_records(engine, province, sites=False),
        notes=notes,
    )


def _inner_points(base: ProvinceBase, codes: pd.Series) -> pd.DataFrame:
    shapes = base.communes.set_index("code").geometry.reindex(codes.astype(str))
    points = shapely.point_on_surface(shapes.values)
    return pd.DataFrame(
        {"lat": shapely.get_y(points), "lon": shapely.get_x(points)}, index=codes.index
    ).round(COORD_DECIMALS)


def candidate_layer(base: ProvinceBase, candidates: pd.DataFrame) -> NumberedLayer:
    """The top candidates, numbered by rank, at a point inside their commune."""
    points = _inner_points(base, candidates["code"])
    rows = [
        [lat, lon, int(c.rank), candidate_popup(c), f"#{int(c.rank)} {c.name}"]
        for (lat, lon), c in zip(
            points[["lat", "lon"]].itertuples(index=False), candidates.itertuples(), strict=True
        )
    ]  # formatting only: one popup per candidate (top k)
    return NumberedLayer(rows, CANDIDATE_LAYER, CANDIDATE_COLOUR, "tq-candidate", anchor=(28, 13))


def chosen_layer(chosen: pd.DataFrame, summary: dict) -> NumberedLayer:
    """The optimiser's new sites, numbered in the order that adds most at each step."""
    rows = [
        [round(r.lat, COORD_DECIMALS), round(r.lon, COORD_DECIMALS), int(r.order),
         chosen_popup(r, summary), f"{int(r.order)}. {r.name}"]
        for r in chosen.itertuples()
    ]  # fmt: skip
    return NumberedLayer(rows, CHOSEN_LAYER, CHOSEN_COLOUR, "tq-chosen", anchor=(-2, 13))


EXISTING_RADII_SHOWN_UP_TO = 50  # more circles than this start off (a switchable layer)


def radius_layers(
    chosen: pd.DataFrame | None, sites: pd.DataFrame, radius_m: float
) -> list[CircleLayer]:
    """Circles of the coverage radius: existing active sites (dashed), chosen sites (solid)."""
    active = sites[sites["status"].isin(ACTIVE_STATUSES)].assign(style="existing")
    existing = {"color": "#1b7837", "weight": 1, "dashArray": "4 4", "fill": False,
                "className": "tq-radius-existing"}  # fmt: skip
    layers = [
        CircleLayer(
            marker_rows(active, ["style"]), radius_m, {"existing": existing},
            f"{RADIUS_LAYER} {radius_m:,.0f} m: {EXISTING_SITES}",
            show=len(active) <= EXISTING_RADII_SHOWN_UP_TO,
        )
    ]  # fmt: skip
    if chosen is not None and len(chosen):
        style = {"color": CHOSEN_COLOUR, "weight": 2, "fillOpacity": 0.08,
                 "className": "tq-radius-chosen"}  # fmt: skip
        rows = marker_rows(chosen.assign(style="chosen"), ["style"])
        name = f"{RADIUS_LAYER} {radius_m:,.0f} m: {NEW_SITES}"
        layers.append(CircleLayer(rows, radius_m, {"chosen": style}, name))
    return layers


def window_line(data: PlanningData) -> Markup:
    """'Thời gian / window: 01/01/2024 – 31/12/2024 (tính đến / as of 31/12/2024)'."""
    window = data.incidents
    first = window.start or data.span.first_day
    last = window.end - timedelta(days=1) if window.end else data.span.last_day
    return Markup("{}: {} – {} ({} {})").format(
        bilingual("Thời gian", "window"),
        day(first),
        day(last),
        bilingual("tính đến", "as of"),
        day(data.as_of),
    )


def _title_lines(data: PlanningData, top: int) -> tuple[Markup, ...]:
    lines = [
        window_line(data),
        categories_text(data.incidents),
        Markup("{}: {}").format(bilingual("Ứng viên hàng đầu", "top candidates"), top),
    ]
    s = data.covering
    if s:
        lines.append(
            Markup("{}: {} {}, {} {:,.0f} m, {} {:.0%} → {:.0%}").format(
                bilingual("Tối ưu phủ", "max covering"),
                s.get("k"),
                bilingual("vị trí", "sites"),
                bilingual("bán kính", "radius"),
                s.get("radius_m", 0),
                bilingual("phủ", "covered"),
                s.get("share_before", 0),
                s.get("share_after", 0),
            )
        )
    return tuple(lines)


class SpreadMarkers(MacroElement):
    """Pushes overlapping numbered markers apart (every zoom) and wires the ranked list."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        tuquan.spreadMarkers({{ this._parent.get_name() }},
            [{% for layer in this.layers %}{{ layer.get_name() }}, {% endfor %}]);
        {% if this.ranked %}
        tuquan.rankList({{ this._parent.get_name() }}, {{ this.ranked.get_name() }});
        {% endif %}
        {% endmacro %}"""
    )

    def __init__(self, layers: list[NumberedLayer], ranked: NumberedLayer | None) -> None:
        super().__init__()
        self._name = "SpreadMarkers"
        self.layers = layers
        self.ranked = ranked


def rank_list(candidates: pd.DataFrame) -> Markup:
    """The candidates by rank as buttons (a click shows the candidate on the map)."""
    items = Markup("").join(
        Markup('<li><button type="button" data-rank="{}"><b>{}</b> {}</button></li>').format(
            int(c.rank), int(c.rank), esc(c.name)
        )
        for c in candidates.itertuples()
    )
    return Markup('<ol class="tq-ranks tq-cols">{}</ol>').format(items)


def _legend(data: PlanningData) -> Markup:
    markers = icon_rows(
        [("1", CANDIDATE_COLOUR, "Ứng viên, theo thứ hạng", "candidate, by rank")]
    ) + icon_rows(
        [("1", CHOSEN_COLOUR, "Vị trí mới do tối ưu chọn", "new site chosen by the optimiser")],
        css_class="tq-chosen",
    )
    radius = data.covering.get("radius_m", DEFAULT_RADIUS_M)
    circles = (
        LegendItem(f"Bán kính {radius:,.0f} m, vị trí mới", "radius, new site",
                   stroke=CHOSEN_COLOUR, kind="line"),
        LegendItem(f"Bán kính {radius:,.0f} m, mô hình hiện có", "radius, existing site",
                   stroke="#1b7837", kind="line"),
    )  # fmt: skip
    parts = [
        section("Xã", "communes", legend_rows(plan_legend())),
        section("Đề xuất", "proposals", markers + legend_rows(circles)),
        *(
            [section("Xếp hạng ứng viên", "candidates by rank", rank_list(data.candidates))]
            if len(data.candidates)
            else []
        ),
        *(site_legend_parts() if len(data.sites) else []),
        legend_rows(BASE_LEGEND[:1]),
    ]
    note = "Điểm nóng: Gi* ≥ 90 % (FDR) / hot spot: Gi* at 90 % or more (FDR)"
    return legend_box("Chú giải", "legend", parts, note=note)


def planning_map(
    base: ProvinceBase, data: PlanningData, options: MapOptions | None = None
) -> ProvinceMap:
    """The planning (gap) map of a province (save it with ``.save(path)``)."""
    options = options or MapOptions()
    if data.synthetic and not options.synthetic:
        options = dataclasses.replace(options, synthetic=True)
    classes = pd.DataFrame({"pc": data.classes.reindex(base.communes["code"]).fillna("uncovered")})
    top = len(data.candidates)
    pm = ProvinceMap(
        base,
        "Đề xuất nhân rộng mô hình",
        "where to replicate the model next",
        options,
        data_as_of=data.data_as_of,
        commune_style=lambda f: {
            **COMMUNE_STYLE,
            "fillColor": PLAN_COLOURS[f["properties"]["pc"]],
        },
        commune_properties=classes,
        commune_tooltips=commune_tooltips(base, data.classes, data.candidates),
        title_lines=_title_lines(data, top),
    )
    pm.layer_control_position = "topleft"
    ThematicAssets().add_to(pm.map)
    radius = data.covering.get("radius_m", DEFAULT_RADIUS_M)
    for layer in radius_layers(data.chosen, data.sites, radius):
        pm.add(layer)
    if len(data.sites):
        pm.add(site_layer(data.sites, show=True))
        Attribution(ICONS_ATTRIBUTION).add_to(pm.map)
    numbered = []
    if top:
        numbered.append(pm.add(candidate_layer(base, data.candidates)))
    if data.chosen is not None and len(data.chosen):
        numbered.append(pm.add(chosen_layer(data.chosen, data.covering)))
    if data.notes:
        notice_box("Không tính được", "not computed", data.notes).add_to(pm.map)
    pm.add_legend_element(HtmlBox(_legend(data), "tq-legend", "bottomright"))
    if numbered:  # after the legend: its ranked list is wired to the candidate markers
        SpreadMarkers(numbered, numbered[0] if top else None).add_to(pm.map)
    return pm
