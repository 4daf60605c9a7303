"""`tuquan maps build` end to end against the Ninh Bình database."""

from __future__ import annotations

from maps.offline import external_references


def test_maps_build_writes_the_base_map_and_figure(cli, nb_url, tmp_path):
    out = tmp_path / "maps"
    code, stdout, err = cli(nb_url, "maps", "build", "--province", "37", "--out", str(out))
    assert code == 0, err
    for name in ("base-map.html", "base-map.png", "base-map.pdf"):
        assert (out / name).stat().st_size > 50_000
        assert name in stdout
    assert "129" in stdout and "Tỉnh Ninh Bình" in stdout
    html = (out / "base-map.html").read_text()
    assert (out / "base-map.html").stat().st_size <= 2_000_000
    assert external_references(html) == []


def test_folder_assets_and_basemap_options(cli, nb_url, tmp_path):
    out = tmp_path / "maps"
    code, _out, err = cli(
        nb_url, "maps", "build", "--out", str(out), "--assets", "folder", "--basemap", "osm"
    )
    assert code == 0, err
    assert (out / "tuquan-assets" / "leaflet-1.9.3.js").exists()
    assert "tile.openstreetmap.org" in (out / "base-map.html").read_text()


def test_user_errors_are_one_message(cli, nb_url, tmp_path):
    code, _out, err = cli(nb_url, "maps", "build", "--province", "99", "--out", str(tmp_path))
    assert code == 1 and "'99' is not loaded" in err and "Traceback" not in err
    code, _out, err = cli(nb_url, "maps", "build", "--out", str(tmp_path), TUQUAN_BASEMAP="nope")
    assert code == 1 and "TUQUAN_BASEMAP" in err and "Traceback" not in err
    assert not (tmp_path / "base-map.html").exists()
