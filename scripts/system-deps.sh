#!/usr/bin/env bash
# Install what pip cannot, with apt-get, only when missing (quiet when all is present):
#   - Python's venv module (python3.11-venv / python3-venv) for `python3 -m venv`;
#   - a C compiler and Python's headers, for the compiled address matcher (setup.py);
#   - PostgreSQL 15 + PostGIS 3, unless TUQUAN_DATABASE_URL names an existing server;
#   - Chromium for the browser tests, unless TUQUAN_SKIP_BROWSER=1;
#   - with --bench only: wrk, the HTTP load generator of bench/tiles.py and bench/api_load.py,
#     and valgrind, whose callgrind counts the instructions of bench/geocode_instructions.py.
# With --python only the Python part is checked (the Makefile's venv step uses it).
# Debian/Ubuntu with apt only; elsewhere it says what to install and stops.
# PYTHON (default: python3.11, else python3) is the interpreter the venv is made from.
set -euo pipefail

bench=0
python_only=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    --python) python_only=1 ;;
    *) echo "system-deps.sh: unknown option '$arg' (use --bench or --python)" >&2; exit 2 ;;
  esac
done

want=()  # Debian package names
need=()  # what to install, in words, for systems without apt

py="${PYTHON:-}"
if [ -z "$py" ]; then
  py=$(command -v python3.11 || command -v python3 || true)
fi
if [ -z "$py" ] || ! command -v "$py" >/dev/null; then
  want+=(python3 python3-venv)
  need+=("Python 3.11 with its venv module")
elif ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  # Debian splits ensurepip out of the interpreter: `python3 -m venv` fails without it.
  ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || ver=3
  if command -v apt-cache >/dev/null && apt-cache show "python${ver}-venv" >/dev/null 2>&1; then
    want+=("python${ver}-venv")
  else
    want+=(python3-venv)
  fi
  need+=("the venv/ensurepip module of $py (Debian: python${ver}-venv)")
fi

# A C compiler and the interpreter's headers: setup.py compiles the address matcher with
# Cython (without them it installs as plain Python, about a third slower).
if [ -n "$py" ] && command -v "$py" >/dev/null; then
  command -v cc >/dev/null || command -v gcc >/dev/null \
    || { want+=(gcc libc6-dev); need+=("a C compiler (gcc), for the compiled address matcher"); }
  if ! "$py" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
    ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || ver=3
    want+=("python${ver}-dev")
    need+=("the C headers of $py (Debian: python${ver}-dev), for the compiled address matcher")
  fi
fi

if [ "$python_only" -eq 0 ]; then
  if [ -z "${TUQUAN_DATABASE_URL:-}" ]; then
    have_pg() { ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null; }
    have_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }
    have_pg || { want+=(postgresql-15); need+=("PostgreSQL >= 15 (server binaries: pg_ctl, initdb)"); }
    have_postgis || { want+=(postgresql-15-postgis-3); need+=("PostGIS >= 3 for that PostgreSQL"); }
  fi
  if [ "${TUQUAN_SKIP_BROWSER:-0}" != "1" ]; then
    command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
      || { want+=(chromium); need+=("Chromium (browser tests; or set TUQUAN_SKIP_BROWSER=1)"); }
  fi
  if [ "$bench" -eq 1 ]; then
    command -v wrk >/dev/null || { want+=(wrk); need+=("wrk (HTTP load generator, make bench only)"); }
    command -v valgrind >/dev/null || { want+=(valgrind); need+=("valgrind (instruction counts, make bench only)"); }
  fi
fi
[ ${#want[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "tuquan: this system has no apt-get; install these yourself, then run make again:" >&2
  for item in "${need[@]}"; do echo "  - $item" >&2; done
  if [ "$python_only" -eq 0 ] && [ -z "${TUQUAN_DATABASE_URL:-}" ]; then
    echo "(or set TUQUAN_DATABASE_URL=postgresql://user:pass@host/db to use an existing" >&2
    echo " PostGIS server instead of installing PostgreSQL here)" >&2
  fi
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || {
    echo "tuquan: need root to run: apt-get install ${want[*]}" >&2
    echo "run that as root (or install sudo), then run make again" >&2
    exit 1
  }
  sudo="sudo"
fi
echo "installing system packages: ${want[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
