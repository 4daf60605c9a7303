"""The province base map's data: real communes from PostGIS, simplified as a coverage."""

from __future__ import annotations

import time

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis.errors import NotFound
from maps.base import province_base_map
from maps.legacy_names import former_names
from maps.offline import external_references
from maps.province import COORD_DECIMALS, load_province
from tests.helpers import snapshot


@pytest.fixture(scope="module")
def nb_base(nb_engine):
    return load_province(nb_engine, "37")


@pytest.fixture(scope="module")
def full_resolution(nb_engine) -> gpd.GeoDataFrame:
    return gpd.read_postgis(
        "SELECT code, name, area_km2, geom FROM admin_unit WHERE parent_code = '37' ORDER BY code",
        nb_engine,
        geom_col="geom",
    )


def test_all_communes_with_fewer_vertices(nb_base, full_resolution):
    assert nb_base.name == "Ninh Bình" and len(nb_base.communes) == 129
    assert list(nb_base.communes.code) == list(full_resolution.code)
    assert nb_base.vertices_before == shapely.get_num_coordinates(full_resolution.geom.values).sum()
    assert nb_base.vertices_after < 0.6 * nb_base.vertices_before
    assert "sapnhap.bando.com.vn" in nb_base.attribution and nb_base.data_as_of is not None


def test_coordinates_are_rounded_to_about_a_metre(nb_base):
    xy = shapely.get_coordinates(nb_base.communes.geometry.values)
    scaled = xy * 10**COORD_DECIMALS
    np.testing.assert_allclose(scaled, np.round(scaled), atol=1e-6)


def test_shapes_stay_true_and_shared_edges_stay_shared(nb_base, full_resolution):
    metric = nb_base.metric_crs
    simplified_km2 = nb_base.communes.to_crs(metric).area.to_numpy() / 1e6
    source_km2 = full_resolution.to_crs(metric).area.to_numpy() / 1e6
    np.testing.assert_allclose(simplified_km2, source_km2, rtol=0.02)  # ≤ 2 % per commune
    # No gaps or overlaps appear between neighbours: the parts add up to the whole, as in
    # the source (which has its own tiny overlaps: compare like with like).
    outline_km2 = gpd.GeoSeries([nb_base.outline], crs=4326).to_crs(metric).area[0] / 1e6
    source_union_km2 = shapely.union_all(full_resolution.to_crs(metric).geometry.values).area / 1e6
    assert abs(simplified_km2.sum() - outline_km2) / outline_km2 < 0.001
    assert abs(outline_km2 - source_union_km2) / source_union_km2 < 0.002
    # Neighbours in the source still touch along an edge (not just at a point).
    geoms = nb_base.communes.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    shared = shapely.length(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    source = full_resolution.geom.values
    source_shared = shapely.length(
        shapely.intersection(
            shapely.boundary(source[left[pairs]]), shapely.boundary(source[right[pairs]])
        )
    )
    edges = source_shared > 1e-3  # real shared edges (> ~100 m) in the source
    assert edges.sum() > 250
    assert (shared[edges] > 0.5 * source_shared[edges]).all()


def test_map_is_under_2_mb_and_lighter_than_a_plain_choropleth(nb_base, full_resolution, tmp_path):
    started = time.perf_counter()
    saved = province_base_map(nb_base).save(tmp_path / "base.html")
    build_s = time.perf_counter() - started
    plain = folium.Map(location=[20.25, 105.97], zoom_start=9)
    data = full_resolution.assign(value=np.arange(len(full_resolution)))
    folium.Choropleth(
        data, data=data, columns=["code", "value"], key_on="feature.properties.code"
    ).add_to(plain)
    plain_bytes = len(plain.get_root().render().encode())
    print(
        f"base map {saved.html_bytes / 1e6:.2f} MB in {build_s:.1f} s; "
        f"plain folium choropleth {plain_bytes / 1e6:.2f} MB; "
        f"ratio {saved.html_bytes / plain_bytes:.2f}"
    )
    assert saved.html_bytes <= 2_000_000
    assert saved.html_bytes < 0.7 * plain_bytes
    assert external_references(saved.path.read_text()) == []


def test_unknown_province_is_a_clear_error(nb_engine, blank_engine):
    before = snapshot(nb_engine, "admin_unit", "boundary_source")
    with pytest.raises(NotFound, match="'99' is not loaded") as err:
        load_province(nb_engine, "99")
    assert "tuquan boundaries fetch --province 99" in err.value.hint
    with pytest.raises(NotFound, match="not loaded"):
        load_province(blank_engine, "37")
    assert snapshot(nb_engine, "admin_unit", "boundary_source") == before


def test_pre_2025_names_point_at_current_communes(nb_base):
    names = former_names("37")
    assert set(names) <= set(nb_base.communes.code)
    assert sum(len(v) for v in names.values()) > 300  # three old provinces merged
    holders = [code for code, olds in names.items() if ("Ninh Hải", "Thành phố Hoa Lư") in olds]
    assert len(holders) == 1


def test_a_province_without_communes_says_how_to_load_them(blank_engine, blank_url, settings_for):
    from gis.boundaries import fetch_boundaries

    fetch_boundaries(blank_engine, settings_for(blank_url), "all")  # outlines only
    before = snapshot(blank_engine, "admin_unit")
    with pytest.raises(NotFound, match="has no communes loaded") as err:
        load_province(blank_engine, "37")
    assert "--province 37" in err.value.hint
    assert snapshot(blank_engine, "admin_unit") == before
