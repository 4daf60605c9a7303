"""HTTP load on loopback: servers started with uvicorn, load from `wrk` (C, keep-alive).

`wrk` (Debian package, scripts/system-deps.sh) keeps N connections busy for D seconds,
each request taking the next path of a list (a Lua script), and reports requests, bytes,
latency percentiles and errors (connect/read/write/timeout, and statuses ≥ 400). Being C
and event-driven, it takes far less of the 2 shared CPUs than a Python load generator.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

from gis import auth

LUA = r"""
local paths = {%(paths)s}
local n = #paths
local i = 0
wrk.headers["Authorization"] = %(auth)s
wrk.headers["Accept"] = "*/*"
local id = 0
setup = function(thread) thread:set("id", id); id = id + 1 end
init = function(args) i = (id * 7919) %% n end
request = function()
  i = i %% n + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "p50_us": %%d, ' ..
    '"p90_us": %%d, "p99_us": %%d, "max_us": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read,
    e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class LoadRun:
    """One wrk run: rates, latency percentiles (ms) and errors."""

    requests: int
    seconds: float
    bytes: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors, timeouts and answers with status >= 400

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def mean_kb(self) -> float:
        return self.bytes / max(self.requests, 1) / 1e3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(base: str, paths: list[str], token: str | None, connections: int, seconds: int,
        threads: int = 2, ready: str = "/conformance") -> LoadRun:  # fmt: skip
    """Run wrk against ``base`` cycling through ``paths`` (each thread from its own place),
    once the server is idle (``ready``: a cheap path)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: run scripts/system-deps.sh (apt-get install wrk)")
    script = LUA % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "auth": json.dumps(f"Bearer {token}" if token else ""),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    settle(base, ready)
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
             "-s", fh.name, base],
            capture_output=True, text=True, check=True, timeout=seconds + 120,
        )  # fmt: skip
    finally:
        os.unlink(fh.name)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    r = json.loads(line[7:])
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return LoadRun(
        requests=r["requests"], seconds=r["duration_us"] / 1e6, bytes=r["bytes"],
        p50_ms=r["p50_us"] / 1e3, p90_ms=r["p90_us"] / 1e3, p99_ms=r["p99_us"] / 1e3,
        max_ms=r["max_us"] / 1e3, errors=errors,
    )  # fmt: skip


def settle(base: str, path: str, limit_s: float = 120.0) -> None:
    """Wait until the server has finished the requests left by a run (wrk closes its
    connections at the end, the server still answers what they asked): a cheap request
    answered quickly twice in a row."""
    deadline, quick = time.monotonic() + limit_s, 0
    while quick < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        with suppress(httpx.HTTPError):
            httpx.get(base + path, timeout=limit_s)
        quick = quick + 1 if time.monotonic() - started < 0.1 else 0
        time.sleep(0.2)


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, ready_path: str,
           log: Path) -> Iterator[str]:  # fmt: skip
    """Run a uvicorn ``command`` until the block ends; yields its base URL once it answers."""
    base = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server {command[0]} ended early, see {log}")
            try:
                if httpx.get(base + ready_path, timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server {command[0]} not ready after 120 s, see {log}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


UVICORN_FLAGS = ["--host", "127.0.0.1", "--workers", "1", "--no-access-log", "--log-level",
                 "warning"]  # fmt: skip


def viewer_token(engine, username: str) -> str:
    """A fresh API token of the bench's viewer account ``username`` (made on first use)."""
    with engine.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT count(*) FROM app_user WHERE username = :u"), {"u": username}
        )
    if not exists:
        auth.add_user(engine, username, "một mật khẩu đủ dài cho bench", "viewer")
    return auth.issue_token(engine, username)[0]
