# Quick start: `make run` (set up and serve the app) and `make test` (set up and pass the suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
# axe-core (npm) checks every page and dialog for WCAG 2.1 A/AA violations in the browser tests.
AXE_VERSION := 4.10.3
AXE := node_modules/axe-core/.installed-$(AXE_VERSION)

.PHONY: run serve test setup setup-dev lint wrk bench bench-grid bench-token bench-api bench-report \
	loadtest faulttest clean

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
# The issuer is this address unless one is configured (a server never takes it from Host).
run: setup
	$(FLASK) db upgrade
	@test -f var/oauth_private.key || $(FLASK) oauth keys generate
	$(FLASK) demo seed
	@if [ -z "$$OAUTHSRV_OAUTH_ISSUER" ] && ! grep -qs '^OAUTH_ISSUER:' instance/config.yml; then \
		export OAUTHSRV_OAUTH_ISSUER="http://127.0.0.1:$(PORT)"; fi; \
		exec $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production: gunicorn with gunicorn.conf.py (OAUTHSRV_WORKERS, OAUTHSRV_BIND). Sets up the venv,
# migrates and writes keys when missing, before any worker starts; seeds nothing. Without an
# issuer configured (OAUTHSRV_OAUTH_ISSUER or OAUTH_ISSUER in instance/config.yml) it uses the
# bind address, which only suits a try-out on this machine (gunicorn alone refuses to start).
serve: setup
	$(FLASK) db upgrade
	$(FLASK) oauth keys generate --if-missing
	@if [ -z "$$OAUTHSRV_OAUTH_ISSUER" ] && ! grep -qs '^OAUTH_ISSUER:' instance/config.yml; then \
		export OAUTHSRV_OAUTH_ISSUER="http://$${OAUTHSRV_BIND:-127.0.0.1:8000}"; fi; \
		exec $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

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

# The HTTP benchmarks (benchmarks/harness.py): gunicorn -w 2 for our app and the bare Flask
# references, loaded by wrk; the app's workers pinned to CPU 0, wrk and a PostgreSQL server the
# harness starts itself pinned to CPU 1 (BENCH_PIN=0: unpinned). SQLite and PostgreSQL both;
# BENCH_SECONDS / BENCH_ROUNDS set each round's length and the rounds; BENCH_ARGS passes options
# (e.g. --database sqlite). BENCH_DATABASE_URI=postgresql+psycopg://… benchmarks a database you
# lend it instead of the two fresh ones (its server is not pinned; its rows are removed after).
BENCH_DB_ARG = $(if $(BENCH_DATABASE_URI),--database-uri "$(BENCH_DATABASE_URI)")

# POST /oauth2-token vs bare "RS256 sign + read" (target 80 %) and vs bare sign.
bench-token: setup-dev wrk
	$(BIN)/python benchmarks/token_bench.py $(BENCH_DB_ARG) $(BENCH_ARGS)

# GET /admin/api/me vs bare "hello + read" (target 70 %) and vs bare hello.
bench-api: setup-dev wrk
	$(BIN)/python benchmarks/api_bench.py $(BENCH_DB_ARG) $(BENCH_ARGS)

# Both, on both databases, with a summary of the ratios (issue 10's figures).
bench: setup-dev wrk
	$(BIN)/python benchmarks/bench.py $(BENCH_DB_ARG) $(BENCH_ARGS)

# Every benchmark at 1, 4, 16 and 64 connections on both databases: writes docs/benchmarks.md
# and its charts (docs/benchmarks/*.png). BENCH_SECONDS=2 for a smoke run (default 6: ~10 min).
bench-report: setup-dev wrk
	$(BIN)/python benchmarks/report.py $(BENCH_ARGS)

# 16 connections against 4 gunicorn workers for LOADTEST_SECONDS (60) on SQLite, then on a
# PostgreSQL and a Redis of its own: tokens, API calls, JWKS, back-office edits; fails on any 5xx,
# "database is locked", unverifiable token or revocation that does not act on the next call.
LOADTEST_SECONDS ?= 60
loadtest: setup-dev
	$(BIN)/python scripts/loadtest.py --duration $(LOADTEST_SECONDS) $(LOADTEST_ARGS)

# Faults under load, each against servers and databases of its own (tests/production).
faulttest: setup-dev
	$(BIN)/pytest -m slow tests/production -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
