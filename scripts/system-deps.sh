#!/usr/bin/env bash
# Install what pip cannot: PostgreSQL + PostGIS (and Chromium for the browser tests).
# Debian/Ubuntu with apt only; elsewhere it says what to install and stops.
set -euo pipefail

want=()
have_pg() { ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null; }
have_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }
have_pg || want+=(postgresql-15)
have_postgis || want+=(postgresql-15-postgis-3)
command -v wrk >/dev/null || want+=(wrk)  # the HTTP load generator of bench/tiles.py, api_load.py
if [ "${TUQUAN_SKIP_BROWSER:-0}" != "1" ]; then
  command -v chromium >/dev/null || want+=(chromium)
  command -v chromedriver >/dev/null || want+=(chromium-driver)
fi
[ ${#want[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "tuquan needs: ${want[*]} (PostgreSQL 15+ with PostGIS 3, Chromium)." >&2
  echo "Install them with your system's package manager, or set TUQUAN_DATABASE_URL" >&2
  echo "to an existing PostGIS server." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root to apt-get install ${want[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing system packages: ${want[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
