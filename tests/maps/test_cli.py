"""`tuquan maps build` end to end against a Ninh Bình database with records.

(The seeded database of the thematic tests: building maps stores analysis results, which
the read-only nb database must not receive.)
"""

from __future__ import annotations

from maps.offline import external_references
from tests.maps import thematic_fixtures as fx

thematic_url = fx.thematic_url


def test_maps_build_writes_every_map_and_figure(cli, thematic_url, tmp_path):
    out = tmp_path / "maps"
    code, stdout, err = cli(
        thematic_url, "maps", "build", "--province", "37", "--out", str(out),
        "--as-of", "2025-12-31", "--k", "3",
    )  # fmt: skip
    assert code == 0, err
    for stem in ("base-map", "coverage", "hotspots", "planning"):
        for ext in ("html", "png", "pdf"):
            name = f"{stem}.{ext}"
            assert (out / name).stat().st_size > 50_000
            assert name in stdout
        html = (out / f"{stem}.html").read_text()
        assert (out / f"{stem}.html").stat().st_size <= 2_000_000
        assert external_references(html) == []
    assert "129" in stdout and "Tỉnh Ninh Bình" in stdout and "4 bản đồ / maps" in stdout


def test_folder_assets_and_basemap_options(cli, thematic_url, tmp_path):
    out = tmp_path / "maps"
    code, _out, err = cli(
        thematic_url, "maps", "build", "--out", str(out), "--assets", "folder", "--basemap",
        "osm", "--no-figures",
    )  # fmt: skip
    assert code == 0, err
    assert (out / "tuquan-assets" / "leaflet-1.9.3.js").exists()
    assert "tile.openstreetmap.org" in (out / "base-map.html").read_text()
    assert (out / "tuquan-assets" / "tuquan-thematic.js").exists()
    assert not (out / "coverage.png").exists()


def test_user_errors_are_one_message(cli, nb_url, tmp_path):
    code, _out, err = cli(nb_url, "maps", "build", "--province", "99", "--out", str(tmp_path))
    assert code == 1 and "'99' is not loaded" in err and "Traceback" not in err
    code, _out, err = cli(nb_url, "maps", "build", "--out", str(tmp_path), TUQUAN_BASEMAP="nope")
    assert code == 1 and "TUQUAN_BASEMAP" in err and "Traceback" not in err
    for bad, words in (
        (("--start", "2025-13-01"), "is not a date"),
        (("--category", "theft"), "unknown incident categories: theft"),
        (("--start", "2025-01-01", "--end", "2024-01-01"), "the time window is empty"),
    ):
        code, _out, err = cli(
            nb_url, "maps", "build", "--out", str(tmp_path), *bad, TUQUAN_BASEMAP="offline"
        )
        assert code == 1 and words in err and "Traceback" not in err, (bad, err)
    assert not (tmp_path / "base-map.html").exists()
