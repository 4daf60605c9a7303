# The two commands of the README: `make demo` and `make test` do all the set-up.
# A name, not a path: system-deps.sh may install python3 first on a bare system.
PYTHON ?= $(shell command -v python3.11 >/dev/null && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
# A local mirror of the boundary origin, used when present (no download needed).
MIRROR := $(abspath ../shared/data/vietnamese-provinces-database)
ifeq ($(wildcard $(MIRROR)),)
DEMO_SOURCE :=
else
DEMO_SOURCE := --source $(MIRROR)
endif

.PHONY: demo test lint format bench system-deps bench-deps clean

# A venv without pip (left by `python3 -m venv` before python3-venv was installed) is redone.
# setup.py compiles these (Cython), with the C types of their .pxd files: an edit of one
# rebuilds them.
MATCHER := gis/normalise.py $(wildcard gis/address_*.py gis/*.pxd) gis/geocoding.py \
	gis/geocode_result.py gis/coordinates.py gis/gazetteer.py

$(BIN)/tuquan: pyproject.toml setup.py $(MATCHER)
	@test -x $(BIN)/pip || { PYTHON=$(PYTHON) ./scripts/system-deps.sh --python && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	@touch $@

# PostgreSQL + PostGIS (not with TUQUAN_DATABASE_URL), Chromium, Python's venv module.
system-deps:
	@PYTHON=$(PYTHON) ./scripts/system-deps.sh

# The same plus wrk (the HTTP load generator of the benchmarks) and valgrind (instruction counts).
bench-deps:
	@PYTHON=$(PYTHON) ./scripts/system-deps.sh --bench

demo: system-deps $(BIN)/tuquan
	$(BIN)/tuquan db start
	$(BIN)/tuquan db upgrade
	$(BIN)/tuquan boundaries fetch --province 37 $(DEMO_SOURCE)
	$(BIN)/tuquan demo-data --province 37 --out .tuquan/demo
	$(BIN)/tuquan import sites .tuquan/demo/demo_sites.xlsx --skip-bad-rows --report .tuquan/demo/report_sites.csv
	$(BIN)/tuquan import incidents .tuquan/demo/demo_incidents_2020_2022.csv --source demo --skip-bad-rows --report .tuquan/demo/report_incidents_2020_2022.csv
	$(BIN)/tuquan import incidents .tuquan/demo/demo_incidents_2023_2025.xlsx --source demo --skip-bad-rows --report .tuquan/demo/report_incidents_2023_2025.csv
	$(BIN)/tuquan coverage --province 37
	$(BIN)/tuquan hotspots --province 37
	$(BIN)/tuquan candidates --province 37 --k 5 --radius-m 3000 --as-of 2021-06-30
	$(BIN)/tuquan maps build --province 37 --out .tuquan/maps --k 5 --radius-m 3000 --as-of 2021-06-30
	$(BIN)/tuquan demo accounts --province 37
	@echo "Máy chủ chạy đến khi bấm Ctrl-C / the server runs until Ctrl-C"
	$(BIN)/tuquan serve

test: system-deps $(BIN)/tuquan
	$(BIN)/pytest

lint: $(BIN)/tuquan
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/tuquan
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: bench-deps $(BIN)/tuquan
	$(BIN)/python -m bench

clean:
	-$(BIN)/tuquan db stop
	rm -rf $(VENV) .tuquan
