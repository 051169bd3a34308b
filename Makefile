# Quick start: `make run` (set up and serve the app) and `make test` (set up and pass the suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test setup setup-dev lint bench-grid bench-token bench-api clean

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

setup-dev: $(VENV)/.dev

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

# Token endpoint vs a bare RS256-signing Flask endpoint, gunicorn -w 2 each, on 127.0.0.1;
# SQLite by default, PostgreSQL with BENCH_DATABASE_URI=postgresql+psycopg://…
bench-token: setup-dev
	$(BIN)/python benchmarks/token_bench.py $(if $(BENCH_DATABASE_URI),--database-uri $(BENCH_DATABASE_URI))

# Requests/s of GET /admin/api/me under gunicorn (2 workers) beside a bare Flask hello, on SQLite;
# also on PostgreSQL when BENCH_DATABASE_URI names an empty database.
bench-api: setup-dev
	-$(BIN)/python benchmarks/api_bench.py $(BENCH_ARGS)
	@if [ -n "$(BENCH_DATABASE_URI)" ]; then \
		$(BIN)/python benchmarks/api_bench.py --database-uri "$(BENCH_DATABASE_URI)" $(BENCH_ARGS); fi

clean:
	rm -rf $(VENV) .pytest_cache
