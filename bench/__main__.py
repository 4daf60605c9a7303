"""Run every benchmark module in bench/ that defines main() (or those named on the command
line); each writes its section of bench/results.md. A module that fails is reported and the
others still run; the exit code says whether all of them did."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback

import bench


def run() -> int:
    names = [m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")]
    wanted = sys.argv[1:] or names
    failed = []
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"== bench.{name}", flush=True)
        started = time.perf_counter()
        try:
            module.main()
        except (Exception, SystemExit):  # one broken bench must not cost the figures of the others
            traceback.print_exc()
            failed.append(name)
        print(f"== bench.{name}: {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run())
