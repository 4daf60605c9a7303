"""The address matcher runs compiled (setup.py, Cython), and never from a stale build."""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gis
from gis import address_match, address_resolve, gazetteer, geocode_result, geocoding, normalise

PACKAGE = Path(gis.__file__).parent
EXTENSION = importlib.machinery.EXTENSION_SUFFIXES[0]


def test_the_matcher_runs_compiled():
    # A build that fell back to the sources would pass every other test, only slower.
    pure = os.environ.get("TUQUAN_PURE_PYTHON", "") not in ("", "0")
    for module in (normalise, address_match, address_resolve, geocoding, geocode_result, gazetteer):
        assert module.__file__.endswith(".py" if pure else EXTENSION), (
            f"{module.__name__} was loaded from {module.__file__}: run `make test` (it "
            "rebuilds the compiled matcher when a source changes)"
        )


_environ = {k: v for k, v in os.environ.items() if k != "TUQUAN_PURE_PYTHON"}


def _import_in(root: Path, name: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import {name} as m; print(m.__file__)"],
        cwd=root, env={**_environ, "PYTHONPATH": str(root), **env},
        capture_output=True, text=True, check=True,
    )  # fmt: skip


@pytest.mark.parametrize("manifest", ["another source", "none"])
def test_a_module_compiled_from_another_source_is_set_aside(tmp_path, manifest):
    package = tmp_path / "gis"
    package.mkdir()
    shutil.copy(PACKAGE / "__init__.py", package / "__init__.py")
    built = next(PACKAGE.glob(f"address_words{EXTENSION}"))
    shutil.copy(built, package / built.name)
    (package / "address_words.py").write_text("SOURCE = True\n")  # edited after the build
    if manifest == "another source":
        record = json.loads((PACKAGE / "_compiled_sources.json").read_text())
        (package / "_compiled_sources.json").write_text(json.dumps(record))
    done = _import_in(tmp_path, "gis.address_words")
    assert done.stdout.strip() == str(package / "address_words.py")
    assert "was not built from the present address_words.py: the source is used" in done.stderr
    assert "rebuild with `make`" in done.stderr


def test_a_module_whose_types_changed_is_set_aside(tmp_path):
    # The .pxd gives the compiled module its C types: an extension built with other types
    # is stale too, though the .py is the one it was built from.
    package = tmp_path / "gis"
    package.mkdir()
    for name in ("__init__.py", "_compiled_sources.json", "address_words.py"):
        shutil.copy(PACKAGE / name, package / name)
    built = next(PACKAGE.glob(f"address_words{EXTENSION}"))
    shutil.copy(built, package / built.name)
    types = (PACKAGE / "address_words.pxd").read_text()
    (package / "address_words.pxd").write_text(types)
    assert _import_in(tmp_path, "gis.address_words").stdout.strip() == str(package / built.name)
    (package / "address_words.pxd").write_text(types + "\n# edited after the build\n")
    done = _import_in(tmp_path, "gis.address_words")
    assert done.stdout.strip() == str(package / "address_words.py")
    assert "was not built from the present address_words.py" in done.stderr


def test_pure_python_on_request():
    done = _import_in(PACKAGE.parent, "gis.address_match", TUQUAN_PURE_PYTHON="1")
    assert done.stdout.strip() == str(PACKAGE / "address_match.py")
    assert done.stderr == ""
