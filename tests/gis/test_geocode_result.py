"""GeocodeResult copies and its cache form keep every field."""

from __future__ import annotations

from dataclasses import fields

from gis.geocode_result import Candidate, GeocodeResult

FULL = GeocodeResult(
    text="Phường Hoàng Đông, Thị xã Duy Tiên", status="ambiguous", precision="commune",
    commune_code="13336", commune_name="Phường Duy Hà", province_code="37",
    province_name="Tỉnh Ninh Bình", legacy="Phường Hoàng Đông, Thị xã Duy Tiên, Tỉnh Hà Nam",
    lon=105.97, lat=20.25, score=0.83,
    candidates=[Candidate("13336", "Phường Duy Hà", "37", 0.83),
                Candidate("13366", "Phường Duy Tân", "37", 0.8)],
    reason="the old ward was split",
)  # fmt: skip


def test_every_field_is_set_in_the_example():
    defaults = GeocodeResult(text="", status="invalid")
    for f in fields(GeocodeResult):
        assert getattr(FULL, f.name) != getattr(defaults, f.name), f.name


def test_for_text_copies_every_field_but_the_text():
    copy = FULL.for_text("phuong hoang dong, tx duy tien")
    assert copy.text == "phuong hoang dong, tx duy tien"
    assert {**copy.as_dict(), "text": FULL.text} == FULL.as_dict()
    assert copy.candidates == FULL.candidates and copy.candidates is not FULL.candidates


def test_compact_dict_round_trips_without_empty_fields():
    for result in (FULL, GeocodeResult(text="x", status="unmatched", reason="no commune")):
        data = result.compact_dict()
        assert "text" not in data and None not in data.values()
        assert GeocodeResult.from_dict({**data, "text": result.text}) == result
    assert GeocodeResult(text="x", status="invalid", reason="r").compact_dict() == {
        "status": "invalid", "score": 0.0, "reason": "r",
    }  # fmt: skip
