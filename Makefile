# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint typecheck bench saleor-client clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

## The main job on embedded defaults: PostgreSQL, broker, web, worker, beat, Saleor sandbox, install, orders.
demo: venv
	$(BIN)/python -m backend.demo $(DEMO_ARGS)

## The whole suite (DATABASE_URL if set, else an embedded PostgreSQL; Redis at REDIS_URL or localhost).
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy shop_extensions backend

# Statement workers run with jemalloc where the machine has it (Debian libjemalloc2; backend/demo.py, deploy/).
JEMALLOC := $(firstword $(wildcard /usr/lib/*-linux-gnu/libjemalloc.so.2))

## Benchmarks (tests/bench): webhook intake vs a bare Django view under gunicorn; attribution and balances.
bench: venv
	$(BIN)/python -m tests.bench.bench_intake $(BENCH_ARGS)
	$(BIN)/python -m tests.bench.bench_ledger
	$(BIN)/python -m tests.bench.bench_positions
	$(BIN)/python -m tests.bench.bench_payouts $(PAYOUTS_BENCH_ARGS)
	$(BIN)/python -m tests.bench.bench_portal
	LD_PRELOAD=$(JEMALLOC) $(BIN)/python -m tests.bench.bench_statements $(STATEMENTS_BENCH_ARGS)
	$(BIN)/python -m tests.bench.bench_coordinator $(COORDINATOR_BENCH_ARGS)

## Regenerate the typed Saleor client from SALEOR_SCHEMA_PATH (default ../shared/saleor/schema.graphql).
saleor-client: venv
	$(BIN)/python -m shop_extensions.saleor_app.codegen

clean:
	rm -rf .local/broker .pytest_cache .mypy_cache .ruff_cache
