"""Coverage, hotspot and planning maps without a browser: classes, colours, escaping, size."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pyproj import Transformer

from gis.coverage import site_states
from gis.domain import SITE_KINDS, SITE_STATUSES
from gis.hotspots import hotspots_result
from gis.incident_filter import IncidentFilter
from gis.map_records import incident_span
from gis.planning import candidates_result
from maps.build import BuildRequest, build_province_maps
from maps.coverage import commune_classes, coverage_map, read_coverage
from maps.hotspots import hotspot_map, read_hotspots
from maps.icons import fa_solid
from maps.offline import external_references
from maps.planning import planning_map, read_planning
from maps.province import load_province
from maps.raster import density_image, metric_grid
from maps.sites import site_rows
from maps.themes import (
    GI_BIN_COLOURS,
    SITE_ICONS,
    SITE_STATUS_COLOURS,
    commune_status,
    gi_bin_label,
    gi_bins,
    plan_class,
)
from tests.gis import analysis_fixtures as afx
from tests.helpers import count
from tests.maps import thematic_fixtures as fx
from tests.maps.records import AS_OF, EVIL_SITE

thematic_url = fx.thematic_url
thematic_engine = fx.thematic_engine
thematic_base = fx.thematic_base
analysis_url = afx.analysis_url
analysis_engine = afx.analysis_engine  # Ninh Bình with no records (emptied per test)
MAX_BYTES = 2_000_000
SYNTHETIC = json.dumps("Dữ liệu mô phỏng")[1:-1]  # the label's text inside the page's script


def test_commune_status_classes():
    status = pd.Series(["replicated", "pilot", "planned", "suspended", None])
    assert commune_status(status).tolist() == ["replicated", "pilot", "none", "none", "none"]


def test_gi_bins_and_their_names():
    assert gi_bins([3, 2.0, -1, 0, np.nan, 5, -7]).tolist() == [3, 2, -1, 0, 0, 3, -3]
    assert gi_bin_label(3) == ("Điểm nóng, tin cậy 99 %", "hot spot, 99 % confidence")
    assert gi_bin_label(-2) == ("Điểm lạnh, tin cậy 95 %", "cold spot, 95 % confidence")
    assert "90 %" in gi_bin_label(1)[1] and gi_bin_label(0)[1] == "not significant"
    # red for hot, blue for cold, white-ish in the middle: the usual 7 classes
    assert sorted(GI_BIN_COLOURS) == list(range(-3, 4))
    red, blue = GI_BIN_COLOURS[3], GI_BIN_COLOURS[-3]
    assert int(red[1:3], 16) > int(red[5:7], 16) and int(blue[5:7], 16) > int(blue[1:3], 16)


def test_plan_classes():
    covered = pd.Series([True, False, False, False, True])
    bins = pd.Series([3, 2, 0, -3, np.nan])
    assert plan_class(covered, bins).tolist() == [
        "covered", "gap", "uncovered", "uncovered", "covered"
    ]  # fmt: skip


def test_every_kind_and_status_has_an_icon_and_colour():
    assert set(SITE_ICONS) == {t.key for t in SITE_KINDS}
    assert set(SITE_STATUS_COLOURS) == {t.key for t in SITE_STATUSES}
    icons = [fa_solid(name) for name in SITE_ICONS.values()]
    assert len({i.path for i in icons}) == len(icons)  # five distinct glyphs
    assert all(i.view_box.startswith("0 0 ") for i in icons)


def test_coverage_classes_agree_with_the_site_states(thematic_engine):
    data = read_coverage(thematic_engine, "37", AS_OF)
    classes = commune_classes(data.communes)
    states = site_states(thematic_engine, [AS_OF], "37")
    active = states[states["active"]]
    expected = set(active["commune_code"])
    assert set(classes.index[classes["st"] != "none"]) == expected
    replicated = set(active.loc[active["status"] == "replicated", "commune_code"])
    assert set(classes.index[classes["st"] == "replicated"]) == replicated
    assert len(data.sites) == int(states["status"].notna().sum())
    assert data.synthetic


def test_site_texts_are_escaped_in_the_marker_rows(thematic_engine):
    sites = read_coverage(thematic_engine, "37", AS_OF).sites
    rows = site_rows(sites)
    evil = next(r for r in rows if r[13] == EVIL_SITE)
    assert "<script>" not in evil[4] and "&lt;script&gt;" in evil[4]
    assert all("<" not in str(v) for r in rows for v in r[4:8])  # name, ref, host, commune


def test_maps_are_light_self_contained_and_escaped(thematic_engine, thematic_base, tmp_path):
    coverage = read_coverage(thematic_engine, "37", AS_OF)
    saved = coverage_map(thematic_base, coverage).save(tmp_path / "coverage.html")
    html = saved.path.read_text()
    assert "<script>window.pwned" not in html and "<img src=x" not in html
    hotspots = read_hotspots(thematic_engine, IncidentFilter("37"))
    planning = read_planning(thematic_engine, IncidentFilter("37"), as_of=AS_OF)
    sizes = {"coverage": saved.html_bytes}
    for name, m in (("hotspots", hotspot_map(thematic_base, hotspots)),
                    ("planning", planning_map(thematic_base, planning))):  # fmt: skip
        sizes[name] = m.save(tmp_path / f"{name}.html").html_bytes
    print("map sizes (bytes):", sizes)
    for name in sizes:
        text = (tmp_path / f"{name}.html").read_text()
        assert external_references(text) == [], name
        assert SYNTHETIC in text, name  # seeded records are demo data
        assert sizes[name] <= MAX_BYTES, name


def test_planning_as_of_a_past_date_reads_one_window(thematic_engine, thematic_base, tmp_path):
    past = date(2024, 12, 31)
    everything = incident_span(thematic_engine, IncidentFilter("37"))
    assert everything.last_day > past  # incidents came after the as-of day
    data = read_planning(thematic_engine, IncidentFilter("37"), as_of=past)
    assert data.incidents.end == date(2025, 1, 1)  # the as-of day included
    assert data.span.last_day <= past and data.span.incidents < everything.incidents
    # gaps, ranking and optimiser all read that window
    window = IncidentFilter("37", end=date(2025, 1, 1))
    bins = hotspots_result(thematic_engine, window).frame.set_index("code")["bin"]
    covered = read_coverage(thematic_engine, "37", past).communes.set_index("code")["covered"]
    expected = plan_class(covered, bins.reindex(covered.index).fillna(0))
    assert data.classes.sort_index().equals(expected.sort_index())
    ranked = candidates_result(thematic_engine, "37", as_of=past, incidents=window).frame
    assert data.candidates["code"].tolist() == ranked.head(len(data.candidates))["code"].tolist()
    html = planning_map(thematic_base, data).save(tmp_path / "planning.html").path.read_text()
    assert json.dumps("01/01/2024 – 31/12/2024")[1:-1] in html  # the window in the title
    assert json.dumps("2024 – 31/12/2025")[1:-1] not in html


def test_hotspot_data_has_all_three_layers(thematic_engine):
    data = read_hotspots(thematic_engine, IncidentFilter("37"))
    assert data.notes == []
    assert (data.communes["bin"] == 3).sum() >= 3  # the seeded cluster
    assert len(data.grid) and (data.grid["bin"] != 0).all()
    assert data.density is not None and data.density.peak_per_km2 > 0
    narrow = read_hotspots(
        thematic_engine, IncidentFilter("37", date(2024, 1, 1), date(2024, 7, 1), ("crime",))
    )
    assert narrow.span.incidents < data.span.incidents


def test_density_image_sits_where_the_density_is(thematic_engine):
    data = read_hotspots(thematic_engine, IncidentFilter("37"))
    frame = data.density_frame
    cell = data.density_summary["cell_m"]
    grid, _x0, _y0 = metric_grid(frame, cell)
    assert grid.sum() == pytest.approx(frame["density_per_km2"].sum())
    image = density_image(frame, cell, "EPSG:32648")
    (south, west), (north, east) = image.bounds
    peak = frame.loc[frame["density_per_km2"].idxmax()]
    assert west < peak.lon < east and south < peak.lat < north
    # The peak's pixel (found through Web Mercator) is the most opaque of the image.
    to_merc = Transformer.from_crs(4326, 3857, always_xy=True)
    (mx0, mx1), (my0, my1) = to_merc.transform([west, east], [south, north])
    px, py = to_merc.transform(peak.lon, peak.lat)
    height, width = image.rgba.shape[:2]
    col = int((px - mx0) / (mx1 - mx0) * width)
    row = int((my1 - py) / (my1 - my0) * height)
    alpha = image.rgba[..., 3]
    assert alpha[row - 1 : row + 2, col - 1 : col + 2].max() >= alpha.max() - 3
    assert alpha[0, 0] == 0  # nothing far from the incidents


def test_maps_of_a_province_without_records(analysis_engine, tmp_path):
    base = load_province(analysis_engine, "37")
    request = BuildRequest("37", tmp_path, figures=False)
    built = build_province_maps(analysis_engine, request, base=base)
    assert [b.name for b in built] == ["base-map", "coverage", "hotspots", "planning"]
    hot = (tmp_path / "hotspots.html").read_text()
    assert json.dumps("Lớp không vẽ được")[1:-1] in hot  # says which layers are missing
    assert SYNTHETIC not in hot


def test_figures_are_a4_with_the_analysis(thematic_engine, thematic_base, tmp_path):
    request = BuildRequest("37", tmp_path, as_of=AS_OF)
    built = build_province_maps(thematic_engine, request, base=thematic_base)
    before = count(thematic_engine, "SELECT count(*) FROM analysis_result")
    for item in built:
        with Image.open(item.figure.png) as png:
            assert png.size == (2338, 1653)  # landscape A4 at 200 dpi
        assert item.figure.pdf.read_bytes().startswith(b"%PDF")
        assert item.figure.png.stat().st_size > 100_000
    # built again (maps only): the stored results are read, none is added
    again = BuildRequest("37", tmp_path / "again", as_of=AS_OF, figures=False)
    build_province_maps(thematic_engine, again, base=thematic_base)
    assert count(thematic_engine, "SELECT count(*) FROM analysis_result") == before
    assert {p.name for p in Path(tmp_path).iterdir()} >= {
        f"{n}.{ext}" for n in ("coverage", "hotspots", "planning") for ext in ("html", "png", "pdf")
    }
