# gridreg — the two commands a newcomer needs:
#   make run    set up, migrate, load the Xinzheng demo and serve on http://127.0.0.1:$(GRIDREG_PORT)
#   make test   set up and run the whole suite on SQLite+SpatiaLite and PostgreSQL+PostGIS with Redis

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
GRIDREG_PORT ?= 8000
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_USER ?= postgres
REDIS_HOST ?= 127.0.0.1
REDIS_PORT ?= 6379
APT_UPDATED := /tmp/.gridreg-apt-updated

export GRIDREG_PORT

.PHONY: run test test-postgresql test-sqlite-next-year lint venv dev-venv system-run system-test check-services clean

run: system-run venv
	@mkdir -p var media
	GRIDREG_DEMO=1 $(BIN)/gridreg db upgrade
	GRIDREG_DEMO=1 $(BIN)/gridreg demo load
	@echo "gridreg demo: http://127.0.0.1:$(GRIDREG_PORT)/  (API docs /api/docs; users admin, designer, supervisor, worker, police; password gridreg-demo)"
	GRIDREG_DEMO=1 $(BIN)/gridreg serve

test: system-test dev-venv check-services lint
	@if [ -n "$(PYTEST_ARGS)" ]; then $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else $(MAKE) --no-print-directory -j2 --output-sync=target test-postgresql test-sqlite-next-year; fi
	node --test tests/mobile_web/

# The whole suite runs as two lanes side by side, one a core each, with a Redis database of its own:
# every database test on PostgreSQL at today's date, and every database test on SQLite with this
# process's wall clock a year ahead, so that no test depends on today's date. The browser and fault
# tests start their own Chromium, gunicorn and PostgreSQL, whose clocks stay where they are: they run
# once, at today's date, after the SQLite lane's first pass. Tests without a database run in both lanes.
test-postgresql: dev-venv
	GRIDREG_TEST_REDIS_URL=redis://$(REDIS_HOST):$(REDIS_PORT)/14 \
		$(BIN)/python -m pytest --db postgresql -q --ignore=tests/browser --ignore=tests/faults

test-sqlite-next-year: dev-venv
	GRIDREG_TEST_REDIS_URL=redis://$(REDIS_HOST):$(REDIS_PORT)/13 \
		$(BIN)/python -m pytest --db sqlite -q --clock-ahead-days 365 --ignore=tests/browser --ignore=tests/faults
	GRIDREG_TEST_REDIS_URL=redis://$(REDIS_HOST):$(REDIS_PORT)/13 \
		$(BIN)/python -m pytest -q tests/browser tests/faults

# --- Python environment -------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed
dev-venv: $(VENV)/.installed-dev

# --- System packages (Debian) -------------------------------------------------

define apt_install
	@if [ "$$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then \
		echo "missing Debian packages: $(1) — install them as root (apt-get install $(1))" >&2; exit 1; fi; \
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	[ -f $(APT_UPDATED) ] || { $$SUDO apt-get update -qq && touch $(APT_UPDATED); }; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(1) >/dev/null
endef

system-run:
	@ls /usr/lib/*/mod_spatialite.so >/dev/null 2>&1 || { echo "installing SpatiaLite"; $(MAKE) --no-print-directory _apt PKGS=libsqlite3-mod-spatialite; }

system-test: system-run
	@command -v node >/dev/null || { echo "installing Node.js"; $(MAKE) --no-print-directory _apt PKGS=nodejs; }
	@command -v java >/dev/null || { echo "installing Java for ODK Validate"; \
		$(MAKE) --no-print-directory _apt PKGS=default-jre-headless; }
	@[ -x /usr/bin/chromium ] && dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { \
		echo "installing Chromium and Chinese fonts for the browser tests"; \
		$(MAKE) --no-print-directory _apt PKGS="chromium fonts-noto-cjk"; }
	@pg_ver=$$(psql -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -tAc "SHOW server_version_num" postgres 2>/dev/null | cut -c1-2); \
	if [ -z "$$pg_ver" ]; then echo "PostgreSQL is not reachable at $(PG_HOST):$(PG_PORT) as $(PG_USER): the tests need it" >&2; exit 1; fi; \
	have=$$(psql -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -tAc "SELECT 1 FROM pg_available_extensions WHERE name='postgis'" postgres); \
	if [ "$$have" != 1 ]; then echo "installing PostGIS for PostgreSQL $$pg_ver"; \
		$(MAKE) --no-print-directory _apt PKGS=postgresql-$$pg_ver-postgis-3; fi

_apt:
	$(call apt_install,$(PKGS))

check-services:
	@$(BIN)/python -c "import redis,sys; redis.Redis(host='$(REDIS_HOST)', port=$(REDIS_PORT), socket_connect_timeout=2).ping()" 2>/dev/null \
		|| { echo "Redis is not reachable at $(REDIS_HOST):$(REDIS_PORT): the tests need it" >&2; exit 1; }

lint: dev-venv
	$(BIN)/ruff check server tests benchmarks
	$(BIN)/mypy server

clean:
	rm -rf $(VENV) var
