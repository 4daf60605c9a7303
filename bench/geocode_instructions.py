"""Instructions of one cold geocode batch in one process, counted by callgrind.

On a shared machine a timing swings by ±20 % from one minute to the next, so a change of
a few percent in the matcher cannot be seen in `bench.geocode`. An instruction count can:
it repeats to within a few in a million. The batch is bench.geocode's 10,000 addresses,
resolved in one process (TUQUAN_GEOCODE_WORKERS=1) without the cache: the matcher's own
work, with the first-batch costs a new geocoder has (fuzzy choice lists, labels). Python
starts and the gazetteer loads uninstrumented; counting starts with the batch and ends
with the process. Under callgrind the batch runs ~50x slower (~2–3 min here).

    .venv/bin/python -m bench geocode_instructions      (needs valgrind: make bench-deps)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._report import Section

TOP = 24  # tuquan's compiled functions shown, by instructions (their callees included)
STARTUP_SECONDS = 900  # Python, the imports and the gazetteer under valgrind


def main() -> None:
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run `make bench-deps` (installs valgrind)")
    section = Section("geocode_instructions", "Geocoding: instructions of one batch (callgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        signals, out = Path(tmp), Path(tmp) / "callgrind.out"
        started = time.perf_counter()
        child = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={out}", sys.executable, "-m", "bench.geocode_instructions",
             "--batch", tmp],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        while not (signals / "ready").exists():
            if child.poll() is not None or time.perf_counter() - started > STARTUP_SECONDS:
                child.kill()
                raise SystemExit("the batch process did not start:\n" + child.stdout.read())
            time.sleep(0.5)
        # Valgrind runs the program in its own process: the pid is the program's.
        subprocess.run(["callgrind_control", "-i", "on", str(child.pid)], check=True,
                       capture_output=True)  # fmt: skip
        (signals / "go").touch()
        output, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"the batch failed under valgrind:\n{output}")
        texts = int((signals / "texts").read_text())
        total = _total(out)
        section.line(f"{texts:,} addresses in one process, no cache: {total:,} instructions "
                     f"({total / texts:,.0f} per address)")  # fmt: skip
        section.line("```")
        for line in _matcher_functions(out)[:TOP]:
            section.line(line)
        section.line("```")
    section.save()


def _total(out: Path) -> int:
    found = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
    if not found:
        raise SystemExit(f"no totals in {out}")
    return int(found.group(1))


def _matcher_functions(out: Path) -> list[str]:
    """'instructions  share  module.function' of tuquan's compiled functions, most first:
    Python-callable ones (Cython's __pyx_pw_ wrappers) and those typed in a .pxd (their
    C functions, __pyx_f_), each once."""
    report = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", str(out)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    pattern = re.compile(
        r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+\S*gis/(\w+)\.c:__pyx_(pw|f)_3gis_\d+(\w+) "
    )
    found: dict[str, tuple[int, str]] = {}
    for row in report.splitlines():
        m = pattern.match(row)
        if m:
            count, share, module, kind, function = m.groups()
            function = function.removeprefix(module + "_")  # the module's name, mangled
            name = f"{module}.{_name(function) if kind == 'pw' else _c_name(function)}"
            line = f"{count:>15} {share:>6}%  {name}"
            if int(count.replace(",", "")) > found.get(name, (0, ""))[0]:
                found[name] = (int(count.replace(",", "")), line)
    return [line for _, line in sorted(found.values(), reverse=True)]


def _name(mangled: str) -> str:
    """Cython's wrapper names: '8Resolver_7result' → 'Resolver.result' (a class name
    prefixed by its length, then the function's number and name); '1_score' → '_score'."""
    digits = re.match(r"\d+", mangled)
    n = int(digits.group()) if digits else 0
    head, rest = mangled[digits.end() : digits.end() + n], mangled[digits.end() + n :]
    if digits and re.match(r"_\d+", rest):
        return head + "." + re.sub(r"^_\d+", "", rest)
    return re.sub(r"^\d+", "", mangled)


def _c_name(mangled: str) -> str:
    """Cython's C function names: '8Resolver_proposals' → 'Resolver.proposals' (a class
    name prefixed by its length), '_score' → '_score' (of the module)."""
    digits = re.match(r"\d+", mangled)
    if not digits:
        return mangled
    n = int(digits.group())
    return mangled[digits.end() : digits.end() + n] + "." + mangled[digits.end() + n + 1 :]


def _batch(signals: Path) -> None:
    """In the process valgrind runs: load, say so, wait, resolve the batch, end."""
    from bench.geocode import _national_engine, _shared_data, batch
    from gis.geocoding import Geocoder

    shared = _shared_data()
    engine = _national_engine(shared)
    texts = [r.text for r in batch(shared)]
    geocoder = Geocoder.from_engine(engine, workers=1)
    geocoder.geocode_many(texts[:50], use_cache=False)  # the first call's imports and setup
    (signals / "texts").write_text(str(len(texts)))
    (signals / "ready").touch()
    while not (signals / "go").exists():
        time.sleep(0.2)
    geocoder.geocode_many(texts, use_cache=False)
    os._exit(0)  # nothing after the batch is counted: no teardown


if __name__ == "__main__":
    if sys.argv[1:2] == ["--batch"]:
        _batch(Path(sys.argv[2]))
    else:
        main()
