"""Build hook: the address matcher compiled with Cython (see `COMPILED`).

The modules stay plain Python; Cython turns each into a C extension that runs the same
code about a third faster (the geocoder's throughput is issue 3's target). Where they
cannot be compiled (no C compiler), the install goes on with the sources, only slower.
A compiled module older than its source is not used (gis/__init__.py).
"""

from glob import glob

from setuptools import setup

# The matcher's hot path: reading addresses and scoring what they name (~100 µs each).
# The Makefile rebuilds when one of these changes (the same two patterns).
COMPILED = ["gis/normalise.py", *sorted(glob("gis/address_*.py"))]


def extensions() -> list:
    try:
        from Cython.Build import cythonize
    except ImportError:  # a build without Cython (pip installs it: pyproject.toml)
        return []
    modules = cythonize(
        COMPILED, build_dir="build/cython", quiet=True,
        compiler_directives={"language_level": 3, "binding": True},
    )  # fmt: skip
    for module in modules:
        module.optional = True  # a failed compile leaves the source in use, not a failed install
    return modules


setup(ext_modules=extensions())
