"""Boundaries: pinned fetch (folder and HTTP mirrors), checksums, idempotent loads, bad files."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis.boundaries import boundary_version, fetch_boundaries, load_boundary_file
from gis.boundary_fetch import Manifest, fetch_hint, pinned_commune_provinces
from gis.boundary_reader import FieldMap
from gis.errors import ChecksumMismatch, InputError, SourceUnavailable
from tests.helpers import count, snapshot

TABLES = ("admin_unit", "boundary_source")


def test_fetch_from_folder_mirror_loads_ninh_binh(nb_engine):
    assert count(nb_engine, "SELECT count(*) FROM admin_unit WHERE level='province'") == 1
    assert count(nb_engine, "SELECT count(*) FROM admin_unit WHERE parent_code='37'") == 129
    with nb_engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT name, full_name, unit_type, name_en, area_km2 FROM admin_unit "
                "WHERE code='13285'"
            )
        ).one()
        types = set(conn.scalars(sa.text("SELECT DISTINCT unit_type FROM admin_unit")))
        source = conn.execute(sa.text("SELECT * FROM boundary_source WHERE level='commune'")).one()
    assert row.name == "Phủ Lý" and row.full_name == "Phường Phủ Lý"
    assert row.unit_type == "Phường" and row.name_en == "Phu Ly"
    assert 11 < row.area_km2 < 13  # the publisher says 11.84 km²
    assert types == {"Tỉnh", "Xã", "Phường"}
    assert source.commit == "cd58063299585146ded3981f2272946ef19ced54"
    assert source.licence == "MIT" and "sapnhap.bando.com.vn" in source.attribution
    assert len(source.files) == 129 and source.feature_count == 129


def test_names_are_stored_nfc_and_round_trip(nb_engine):
    with nb_engine.connect() as conn:
        names = conn.scalars(sa.text("SELECT name FROM admin_unit")).all()
        decomposed = unicodedata.normalize("NFD", "Hoa Lư")
        found = conn.scalar(
            sa.text("SELECT count(*) FROM admin_unit WHERE name = :n"),
            {"n": unicodedata.normalize("NFC", decomposed)},
        )
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    assert found == 1


def test_every_commune_lies_inside_its_province(nb_engine):
    # The province polygon is the union of its full-resolution communes (the published
    # outline is simplified and cuts coastal communes by up to 6 km).
    outside = count(
        nb_engine,
        """SELECT count(*) FROM admin_unit c JOIN admin_unit p ON p.code = c.parent_code
            WHERE NOT ST_Within(ST_Transform(c.geom, 32648),
                                ST_Buffer(ST_Transform(p.geom, 32648), 5))""",
    )
    assert outside == 0


def test_fetch_over_http_mirror(blank_engine, settings_for, http_mirror, blank_url):
    result = fetch_boundaries(blank_engine, settings_for(blank_url), "37", source=http_mirror)
    assert [r.inserted for r in result.results] == [{"province": 1}, {"commune": 129}]
    assert count(blank_engine, "SELECT count(*) FROM admin_unit") == 130
    assert result.origin == http_mirror


def test_reload_is_idempotent(blank_engine, settings_for, blank_url, boundary_mirror):
    settings = settings_for(blank_url)
    fetch_boundaries(blank_engine, settings, "37")
    before, version = snapshot(blank_engine, *TABLES), boundary_version(blank_engine)
    again = fetch_boundaries(blank_engine, settings, "37")
    assert all(r.unchanged for r in again.results)
    assert snapshot(blank_engine, *TABLES) == before
    assert boundary_version(blank_engine) == version


def _corrupt_mirror(mirror: Path, tmp_path: Path) -> tuple[Path, str]:
    copy = tmp_path / "mirror"
    shutil.copytree(mirror / "json/geojson/37_ninh_binh", copy / "json/geojson/37_ninh_binh")
    shutil.copy(mirror / "LICENSE", copy / "LICENSE")
    victim = sorted((copy / "json/geojson/37_ninh_binh/wards").glob("*.geojson"))[40]
    victim.write_bytes(victim.read_bytes()[:-200])  # truncated in transit
    return copy, victim.name


def test_checksum_mismatch_loads_nothing(
    blank_engine, settings_for, blank_url, boundary_mirror, tmp_path
):
    mirror, victim = _corrupt_mirror(boundary_mirror, tmp_path)
    before = snapshot(blank_engine, *TABLES)
    with pytest.raises(ChecksumMismatch) as err:
        fetch_boundaries(blank_engine, settings_for(blank_url), "37", source=str(mirror))
    assert victim in str(err.value)
    assert snapshot(blank_engine, *TABLES) == before


def test_corrupted_cache_is_downloaded_again(blank_engine, settings_for, blank_url):
    settings = settings_for(blank_url)
    fetch_boundaries(blank_engine, settings, "37")
    cached = next((settings.cache_dir / "boundaries").rglob("13285_phu_ly.geojson"))
    cached.write_text("{}")
    fetch_boundaries(blank_engine, settings, "37")
    assert json.loads(cached.read_text())["features"][0]["properties"]["code"] == "13285"


def test_missing_file_in_mirror_names_it(blank_engine, settings_for, blank_url, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceUnavailable, match="LICENSE"):
        fetch_boundaries(
            blank_engine, settings_for(blank_url), "37", source=str(tmp_path / "empty")
        )


def test_unknown_province_is_refused(blank_engine, settings_for, blank_url):
    with pytest.raises(InputError, match="99"):
        fetch_boundaries(blank_engine, settings_for(blank_url), "99")


def test_province_without_pinned_communes_says_so_and_how_to_load_them(
    blank_engine, settings_for, blank_url, cli
):
    assert "79" not in pinned_commune_provinces()
    result = fetch_boundaries(blank_engine, settings_for(blank_url), "79")
    assert [r.inserted for r in result.results] == [{"province": 1}]
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert "pins no commune files for province 79" in warning
    assert "tuquan boundaries load FILE --level commune" in warning and "--parent 79" in warning
    code, out, err = cli(blank_url, "boundaries", "fetch", "--province", "79")
    assert code == 0, err
    assert "warning" in out and "pins no commune files for province 79" in " ".join(out.split())
    # The geocoder's hint for such a province names the load, not just the fetch.
    assert "boundaries load FILE --level commune" in fetch_hint("79")
    assert fetch_hint("37") == "`tuquan boundaries fetch --province 37`"


def test_pinned_provinces_and_all_have_no_warning(blank_engine, settings_for, blank_url):
    settings = settings_for(blank_url)
    assert fetch_boundaries(blank_engine, settings, "all").warnings == []
    assert fetch_boundaries(blank_engine, settings, "37").warnings == []


def test_ha_noi_has_126_communes_and_all_gives_34_provinces(blank_engine, settings_for, blank_url):
    settings = settings_for(blank_url)
    fetch_boundaries(blank_engine, settings, "01")
    assert count(blank_engine, "SELECT count(*) FROM admin_unit WHERE parent_code='01'") == 126
    fetch_boundaries(blank_engine, settings, "all")
    assert count(blank_engine, "SELECT count(*) FROM admin_unit WHERE level='province'") == 34
    assert len(Manifest.load().province_codes) == 34
    # Hà Nội keeps the exact union of its communes after the simplified outlines load.
    inside = count(
        blank_engine,
        """SELECT count(*) FROM admin_unit c JOIN admin_unit p ON p.code = c.parent_code
            WHERE ST_Within(ST_Transform(c.geom, 32648),
                            ST_Buffer(ST_Transform(p.geom, 32648), 5))""",
    )
    assert inside == 126


# -- `boundaries load`: any file ----------------------------------------------------------

SQUARE = [[105.90, 20.20], [105.95, 20.20], [105.95, 20.25], [105.90, 20.25], [105.90, 20.20]]
BOWTIE = [[105.90, 20.20], [105.95, 20.25], [105.95, 20.20], [105.90, 20.25], [105.90, 20.20]]


def _feature(code: str, ring: list, geometry_type: str = "Polygon", **props) -> dict:
    geometry = {"type": geometry_type, "coordinates": [ring]}
    if geometry_type == "Point":
        geometry["coordinates"] = ring[0]
    return {
        "type": "Feature",
        "properties": {"ma": code, "ten": f"Xã {code}", **props},
        "geometry": geometry,
    }


def _write(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


FIELDS = FieldMap(code="ma", name="ten")


def _province(engine, settings_for, url):
    fetch_boundaries(engine, settings_for(url), "all")


def test_invalid_polygon_is_repaired_and_reported(blank_engine, settings_for, blank_url, tmp_path):
    _province(blank_engine, settings_for, blank_url)
    path = _write(tmp_path / "bowtie.geojson", [_feature("90001", BOWTIE)])
    result = load_boundary_file(blank_engine, path, "commune", FIELDS)
    assert len(result.repairs) == 1 and "Self-intersection" in result.repairs[0]["reason"]
    with blank_engine.connect() as conn:
        valid, parent = conn.execute(
            sa.text("SELECT ST_IsValid(geom), parent_code FROM admin_unit WHERE code='90001'")
        ).one()
    assert valid and parent == "37"  # parent found by point-in-polygon


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("not_geojson.geojson", lambda p: p.write_text("this is not geojson"), "not a readable"),
        (
            "truncated.geojson",
            lambda p: p.write_text(
                json.dumps({"type": "FeatureCollection", "features": [_feature("1", SQUARE)]})[:-30]
            ),
            "not a readable",
        ),
        (
            "no_code.geojson",
            lambda p: _write(
                p,
                [
                    {
                        "type": "Feature",
                        "properties": {"ten": "X"},
                        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
                    }
                ],
            ),
            "no attribute 'ma'",
        ),
        ("points.geojson", lambda p: _write(p, [_feature("1", SQUARE, "Point")]), "Point"),
        (
            "utm_as_degrees.geojson",
            lambda p: _write(
                p, [_feature("1", [[600000 + x * 1e4, 2240000 + y * 1e4] for x, y in SQUARE])]
            ),
            "outside Vietnam",
        ),
        (
            "duplicate.geojson",
            lambda p: _write(p, [_feature("1", SQUARE), _feature("1", SQUARE)]),
            "more than once",
        ),
        (
            "empty_geometry.geojson",
            lambda p: _write(
                p, [{"type": "Feature", "properties": {"ma": "1", "ten": "X"}, "geometry": None}]
            ),
            "no geometry",
        ),
    ],
)
def test_bad_files_are_refused_and_change_nothing(
    blank_engine, settings_for, blank_url, tmp_path, name, make, message
):
    _province(blank_engine, settings_for, blank_url)
    before = snapshot(blank_engine, *TABLES)
    path = tmp_path / name
    make(path)
    with pytest.raises(InputError) as err:
        load_boundary_file(blank_engine, path, "commune", FIELDS)
    assert message in str(err.value)
    assert name in str(err.value)
    assert snapshot(blank_engine, *TABLES) == before


def test_projected_file_is_reprojected(blank_engine, settings_for, blank_url, tmp_path):
    _province(blank_engine, settings_for, blank_url)
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 32648, always_xy=True)
    ring = [list(to_utm.transform(x, y)) for x, y in SQUARE]
    path = _write(tmp_path / "utm.geojson", [_feature("90002", ring)], crs="EPSG:32648")
    load_boundary_file(blank_engine, path, "commune", FIELDS)
    with blank_engine.connect() as conn:
        x, y = conn.execute(
            sa.text("SELECT ST_XMin(geom), ST_YMin(geom) FROM admin_unit WHERE code='90002'")
        ).one()
    assert x == pytest.approx(105.90, abs=1e-6) and y == pytest.approx(20.20, abs=1e-6)


def test_commune_outside_any_province_is_refused(blank_engine, tmp_path):
    before = snapshot(blank_engine, *TABLES)
    path = _write(tmp_path / "orphan.geojson", [_feature("90003", SQUARE)])
    with pytest.raises(InputError, match="no province"):
        load_boundary_file(blank_engine, path, "commune", FIELDS)
    assert snapshot(blank_engine, *TABLES) == before


def test_level_change_is_refused(blank_engine, settings_for, blank_url, tmp_path):
    _province(blank_engine, settings_for, blank_url)
    path = _write(tmp_path / "clash.geojson", [_feature("37", SQUARE)])
    with pytest.raises(InputError, match="already loaded as a province"):
        load_boundary_file(blank_engine, path, "commune", FIELDS)


def test_national_simplified_file_loads_with_parent_field(
    blank_engine, settings_for, blank_url, shared_data
):
    _province(blank_engine, settings_for, blank_url)
    path = shared_data / "national" / "vn_wards_2025_simplified.geojson.gz"
    fields = FieldMap(
        code="code", name="name", full_name="fullName", name_en="nameEn", parent="province_code"
    )
    result = load_boundary_file(blank_engine, path, "commune", fields)
    assert result.inserted == {"commune": 3321}


# -- `tuquan boundaries load` of GeoPackage and Shapefile ---------------------------------


def _real_communes(mirror: Path, crs=None):
    """Phủ Lý (13285) and Nam Hoa Lư (14359) as published, with Vietnamese field names."""
    import geopandas as gpd
    import pandas as pd

    wards = mirror / "json/geojson/37_ninh_binh/wards"
    frames = [gpd.read_file(next(wards.glob(f"{c}_*.geojson"))) for c in ("13285", "14359")]
    frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    frame = frame.rename(columns={"code": "ma", "name": "ten"})[["ma", "ten", "geometry"]]
    assert list(frame["ma"]) == ["13285", "14359"]
    return frame.to_crs(crs) if crs else frame


def _areas(engine) -> dict[str, float]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT code, area_km2 FROM admin_unit WHERE code IN ('13285', '14359')")
        ).all()
    return dict(rows)


def test_geopackage_in_utm_loads_through_the_cli(
    cli, blank_engine, settings_for, blank_url, boundary_mirror, tmp_path
):
    import pyogrio

    _province(blank_engine, settings_for, blank_url)
    path = tmp_path / "xa_phuong.gpkg"
    pyogrio.write_dataframe(_real_communes(boundary_mirror, 32648), path, layer="xa")
    code, out, err = cli(
        blank_url, "boundaries", "load", str(path), "--level", "commune",
        "--code-field", "ma", "--name-field", "ten",
    )  # fmt: skip
    assert code == 0, err
    assert "commune: 2 new" in out
    areas = _areas(blank_engine)
    assert areas["13285"] == pytest.approx(11.84, rel=0.02)  # the publisher's 11.84 km²
    with blank_engine.connect() as conn:
        parents = set(
            conn.scalars(sa.text("SELECT parent_code FROM admin_unit WHERE level='commune'"))
        )
        source = conn.execute(sa.text("SELECT * FROM boundary_source WHERE level='commune'")).one()
    assert parents == {"37"} and "xa_phuong.gpkg" in source.files
    code, out, _ = cli(
        blank_url, "boundaries", "load", str(path), "--level", "commune",
        "--code-field", "ma", "--name-field", "ten",
    )  # fmt: skip
    assert code == 0 and "nothing changed" in out


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # on purpose
def test_shapefile_without_crs_is_read_as_crs84(
    cli, blank_engine, settings_for, blank_url, boundary_mirror, tmp_path
):
    import pyogrio

    _province(blank_engine, settings_for, blank_url)
    frame = _real_communes(boundary_mirror).set_crs(None, allow_override=True)
    path = tmp_path / "xa.shp"
    pyogrio.write_dataframe(frame, path)
    assert not path.with_suffix(".prj").exists()
    code, out, err = cli(
        blank_url, "boundaries", "load", str(path), "--level", "commune",
        "--code-field", "ma", "--name-field", "ten",
    )  # fmt: skip
    assert code == 0, err
    assert "commune: 2 new" in out
    assert _areas(blank_engine)["13285"] == pytest.approx(11.84, rel=0.02)
    with blank_engine.connect() as conn:
        name = conn.scalar(sa.text("SELECT name FROM admin_unit WHERE code = '14359'"))
    assert name == "Nam Hoa Lư"  # UTF-8 attributes survive the .dbf


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # on purpose
def test_projected_shapefile_without_crs_is_refused_until_crs_is_given(
    cli, blank_engine, settings_for, blank_url, boundary_mirror, tmp_path
):
    import pyogrio

    _province(blank_engine, settings_for, blank_url)
    frame = _real_communes(boundary_mirror, 32648).set_crs(None, allow_override=True)
    path = tmp_path / "utm_khong_crs.shp"
    pyogrio.write_dataframe(frame, path)
    before = snapshot(blank_engine, *TABLES)
    args = ("boundaries", "load", str(path), "--level", "commune",
            "--code-field", "ma", "--name-field", "ten")  # fmt: skip
    code, out, err = cli(blank_url, *args)
    assert code == 1 and "Traceback" not in out + err
    assert "utm_khong_crs.shp" in err and "outside Vietnam" in err and "--crs" in err
    assert snapshot(blank_engine, *TABLES) == before
    code, out, err = cli(blank_url, *args, "--crs", "EPSG:32648")
    assert code == 0, err
    assert _areas(blank_engine)["13285"] == pytest.approx(11.84, rel=0.02)
