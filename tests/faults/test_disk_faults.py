"""A full disk or an unwritable folder: a clear message naming the path, no traceback, and
the database left as it was. The boundary download cache, geocode's CSV output and the
maps' output folder are tried on a tiny file system (tmpfs of 64 kB, full after the first
files), on a read-only one, and behind a path that runs through a regular file.

As root (the project's CI), the file systems are real tmpfs mounts; root ignores file
modes, so a mode cannot stand for "read-only" there. Other users get a folder of mode 0555
for "read-only" and cannot mount a full disk: that case is skipped for them, with a reason.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.settings import Settings
from tests.helpers import snapshot

ROOT = os.geteuid() == 0
TINY = "64k"


def _mount(target: Path, options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], check=True)


def _unmount(target: Path) -> None:
    # lazy: a file still open somewhere must not keep the mount alive after the test
    subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture(params=["full", "read-only", "through-a-file"])
def bad_place(request, tmp_path) -> Iterator[Path]:
    """A folder that cannot take files."""
    kind = request.param
    place = tmp_path / kind
    if kind == "through-a-file":
        (tmp_path / "a-file").write_text("not a folder")
        yield tmp_path / "a-file" / "inside"
        return
    if ROOT:
        _mount(place, f"size={TINY}" + (",ro" if kind == "read-only" else ""))
        try:
            yield place
        finally:
            _unmount(place)
        return
    if kind == "full":  # said in the summary (-ra), never silent: CI runs as root
        pytest.skip("a full disk is a 64 kB tmpfs mount, which needs root")
    place.mkdir()
    place.chmod(0o555)
    yield place
    place.chmod(0o755)


def _clear_error(code: int, err: str, path_part: str) -> None:
    assert code == 1, err
    assert "Lỗi / error" in err and path_part in err, err
    assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def writable_nb_url(make_test_database, boundary_mirror, tmp_path_factory):
    """Ninh Bình in a database of this module's own (maps store their analysis results)."""
    url = make_test_database("faults_disk")
    engine = make_engine(url)
    local = Settings(database_url=url.render_as_string(hide_password=False),
                     home=tmp_path_factory.mktemp("disk-home"))  # fmt: skip
    fetch_boundaries(engine, local, "37", source=str(boundary_mirror))
    engine.dispose()
    return url


BOUNDARY_TABLES = ("admin_unit", "boundary_source")


def test_boundary_cache_on_a_bad_disk(cli, blank_engine, blank_url, boundary_mirror, bad_place):
    place = bad_place
    before = snapshot(blank_engine, *BOUNDARY_TABLES)
    code, _, err = cli(
        blank_url, "boundaries", "fetch", "--province", "37", "--source",
        str(boundary_mirror), TUQUAN_HOME=str(place / "home"),
    )  # fmt: skip
    _clear_error(code, " ".join(err.split()), "cache")
    assert snapshot(blank_engine, *BOUNDARY_TABLES) == before


def test_geocode_output_on_a_bad_disk(cli, nb_url, nb_engine, tmp_path, bad_place):
    place = bad_place
    source = tmp_path / "addresses.csv"
    # enough rows that the output passes 64 kB
    source.write_text("address\n" + "thôn 3, xã Ninh Hải, huyện Hoa Lư, tỉnh Ninh Bình\n" * 2000)
    before = snapshot(nb_engine, "geocode_cache")
    code, _, err = cli(nb_url, "geocode", str(source), "--no-cache", "--out",
                       str(place / "out.csv"))  # fmt: skip
    _clear_error(code, err, str(place.parent))
    assert snapshot(nb_engine, "geocode_cache") == before


def test_maps_output_on_a_bad_disk(cli, writable_nb_url, bad_place):
    place = bad_place
    code, _, err = cli(writable_nb_url, "maps", "build", "--province", "37", "--no-figures",
                       "--out", str(place / "maps"))  # fmt: skip
    _clear_error(code, err, str(place.parent))
