# Quick start: `make run` (set up and serve the app) and `make test` (set up and pass the suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
# axe-core (npm) checks every page and dialog for WCAG 2.1 A/AA violations in the browser tests.
AXE_VERSION := 4.10.3
AXE := node_modules/axe-core/.installed-$(AXE_VERSION)

.PHONY: run test setup setup-dev lint wrk bench bench-grid bench-token bench-api clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

setup: $(VENV)/.runtime

# npm's --no-save: no package.json to keep; node_modules/ is git-ignored.
$(AXE):
	npm install --no-save --no-audit --no-fund --silent axe-core@$(AXE_VERSION)
	touch $@

setup-dev: $(VENV)/.dev $(AXE)

# Upgrade the database, generate missing keys, seed demo data, print the logins and serve.
run: setup
	$(FLASK) db upgrade
	@test -f var/oauth_private.key || $(FLASK) oauth keys generate
	$(FLASK) demo seed
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The whole suite; OAUTHSRV_TEST_DATABASE_URI picks the database (SQLite by default).
test: setup-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Median and p95 server time of the OAuth Applications grid with 10,000 applications (SQLite).
bench-grid: setup-dev
	$(BIN)/python benchmarks/grid_bench.py $(BENCH_ARGS)

# wrk (Debian's package) loads the servers in the HTTP benchmarks; installed here when missing.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

# Token endpoint vs a bare RS256-signing Flask endpoint, gunicorn -w 2 each, wrk on 127.0.0.1;
# SQLite, then PostgreSQL too when BENCH_DATABASE_URI=postgresql+psycopg://… is set.
bench-token: setup-dev wrk
	$(BIN)/python benchmarks/token_bench.py $(BENCH_ARGS)
	@if [ -n "$(BENCH_DATABASE_URI)" ]; then \
		$(BIN)/python benchmarks/token_bench.py --database-uri "$(BENCH_DATABASE_URI)" $(BENCH_ARGS); fi

# GET /admin/api/me with a valid token vs a bare Flask hello, the same way.
bench-api: setup-dev wrk
	$(BIN)/python benchmarks/api_bench.py $(BENCH_ARGS)
	@if [ -n "$(BENCH_DATABASE_URI)" ]; then \
		$(BIN)/python benchmarks/api_bench.py --database-uri "$(BENCH_DATABASE_URI)" $(BENCH_ARGS); fi

bench: bench-token bench-api

clean:
	rm -rf $(VENV) .pytest_cache
