"""ProvinceMap as the layer the thematic maps build on (no browser)."""

from __future__ import annotations

import json

import folium
import pandas as pd
import pytest
from markupsafe import Markup

from maps.base import MapOptions, ProvinceMap
from maps.controls import LegendItem
from maps.offline import external_references
from maps.province import load_province


def _js(text: str) -> str:
    """How text appears inside the page's script (JSON-escaped, non-ASCII as \\u)."""
    return json.dumps(text)[1:-1]


@pytest.fixture(scope="module")
def nb_base(nb_engine):
    return load_province(nb_engine, "37")


def test_thematic_restyle_properties_tooltips_and_layers(nb_base, tmp_path):
    codes = nb_base.communes.code
    status = pd.DataFrame(
        {"status": ["pilot" if i % 3 == 0 else "none" for i in range(len(codes))]},
        index=codes.to_numpy(),
    )
    colours = {"pilot": "#1b7837", "none": "#f7f7f7"}
    tips = "<b>" + nb_base.communes.name + "</b>"  # already-escaped HTML from the caller
    pm = ProvinceMap(
        nb_base,
        "Bản đồ thử",
        "test map",
        MapOptions(synthetic=True),
        commune_properties=status,
        commune_style=lambda f: {"fillColor": colours[f["properties"]["status"]], "weight": 1},
        commune_tooltips=tips,
        title_lines=(Markup("Kỳ / period: 2025"),),
    )
    pm.add(folium.FeatureGroup(name="Mô hình / sites"))
    pm.add_legend("Trạng thái", "status", (LegendItem("Thí điểm", "pilot", fill="#1b7837"),))
    saved = pm.save(tmp_path / "t.html")
    pm.save(tmp_path / "t.html")  # saving twice adds no second layer control
    html = saved.path.read_text()
    assert "#1b7837" in html and "#f7f7f7" in html
    assert html.count("L.control.layers(") == 1
    assert _js("Kỳ / period: 2025") in html and _js("Mô hình / sites") in html
    assert _js("Thí điểm") in html and "province boundary" in html  # base legend rows kept
    assert "tq-synthetic" in html
    assert external_references(html) == []
