"""A4 static figures: PNG and PDF, metric scale, the province filling the page."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from matplotlib_scalebar.scalebar import ScaleBar
from PIL import Image

from maps.base import BASE_LEGEND
from maps.figures import (
    FigureText,
    a4_map_figure,
    add_legend,
    add_north_arrow,
    add_scale_bar,
    draw_communes,
    province_figure,
)
from maps.province import load_province

A4_PT = (595.28, 841.89)


@pytest.fixture(scope="module")
def nb_base(nb_engine):
    return load_province(nb_engine, "37")


def test_province_figure_is_a4_png_and_pdf(nb_base, tmp_path):
    saved = province_figure(nb_base, tmp_path / "base-map", made_on=date(2025, 7, 1))
    with Image.open(saved.png) as png:
        width, height = png.size
    # Ninh Bình is wider than tall: landscape A4 at 200 dpi.
    assert (width, height) == (int(297 / 25.4 * 200), int(210 / 25.4 * 200))  # matplotlib floors
    pdf = saved.pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    box = [float(v) for v in re.search(rb"/MediaBox \[([^\]]+)\]", pdf).group(1).split()]
    assert box[2:] == pytest.approx(A4_PT[::-1], abs=0.5)
    assert b"/FontFile2" in pdf  # TrueType embedded: Vietnamese text prints as text
    assert saved.png.stat().st_size > 100_000  # a drawn map, not an empty page


def test_the_axes_are_metres_matching_postgis(nb_base, nb_engine):
    text = FigureText("t", "t", "s", "src")
    _fig, ax = a4_map_figure(nb_base.communes_metric.total_bounds, text)
    with nb_engine.connect() as conn:
        width_m = conn.scalar(
            sa.text(
                "SELECT ST_XMax(e) - ST_XMin(e) FROM "
                "(SELECT ST_Extent(ST_Transform(geom, :srid)) e "
                "FROM admin_unit WHERE parent_code = '37') s"
            ),
            {"srid": nb_base.metric_crs.to_epsg()},
        )
    x0, x1 = ax.get_xlim()
    assert (x1 - x0) / 1.06 == pytest.approx(width_m, rel=0.01)  # 3 % margin each side
    assert width_m == pytest.approx(110_000, rel=0.1)  # Ninh Bình is ~110 km across


def test_scale_bar_north_arrow_legend_and_labels(nb_base, tmp_path):
    text = FigureText("Tiêu đề", "title", "phụ đề", "nguồn / source", synthetic=True)
    fig, ax = a4_map_figure(nb_base.communes_metric.total_bounds, text)
    draw_communes(ax, nb_base)
    bar = add_scale_bar(ax)
    add_north_arrow(ax)
    legend = add_legend(ax, "Chú giải / legend", BASE_LEGEND)
    assert isinstance(bar, ScaleBar) and bar.units == "m" and bar.dx == 1
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [
        "Ranh giới tỉnh / province boundary",
        "Xã, phường, đặc khu / commune, ward, special zone",
    ]
    texts = [t.get_text() for t in fig.texts] + [t.get_text() for t in ax.texts]
    assert "DỮ LIỆU MÔ PHỎNG / SYNTHETIC DATA" in texts and "B / N" in texts
    assert "nguồn / source" in texts


def test_a_tall_extent_gets_a_portrait_page():
    fig, _ax = a4_map_figure((0, 0, 50_000, 120_000), FigureText("t", "t", "s", "src"))
    assert tuple(fig.get_size_inches()) == pytest.approx((210 / 25.4, 297 / 25.4))
