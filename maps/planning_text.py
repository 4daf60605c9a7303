"""The words of the planning map: candidate and chosen-site popups, commune tooltips.

Every value from the data goes through maps.text.esc; numbers are formatted here.
"""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from maps.province import ProvinceBase
from maps.text import bilingual, count_text, esc
from maps.themes import PLAN_LABELS, component_names

# Score factors in the order of gis.planning, with what their value is.
FACTORS = (
    ("burden_count", "Số vụ việc", "incidents"),
    ("burden_rate", "Tỉ suất vụ việc", "incident rate"),
    ("hotspot", "Điểm nóng (Gi* z)", "hot spot (Gi* z)"),
    ("mentoring", "Xã lân cận có mô hình", "neighbours with the model"),
    ("gap", "Địa bàn huyện cũ chưa có", "former districts without it"),
)
RATE_UNITS = {"per_1000_people": "/1.000 dân", "per_km2": "/km²"}


def _points(value) -> str:
    """Points of a score; withheld for privacy (missing) when they would give a count back."""
    return "—" if value is None or pd.isna(value) else f"{value:.3f}"


def candidate_popup(c) -> str:
    """Escaped popup HTML of one ranked candidate: the score and each factor's share of it."""
    values = {
        "burden_count": count_text(c.incidents),  # missing: withheld for privacy
        "burden_rate": count_text(None)
        if pd.isna(c.rate)
        else f"{c.rate:.2f}{RATE_UNITS.get(c.rate_basis, '')}",
        "hotspot": "—" if pd.isna(c.z) else f"{c.z:.2f}",
        "mentoring": f"{int(c.covered_neighbours)}/{int(c.neighbours)}",
        "gap": f"{c.gap_share:.0%}",
    }
    rows = Markup("").join(
        Markup('<tr><th>{}</th><td class="tq-num">{}</td><td class="tq-num">+{}</td></tr>').format(
            bilingual(vi, en), values[key], _points(getattr(c, "c_" + key))
        )
        for key, vi, en in FACTORS
    )
    head = Markup("<tr><th>{}</th><th>{}</th><th>{}</th></tr>").format(
        bilingual("Yếu tố", "factor"), bilingual("Giá trị", "value"), bilingual("Điểm", "points")
    )
    total = Markup('<tr><th>{}</th><td></td><td class="tq-num"><b>{}</b></td></tr>').format(
        bilingual("Tổng điểm", "score"), _points(c.score)
    )
    components = list(c.recommended_components or [])
    advice = (
        Markup("<div class='tq-why'>{}: {}</div>").format(
            bilingual("Thành phần nên có", "components to start with"),
            esc(component_names(components)),
        )
        if components
        else Markup("")
    )
    return str(
        Markup("<h3>#{} {}</h3><table>{}{}{}</table>{}<div class='tq-why'>{}<br>{}</div>").format(
            int(c.rank),
            esc(c.name),
            head,
            rows,
            total,
            advice,
            esc(c.explanation_vi),
            Markup('<span class="tq-en">{}</span>').format(esc(c.explanation_en)),
        )
    )


def chosen_popup(row, summary: dict) -> str:
    """Escaped popup of one site the optimiser chose: its order and marginal gain."""
    demand = "vụ việc / incidents" if summary.get("demand") == "incidents" else "dân / people"
    return str(
        Markup("<h3>{} {}: {}</h3><table>{}{}</table>").format(
            bilingual("Vị trí mới", "new site"),
            int(row.order),
            esc(row.name),
            Markup("<tr><th>{}</th><td>+{} {} ({})</td></tr>").format(
                bilingual("Phủ thêm", "adds"),
                count_text(None if pd.isna(row.marginal_gain) else round(row.marginal_gain)),
                demand,
                "—" if pd.isna(row.marginal_gain) else f"{row.marginal_share:.1%}",
            ),
            Markup("<tr><th>{}</th><td>{:.1%}</td></tr>").format(
                bilingual("Độ phủ sau đó", "covered after"), row.share_after
            ),
        )
    )


def commune_tooltips(base: ProvinceBase, classes: pd.Series, candidates: pd.DataFrame) -> pd.Series:
    """Escaped tooltip per commune: name, class, and its rank when it is a top candidate."""
    names = base.communes["full_name"].map(lambda v: str(esc(v))).to_numpy()
    labels = classes.reindex(base.communes["code"]).fillna("uncovered")
    labels = labels.map(lambda k: str(bilingual(*PLAN_LABELS[k]))).to_numpy()
    ranks = candidates.set_index("code")["rank"].reindex(base.communes["code"])
    rank_text = ranks.map(
        lambda r: "" if pd.isna(r) else f"<br>Ứng viên / candidate #{int(r)}"
    ).to_numpy()
    return pd.Series("<b>" + names + "</b><br>" + labels + rank_text, index=base.communes.index)
