"""The geocoder on a real PostGIS with Ninh Bình loaded: results, points, cache, bad input."""

from __future__ import annotations

import gc
import math

import pytest
import sqlalchemy as sa

from gis.boundaries import boundary_version, fetch_boundaries
from gis.database import make_engine
from gis.geocoding import Candidate, Geocoder, GeocodeResult
from gis.settings import Settings
from tests.helpers import count, snapshot


@pytest.fixture(scope="module")
def nb_geo_engine(make_test_database, boundary_mirror, tmp_path_factory):
    """Ninh Bình in a database of this module's own (the cache table is written)."""
    url = make_test_database("geocode")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("geocode-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def geocoder(nb_geo_engine):
    return Geocoder.from_engine(nb_geo_engine)


def _inside(engine, code: str, lon: float, lat: float) -> bool:
    with engine.connect() as conn:
        return conn.scalar(
            sa.text(
                "SELECT ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) "
                "FROM admin_unit WHERE code = :c"
            ),
            {"x": lon, "y": lat, "c": code},
        )


def test_pre_2025_address_resolves_to_the_current_commune_and_old_centroid(geocoder):
    r = geocoder.geocode("thôn 3, xã Ninh Hải, huyện Hoa Lư, tỉnh Ninh Bình")
    assert isinstance(r, GeocodeResult)
    assert (r.status, r.commune_code, r.province_code) == ("matched", "14359", "37")
    assert r.commune_name == "Phường Nam Hoa Lư" and r.province_name == "Tỉnh Ninh Bình"
    assert r.legacy == "Xã Ninh Hải, Thành phố Hoa Lư, Tỉnh Ninh Bình"
    assert r.precision == "legacy_commune"  # the old centroid lies inside the new ward
    assert _inside(geocoder.engine, "14359", r.lon, r.lat)
    assert r.score >= 0.9 and r.candidates == [] and r.reason is None
    assert r.as_dict()["commune_code"] == "14359"


def test_abbreviated_and_village_forms(geocoder):
    r = geocoder.geocode("P. Phủ Lý, Ninh Binh")
    assert (r.status, r.commune_code, r.precision) == ("matched", "13285", "commune")
    assert _inside(geocoder.engine, "13285", r.lon, r.lat)  # ST_PointOnSurface, not a centroid
    r = geocoder.geocode("so 12 ngo 5 xom dong xa gia vien h gia vien nb")
    assert (r.status, r.commune_code) == ("matched", "14464")


def test_house_parts_with_diacritics_and_units_without(geocoder):
    """A part without diacritics is read as such in an address that has some elsewhere:
    "Xa" is still "xã", and its missing marks break no ties."""
    plain = geocoder.geocode("Xa Ninh Hai, Huyen Hoa Lu, Tinh Ninh Binh")
    assert (plain.status, plain.commune_code) == ("matched", "14359")
    for text in ("số 12 ngõ 5, thôn 3, Xa Ninh Hai, Huyen Hoa Lu, Tinh Ninh Binh",
                 "Số nhà 7, Xa Ninh Hai, Huyen Hoa Lu, Ninh Bình"):  # fmt: skip
        r = geocoder.geocode(text)
        assert (r.status, r.commune_code) == ("matched", "14359"), (text, r.reason)
        assert r.score == plain.score


def test_a_commune_whose_name_starts_like_a_type_word(national_engine):
    """Without diacritics "xa dung" is "xã Dung" or the commune Xa Dung: both readings
    are weighed, and the province decides."""
    geocoder = Geocoder.from_engine(national_engine)
    for text in ("xa dung, dien bien", "Xa Dung, Điện Biên", "xa xa dung, tinh dien bien"):
        r = geocoder.geocode_many([text], use_cache=False)[0]
        assert (r.status, r.commune_code) == ("matched", "03208"), (text, r.reason)


def test_coordinates_in_text_and_locate(geocoder):
    for text in ("20.25, 105.97", "105.97 20.25", "20°15'N 105°58'E"):
        r = geocoder.geocode(text)
        assert (r.status, r.precision, r.commune_code) == ("matched", "coordinates", "14329")
    r = geocoder.locate(105.97, 20.25)
    assert (r.status, r.commune_code, r.lon, r.lat) == ("matched", "14329", 105.97, 20.25)


def test_points_outside_vietnam_or_outside_the_loaded_communes(geocoder):
    r = geocoder.locate(2.35, 48.85)
    assert r.status == "invalid" and "outside Vietnam" in r.reason
    r = geocoder.locate(105.85, 21.03)  # Hà Nội: in Vietnam, not loaded here
    assert r.status == "unmatched" and r.commune_code is None
    assert "--province 01" in r.reason
    r = geocoder.geocode("16.5, 112.0")  # at sea in the Hoàng Sa archipelago
    assert r.status == "unmatched" and "Hoàng Sa" in r.reason
    r = geocoder.geocode("48.85, 2.35")
    assert r.status == "invalid" and r.lon is None


def test_a_unit_whose_boundaries_are_not_loaded_is_never_guessed(geocoder):
    r = geocoder.geocode("Phường Ba Đình, Thành phố Hà Nội")
    assert r.status == "unmatched" and r.commune_code is None and r.lon is None
    assert "Ba Đình" in r.reason and "tuquan boundaries fetch --province 01" in r.reason


def test_split_old_commune_is_ambiguous_unless_the_address_decides(geocoder):
    r = geocoder.geocode("Phường Hoàng Đông, Thị xã Duy Tiên, Tỉnh Hà Nam")
    assert r.status == "ambiguous" and r.commune_code is None
    assert {c.commune_code for c in r.candidates} == {"13336", "13366"}
    assert all(isinstance(c, Candidate) and c.province_code == "37" for c in r.candidates)
    assert "split" in r.reason and r.legacy.startswith("Phường Hoàng Đông")
    r = geocoder.geocode("Phường Hoàng Đông, TX Duy Tiên, Hà Nam, nay là phường Duy Hà")
    assert (r.status, r.commune_code) == ("matched", "13336")


@pytest.mark.parametrize(
    ("text", "loaded", "readings"),
    [
        # A current ward, an old commune elsewhere and the former city of that name.
        ("Phủ Lý", {"13285", "13366", "13291", "13318", "13444"}, "Thành phố Phủ Lý"),
        ("phu ly", {"13285"}, "Xã Phú Lý (Đồng Nai)"),  # without diacritics: Phú Lý too
        # A commune of Khánh Hòa (not loaded) and old communes, one now in Ninh Bình.
        ("Ninh Hải", {"14359"}, "Xã Ninh Hải, Thành phố Hoa Lư, Tỉnh Ninh Bình"),
        ("Gia Viễn", {"14464"}, "Huyện Gia Viễn, Tỉnh Ninh Bình"),
    ],
)
def test_a_bare_name_lists_what_it_can_stand_for(geocoder, text, loaded, readings):
    r = geocoder.geocode(text)
    assert r.status == "ambiguous" and r.commune_code is None and r.lon is None
    assert "the rest of the address" not in r.reason
    assert "is the only name in the address" in r.reason and readings in r.reason
    found = [c.commune_code for c in r.candidates]
    assert loaded <= set(found) and len(found) == len(set(found))
    assert all(c.province_code == "37" for c in r.candidates)  # only loaded communes
    assert r.candidates[0].score == max(c.score for c in r.candidates)


def test_a_bare_name_whose_communes_are_not_loaded_says_what_to_load(geocoder):
    r = geocoder.geocode("Ba Đình")  # Hà Nội's ward and district, and Thanh Hóa's communes
    assert r.status == "unmatched" and r.candidates == []
    assert "is the only name in the address" in r.reason and "Quận Ba Đình" in r.reason
    assert "tuquan boundaries fetch --province 01" in r.reason
    assert "boundaries load FILE --level commune" in r.reason  # 38 has no pinned communes
    assert "the rest of the address" not in r.reason


def test_a_commune_of_a_province_without_pinned_communes_says_how_to_load_it(geocoder):
    r = geocoder.geocode("Phường Bến Thành, Thành phố Hồ Chí Minh")
    assert r.status == "unmatched" and r.commune_code is None
    assert "tuquan boundaries fetch --province 79" in r.reason
    assert "--parent 79" in r.reason and "pins commune files for 01, 37 only" in r.reason


def test_only_a_province_or_the_wrong_province(geocoder):
    r = geocoder.geocode("Ninh Bình")
    assert (r.status, r.precision, r.province_code) == ("unmatched", "province", "37")
    assert r.commune_code is None and "names a province, not a commune" in r.reason
    r = geocoder.geocode("Xã Gia Viễn, Hà Nội")
    assert r.status == "unmatched" and r.commune_code is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "!!! ??? ...",
        "x" * 10_000,
        "\x00\x01\x02 binary \xff\xfe",
        b"\xff\xfe\x00",
        None,
        float("nan"),
        "lorem ipsum dolor sit amet",
        "😀😀",
        "123456",
    ],
)
def test_malformed_input_never_raises(geocoder, value):
    r = geocoder.geocode_many([value])[0]
    assert r.status in ("invalid", "unmatched") and r.reason
    assert r.commune_code is None


def test_utf8_bytes_read_like_text(geocoder):
    r = geocoder.geocode_many(["P. Phủ Lý, Ninh Binh".encode()])[0]
    assert (r.status, r.commune_code, r.text) == ("matched", "13285", "P. Phủ Lý, Ninh Binh")


class _Text(str):
    """A str subclass, as numpy.str_ is (the compiled matcher once turned these away)."""


def test_str_subclasses_read_like_text(geocoder):
    import numpy as np

    texts = ["P. Phủ Lý, Ninh Binh", "so 12 ngo 5 xom dong xa gia vien h gia vien nb",
             "20.25, 105.97", "!!!"]  # fmt: skip
    plain = [r.as_dict() for r in geocoder.geocode_many(texts, use_cache=False)]
    for kind in (np.str_, _Text):
        got = geocoder.geocode_many([kind(t) for t in texts], use_cache=False)
        assert [r.as_dict() for r in got] == plain, kind
        assert geocoder.geocode(kind(texts[0])).commune_code == "13285"


@pytest.mark.parametrize("enabled", [True, False])
def test_a_batch_leaves_the_garbage_collector_as_it_found_it(geocoder, enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        geocoder.geocode_many(["Xã Gia Viễn, Ninh Bình", "Ninh Bình"], use_cache=False)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_many_keeps_order_and_resolves_each_distinct_text_once(geocoder, nb_geo_engine):
    texts = ["P. Phủ Lý, Ninh Binh", "", "P. PHỦ LÝ, NINH BINH", "20.25, 105.97",
             "P. Phủ Lý, Ninh Binh"]  # fmt: skip
    with nb_geo_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM geocode_cache"))
    results = geocoder.geocode_many(texts)
    assert [r.text for r in results] == texts
    assert [r.commune_code for r in results] == ["13285", None, "13285", "14329", "13285"]
    # One cache row per distinct normalised text (case folded into one key).
    assert count(nb_geo_engine, "SELECT count(*) FROM geocode_cache") == 2
    before = snapshot(nb_geo_engine, "geocode_cache")
    again = geocoder.geocode_many(texts)
    assert [r.as_dict() for r in again] == [r.as_dict() for r in results]
    assert snapshot(nb_geo_engine, "geocode_cache") == before  # all from the cache


def test_cache_rows_carry_the_boundary_version(geocoder, nb_geo_engine):
    geocoder.geocode("Xã Gia Viễn, Ninh Bình")
    version = boundary_version(nb_geo_engine)
    stale = count(
        nb_geo_engine,
        "SELECT count(*) FROM geocode_cache WHERE boundary_version <> :v",
        v=version,
    )
    assert stale == 0


def test_reloading_boundaries_invalidates_the_cache(make_test_database, boundary_mirror, tmp_path):
    url = make_test_database("geocode_reload")
    engine = make_engine(url)
    settings = Settings(database_url=url.render_as_string(hide_password=False), home=tmp_path)
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    geocoder = Geocoder.from_engine(engine)
    text = "Phường Ba Đình, Thành phố Hà Nội"
    assert geocoder.geocode(text).status == "unmatched"
    old_version = boundary_version(engine)
    fetch_boundaries(engine, settings, "01", source=str(boundary_mirror))  # Hà Nội arrives
    assert boundary_version(engine) != old_version
    r = geocoder.geocode(text)  # same geocoder: it notices the new version
    assert (r.status, r.commune_code) == ("matched", "00004")
    assert (
        count(
            engine, "SELECT count(*) FROM geocode_cache WHERE boundary_version = :v", v=old_version
        )
        == 0
    )
    engine.dispose()


def test_the_point_of_every_matched_commune_lies_inside_it(geocoder, nb_geo_engine):
    with nb_geo_engine.connect() as conn:
        names = conn.execute(
            sa.text("SELECT code, full_name FROM admin_unit WHERE level = 'commune'")
        ).all()
    results = geocoder.geocode_many([f"{name}, Tỉnh Ninh Bình" for _, name in names])
    for (code, _), r in zip(names, results, strict=True):
        assert (r.status, r.commune_code) == ("matched", code), r
        assert math.isfinite(r.lon) and _inside(nb_geo_engine, code, r.lon, r.lat)
