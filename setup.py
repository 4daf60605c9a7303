"""Build hook: the address matcher compiled with Cython (see `COMPILED`).

The modules stay plain Python; Cython turns each into a C extension that runs the same
code 1.6–2 times as fast, with the C types of the .pxd file beside a module where it has
one (the geocoder's throughput is issue 3's target). Where they cannot be compiled (no C
compiler), the install goes on with the sources, only slower. The build records the
sha256 of each source it compiled (`MANIFEST`), with its .pxd if it has one:
gis/__init__.py uses a compiled module only while both are unchanged.
"""

import hashlib
import json
from glob import glob
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

# The matcher's hot path: reading addresses and scoring what they name (~40 µs each), and
# the geocoder's batch code around it (results, coordinates).
# The Makefile rebuilds when one of these changes (the same files).
GEOCODER = [
    "gis/geocoding.py", "gis/geocode_result.py", "gis/coordinates.py", "gis/gazetteer.py",
]  # fmt: skip
COMPILED = ["gis/normalise.py", *sorted(glob("gis/address_*.py")), *GEOCODER]
MANIFEST = "gis/_compiled_sources.json"  # module name → sha256 of the source compiled


def source_digest(source: Path) -> str:
    """sha256 of a module's source and of its .pxd (the C types it is compiled with), if any;
    gis/__init__.py computes the same."""
    digest = hashlib.sha256(source.read_bytes())
    types = source.with_suffix(".pxd")
    if types.exists():
        digest.update(types.read_bytes())
    return digest.hexdigest()


def extensions() -> list:
    try:
        from Cython.Build import cythonize
    except ImportError:  # a build without Cython (pip installs it: pyproject.toml)
        return []
    modules = cythonize(
        COMPILED, build_dir="build/cython", quiet=True,
        # No types from annotations: they would make a str argument reject a str subclass
        # (numpy.str_), which the sources accept. C types come from the .pxd files only.
        compiler_directives={"language_level": 3, "binding": True, "annotation_typing": False},
    )  # fmt: skip
    for module in modules:
        module.optional = True  # a failed compile leaves the source in use, not a failed install
    return modules


class RecordingBuildExt(build_ext):
    """build_ext, then the manifest of the sources whose extension was built."""

    def run(self) -> None:
        super().run()
        built = {}
        for ext in self.extensions:
            if Path(self.get_ext_fullpath(ext.name)).exists():
                source = Path(*ext.name.split(".")).with_suffix(".py")
                built[ext.name] = source_digest(source)
        target = Path(MANIFEST) if self.inplace else Path(self.build_lib) / MANIFEST
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(built, indent=1, sort_keys=True) + "\n")


setup(ext_modules=extensions(), cmdclass={"build_ext": RecordingBuildExt})
