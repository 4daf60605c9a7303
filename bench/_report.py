"""What every benchmark shares: repeated timings (min/median/max), ratios and bench/results.md.

A bench module opens a ``Section`` and reports through it; each line is printed as it comes
and the section replaces its own part of ``results.md`` at the end (``Section.save``), so
`make bench` rebuilds the whole file and ``python -m bench NAME`` refreshes one part.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

RESULTS = Path(__file__).resolve().parent / "results.md"
REPEATS = int(os.environ.get("BENCH_REPEATS", 3))
T = TypeVar("T")
PACKAGES = ("numpy", "pandas", "shapely", "geopandas", "pyogrio", "esda", "libpysal", "spopt",
            "h3", "sqlalchemy", "psycopg", "fastapi", "uvicorn", "folium", "playwright",
            "vietnamadminunits")  # fmt: skip


@dataclass(frozen=True)
class Stats:
    """Repeated measurements of one figure."""

    values: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def show(self, unit: str = "s", digits: int = 2) -> str:
        """'median unit (min … max, n runs)'; a single run is shown alone."""
        if len(self.values) == 1:
            return f"{self.median:,.{digits}f} {unit} (1 run)"
        return (
            f"{self.median:,.{digits}f} {unit} (min {self.min:,.{digits}f}, "
            f"max {self.max:,.{digits}f}, {len(self.values)} runs)"
        )


def stats(values) -> Stats:
    """Stats of measured values (at least one)."""
    values = tuple(float(v) for v in values)
    if not values:
        raise ValueError("no measurement")
    return Stats(values)


def repeat(fn: Callable[[], T], runs: int = REPEATS, warmup: int = 0) -> tuple[Stats, T]:
    """Time ``fn`` ``runs`` times (after ``warmup`` untimed calls): its Stats and last value."""
    for _ in range(warmup):
        fn()
    times, value = [], None
    for _ in range(max(runs, 1)):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return Stats(tuple(times)), value


def _run(*command: str) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unavailable"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> str:
    try:
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        return f"{int(first.split()[1]) / 2**20:.0f} GB"
    except (OSError, IndexError, ValueError):
        return "unknown"


def _database_versions() -> str:
    try:
        import sqlalchemy as sa

        from gis.database import make_engine, server_url
        from gis.settings import Settings

        engine = make_engine(server_url(Settings()).set(database="postgres"))
        with engine.connect() as conn:
            pg = conn.scalar(sa.text("SHOW server_version"))
            postgis = conn.scalar(
                sa.text("SELECT default_version FROM pg_available_extensions WHERE name='postgis'")
            )
        engine.dispose()
        return f"PostgreSQL {pg}, PostGIS {postgis}"
    except Exception as exc:  # the header must not stop a bench run
        return f"unavailable ({exc.__class__.__name__})"


def machine() -> list[str]:
    """Lines describing the machine and the versions a run used."""
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return [
        f"- machine: {_cpu()}, {os.cpu_count()} CPUs, {_memory_gb()} RAM, "
        f"{platform.system()} {platform.release()} ({platform.machine()}); the machine is "
        "shared with other work, so figures carry its noise (hence min/median/max)",
        f"- {platform.python_implementation()} {platform.python_version()}; "
        f"{_database_versions()}; {_run('/usr/bin/chromium', '--version')}; "
        f"{_run('wrk', '--version') or 'wrk missing'}",
        f"- packages: {', '.join(versions)}",
    ]


@dataclass
class Section:
    """One bench module's part of results.md; every line is also printed."""

    name: str
    title: str
    lines: list[str] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def line(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def figure(self, label: str, measured: Stats, unit: str = "s", digits: int = 2) -> None:
        """One measured figure: median with min and max."""
        self.line(f"- {label}: {measured.show(unit, digits)}")

    def ratio(self, label: str, ours: Stats, peer: Stats, higher_is_better: bool = False) -> float:
        """The peer/ours ratio of medians (how many times better ours is; > 1: ours wins)."""
        if min(ours.median, peer.median) <= 0:
            self.line(f"- ratio {label}: not measurable (a median is 0)")
            return float("nan")
        value = ours.median / peer.median if higher_is_better else peer.median / ours.median
        verdict = "ours better" if value > 1 else "peer better"
        self.line(f"- **ratio {label}: {value:.2f}×** ({verdict}; medians of the same run)")
        return value

    def table(self, header: tuple[str, ...], rows: list[tuple]) -> None:
        """A Markdown table (also printed)."""
        self.line("| " + " | ".join(header) + " |")
        self.line("|" + "---|" * len(header))
        for row in rows:
            self.line("| " + " | ".join(str(c) for c in row) + " |")

    def save(self, path: Path = RESULTS) -> None:
        """Put this section into results.md (replacing its previous run), header refreshed."""
        seconds = (datetime.now(UTC) - self.started).total_seconds()
        body = "\n".join(
            [f"## {self.title} (`bench.{self.name}`)", "",
             f"_run {self.started:%Y-%m-%d %H:%M} UTC, {seconds:.0f} s_", "", *self.lines, ""]
        )  # fmt: skip
        sections = _sections(path.read_text(encoding="utf-8") if path.exists() else "")
        sections[self.name] = body
        header = [
            "# tuquan benchmarks",
            "",
            "Written by `make bench` (`python -m bench`; one module: `python -m bench NAME`). "
            "Every figure is the median of repeated runs with its min and max; every ratio "
            "compares medians measured in the same run, peer / ours for times (higher: ours "
            "faster) and ours / peer for rates.",
            "",
            f"_header refreshed {datetime.now(UTC):%Y-%m-%d %H:%M} UTC_",
            "",
            *machine(),
            "",
        ]
        text = "\n".join(header) + "\n" + "\n".join(sections[k] for k in sorted(sections))
        path.write_text(text, encoding="utf-8")


_SECTION_RE = re.compile(r"^## .*\(`bench\.(\w+)`\)$", re.MULTILINE)


def _sections(text: str) -> dict[str, str]:
    found = list(_SECTION_RE.finditer(text))
    out = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        out[match.group(1)] = text[match.start() : end].rstrip() + "\n"
    return out
