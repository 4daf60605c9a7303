"""Fuzzing (hypothesis): the address normaliser, the geocoder on any text and the CSV reader
never raise anything but a clear InputError. Bounded and derandomised: the same examples
on every run, so CI is stable; a failure prints the smallest input that breaks."""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis import normalise
from gis.errors import InputError
from gis.geocode_result import STATUSES
from gis.geocoding import Geocoder
from gis.ingest.pipeline import _header_chooser
from gis.ingest.readers import open_table

FUZZ = settings(
    max_examples=150,
    derandomize=True,  # fixed examples: a stable CI
    deadline=None,  # a shared machine: time is not what is tested
    database=None,  # nothing kept between runs
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# What addresses are made of, with the characters that break naive code around them.
PIECES = (
    "xã", "phường", "P.", "p.6", "Phường 06", "thị trấn", "TT.", "huyện", "H.", "tỉnh", "TP.",
    "T.P", "Tp", "thành phố", "quận", "Q.", "đặc khu", "thôn", "tổ dân phố", "số", "ngõ",
    "Ninh Bình", "Ninh Binh", "NinhBình", "Hoa Lư", "Gia Viễn", "Phủ Lý", "Nam Định", "Hà Nội",
    "Ninh Hải", "Hoà", "Hòa", "Đà Nẵng", "Bà Rịa - Vũng Tàu", "20.25", "105.97", "20°15'N",
    "105°58'E", "-", ",", ";", "|", "/", "(", ")", "\t", "\n", "\x00", "\u0301", "\u0323",
    "\ufeff", "\u200b", "\ufffd", "İ", "ǅ", "ﬀ", "’", "😀", "%", "_", "'; DROP TABLE x; --",
)  # fmt: skip
ADDRESS = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=12).map(" ".join)
ANY_TEXT = st.text(max_size=300) | ADDRESS


@FUZZ
@given(ANY_TEXT)
def test_normaliser_on_any_text(text):
    clean = normalise.nfc(text)
    assert unicodedata.is_normalized("NFC", clean) and normalise.nfc(clean) == clean
    assert not any(c in clean for c in "\x00\t\n\r")
    folded = normalise.fold(clean)
    assert isinstance(folded, str) and isinstance(normalise.accent_key(clean), str)
    assert isinstance(normalise.compact(clean), str) and isinstance(
        normalise.split_glued(clean), str
    )
    assert isinstance(normalise.has_diacritics(clean), bool)
    key = normalise.cache_key(text)
    assert normalise.cache_key(key) == key  # a key stands for itself
    for part in normalise.segments(text):
        for folded_token, accented_token in part:
            assert isinstance(folded_token, str) and isinstance(accented_token, str)


@pytest.fixture(scope="module")
def geocoder(nb_engine) -> Geocoder:
    """Ninh Bình's gazetteer (read-only: the cache is not used)."""
    return Geocoder.from_engine(nb_engine)


def _check(result) -> None:
    assert result.status in STATUSES
    assert 0.0 <= result.score <= 1.0
    if result.status == "matched":
        assert result.commune_code and result.province_code
        assert 102 <= result.lon <= 110 and 8 <= result.lat <= 24
    if result.status in ("unmatched", "invalid"):
        assert result.reason


@FUZZ
@given(st.lists(ANY_TEXT, min_size=1, max_size=8))
def test_geocoder_on_any_text(geocoder, texts):
    results = geocoder.geocode_many(texts, use_cache=False)
    assert len(results) == len(texts)
    for result in results:
        _check(result)


CSV_CHARACTERS = st.sampled_from("ab đ,;\t\"'\r\n\x00\x1cé9.-/:°")
CSV_CELLS = st.text(alphabet=CSV_CHARACTERS, max_size=20) | st.sampled_from(
    ("Mã vụ việc", "Ngày xảy ra", "Loại vụ việc", "Vĩ độ", "Kinh độ", "Địa chỉ", "sep=;",
     "12/03/2024", "Trộm cắp", "20.25", "105.97", '"', '""', "=1+1")
)  # fmt: skip
CSV_TEXT = st.lists(
    st.lists(CSV_CELLS, max_size=8).map(lambda cells: ",".join(cells)), max_size=12
).map("\n".join)
ENCODINGS = st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258"))
CSV_BYTES = st.binary(max_size=600) | st.builds(
    lambda text, encoding: text.encode(encoding, errors="replace"), CSV_TEXT, ENCODINGS
)


@FUZZ
@given(CSV_BYTES, st.sampled_from(("incidents", "sites")))
def test_csv_reader_on_any_bytes(data, kind):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        try:
            table = open_table(path, _header_chooser(kind, {}))
            rows = sum(len(chunk) for chunk in table.chunks(4))
        except InputError as exc:
            assert exc.message and exc.hint  # the clear error: what and what to do
            return
    assert rows >= 0 and all(isinstance(h, str) for h in table.headers)
