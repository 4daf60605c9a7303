"""tuquan core: settings, database, boundaries, geocoding, ingest and analysis.

Some modules of this package are also built as C extensions (setup.py: the address
matcher, compiled with Cython). Python would load such an extension even after its source
was edited, so one older than its source is set aside here, and the source is used
(rebuilt by `make`, or `pip install -e .`). TUQUAN_PURE_PYTHON=1 uses every source, for
profiling or stepping through the matcher.
"""

import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path


class _Sources:
    """Finds the source of the modules whose compiled form must not be used."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def find_spec(self, name, path=None, target=None):
        source = self.sources.get(name)
        return importlib.util.spec_from_file_location(name, source) if source else None


def _set_aside_stale_extensions() -> None:
    here = Path(__file__).parent
    pure = os.environ.get("TUQUAN_PURE_PYTHON", "") not in ("", "0")
    sources = {}
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for built in here.glob(f"*{suffix}"):
            source = built.with_name(built.name[: -len(suffix)] + ".py")
            if not source.exists():
                continue
            if not pure and source.stat().st_mtime > built.stat().st_mtime:
                warnings.warn(
                    f"{built.name} is older than {source.name}: the source is used (slower); "
                    "rebuild with `make` or `pip install -e .`",
                    RuntimeWarning, stacklevel=2,
                )  # fmt: skip
            elif not pure:
                continue
            sources[f"{__name__}.{source.stem}"] = source
    if sources:
        sys.meta_path.insert(0, _Sources(sources))


_set_aside_stale_extensions()
