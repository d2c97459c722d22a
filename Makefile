# Two commands: `make run` and `make test` (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000

.PHONY: run test install lint typecheck pytest bench bench-venv soak clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  # `make run PORT=5001` for another port
	$(BIN)/zyn run --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache  # layering + no cycles: .importlinter (issue 18)

typecheck: $(STAMP)
	$(BIN)/mypy core
	$(BIN)/mypy bot adapters scheduler

PYTEST_ARGS ?=  # e.g. PYTEST_ARGS="-n 2 --dist loadfile" (pytest-xdist; see README "Tests and benchmarks")
pytest: $(STAMP)
	$(BIN)/pytest --durations=30 $(PYTEST_ARGS)

test: lint typecheck pytest

# peers for bench/backtest_speed.py live in their own venv, never in the runtime lock
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: bench/requirements-peers.txt
	test -x $(BENCH_VENV)/bin/python || $(PY) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements-peers.txt
	touch $(BENCH_VENV)/.installed

bench-venv: $(BENCH_VENV)/.installed

bench: $(STAMP)
	-$(MAKE) bench-venv  # offline or failing: the table then shows Zyn, bare numba and plain Python only
	$(BIN)/python bench/backtest_speed.py --out bench/results/backtest_speed.md
	$(BIN)/python bench/chat_latency.py
	$(BIN)/python bench/chat_client.py
	$(BIN)/python bench/walk_forward.py
	$(BIN)/python bench/universe_tick.py

soak: $(STAMP)  # not part of `make test`: 30 simulated days at 240 pairs, main side by side (tens of minutes)
	$(BIN)/python bench/soak.py --pairs 240 --days 30 --warmup-days 12 --baseline main

clean:
	rm -rf $(VENV) var/*.db
