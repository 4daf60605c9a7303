"""tuquan core: settings, database, boundaries, geocoding, ingest and analysis.

Some modules of this package are also built as C extensions (setup.py: the address
matcher, compiled with Cython). Python would load such an extension even after its source
was edited, so the build records a hash of each source it compiled, and an extension
whose source has changed since is set aside here: the source is used (rebuilt by `make`,
or `pip install -e .`). TUQUAN_PURE_PYTHON=1 uses every source, for profiling or stepping
through the matcher.
"""

import hashlib
import importlib.machinery
import importlib.util
import json
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


def _source_digest(source: Path) -> str:
    """As setup.py records it: the source's sha256, with its .pxd (C types) if any."""
    digest = hashlib.sha256(source.read_bytes())
    types = source.with_suffix(".pxd")
    if types.exists():
        digest.update(types.read_bytes())
    return digest.hexdigest()


def _set_aside_stale_extensions() -> None:
    here = Path(__file__).parent
    pure = os.environ.get("TUQUAN_PURE_PYTHON", "") not in ("", "0")
    try:
        compiled = json.loads((here / "_compiled_sources.json").read_text())
    except (OSError, ValueError):
        compiled = {}
    sources = {}
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for built in here.glob(f"*{suffix}"):
            source = built.with_name(built.name[: -len(suffix)] + ".py")
            name = f"{__name__}.{source.stem}"
            if not source.exists():
                continue
            if not pure:
                if compiled.get(name) == _source_digest(source):
                    continue
                warnings.warn(
                    f"{built.name} was not built from the present {source.name}: the source "
                    "is used (slower); rebuild with `make` or `pip install -e .`",
                    RuntimeWarning, stacklevel=2,
                )  # fmt: skip
            sources[name] = source
    if sources:
        sys.meta_path.insert(0, _Sources(sources))


_set_aside_stale_extensions()
