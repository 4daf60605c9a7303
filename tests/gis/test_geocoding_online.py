"""Online refinement against a local Nominatim-compatible stub (no network)."""

from __future__ import annotations

import http.server
import itertools
import json
import socket
import threading
import time
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.geocode_online import OnlineRefiner
from gis.geocoding import Geocoder
from gis.settings import Settings
from tests.helpers import count

INSIDE_PHU_LY = (105.9200, 20.5450)  # a point inside Phường Phủ Lý (13285)
FAR_AWAY = (105.60, 20.10)  # in Ninh Bình, but not in Phủ Lý


class _Stub(http.server.BaseHTTPRequestHandler):
    """Answers /search by keywords in q: inside, outside, error, slow, junk."""

    calls: ClassVar[list[tuple[float, str]]] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        q = parse_qs(urlparse(self.path).query).get("q", [""])[0].lower()
        _Stub.calls.append((time.monotonic(), q))
        if "slow" in q:
            time.sleep(1.0)
        if "error" in q:
            self.send_response(500)
            self.end_headers()
            return
        if "junk" in q:
            body = b"<html>not json</html>"
        else:
            lon, lat = FAR_AWAY if "outside" in q else INSIDE_PHU_LY
            body = json.dumps([{"lon": str(lon), "lat": str(lat)}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def stub_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def engine(make_test_database, boundary_mirror, tmp_path_factory):
    url = make_test_database("geocode_online")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("online-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    yield engine
    engine.dispose()


def _geocoder(engine, url, **kw) -> Geocoder:
    options = {"timeout_s": 0.3, "min_interval_s": 0.0, **kw}
    return Geocoder.from_engine(engine, OnlineRefiner(url, **options))


def test_off_by_default():
    assert Settings().geocode_online_url is None


def test_refines_only_when_the_point_is_inside_the_commune(engine, stub_url):
    g = _geocoder(engine, stub_url)
    inside, outside = g.geocode_many(
        ["Số 5 đường Lê Lợi, P. Phủ Lý, Ninh Bình", "outside, P. Phủ Lý, Ninh Bình"],
        use_cache=False,
    )
    assert (inside.status, inside.precision, inside.commune_code) == ("matched", "street", "13285")
    assert (inside.lon, inside.lat) == INSIDE_PHU_LY
    assert (outside.precision, outside.commune_code) == ("commune", "13285")
    assert (outside.lon, outside.lat) != FAR_AWAY
    assert any("outside" in f for f in g.refiner.failures)


def test_failures_keep_the_offline_result(engine, stub_url):
    offline = Geocoder.from_engine(engine).geocode_many(
        ["error, P. Phủ Lý, Ninh Bình"], use_cache=False
    )[0]
    g = _geocoder(engine, stub_url)
    texts = ["error, P. Phủ Lý, Ninh Bình", "slow, P. Phủ Lý, Ninh Bình",
             "junk, P. Phủ Lý, Ninh Bình"]  # fmt: skip
    for r in g.geocode_many(texts, use_cache=False):
        assert (r.status, r.precision, r.commune_code) == ("matched", "commune", "13285")
        assert (r.lon, r.lat) == (offline.lon, offline.lat)
    failures = " | ".join(g.refiner.failures)
    assert "HTTP 500" in failures and "Timeout" in failures and "no usable answer" in failures


def test_only_commune_level_results_are_sent(engine, stub_url):
    _Stub.calls.clear()
    g = _geocoder(engine, stub_url)
    g.geocode_many(["20.25, 105.97", "Phường Ba Đình, Hà Nội", "!!!"], use_cache=False)
    assert _Stub.calls == []


def test_rate_limit_and_giving_up_on_a_failing_service(engine, stub_url):
    _Stub.calls.clear()
    g = _geocoder(engine, stub_url, min_interval_s=0.2)
    g.geocode_many([f"Số {i} Lê Lợi, P. Phủ Lý, Ninh Bình" for i in range(3)], use_cache=False)
    times = [t for t, _ in _Stub.calls]
    assert len(times) == 3
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))
    _Stub.calls.clear()
    g = _geocoder(engine, stub_url)
    g.geocode_many([f"error {i}, P. Phủ Lý, Ninh Bình" for i in range(6)], use_cache=False)
    assert len(_Stub.calls) == 3  # three failures in a row: the rest keep their offline result


def _dead_url() -> str:
    """A local port nobody listens on: the service is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_an_outage_is_not_cached_as_the_online_answer(engine, stub_url):
    text = "Số 9 đường Trần Phú, P. Phủ Lý, Ninh Bình"
    down = _geocoder(engine, _dead_url())
    first = down.geocode(text)
    assert (first.status, first.precision) == ("matched", "commune")
    assert down.refiner.failures
    rows = "SELECT count(*) FROM geocode_cache WHERE mode = :m"
    assert count(engine, rows, m="online") == 0
    assert count(engine, rows, m="offline") == 1  # the offline answer, for offline use
    # The service is back: the same address is refined now, and that answer is cached.
    up = _geocoder(engine, stub_url)
    again = up.geocode(text)
    assert (again.precision, (again.lon, again.lat)) == ("street", INSIDE_PHU_LY)
    assert count(engine, rows, m="online") == 1
    assert up.geocode(text).precision == "street"  # from the cache
    offline = Geocoder.from_engine(engine).geocode(text)
    assert (offline.precision, offline.lon) == ("commune", first.lon)
