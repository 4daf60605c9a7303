"""Run every benchmark module in bench/ that defines main()."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def run() -> int:
    names = [m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")]
    wanted = sys.argv[1:] or names
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"== bench.{name}")
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(run())
