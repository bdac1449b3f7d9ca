# Tasklane: the commands a newcomer needs. Each target installs what it needs first.
#   make demo   chat with the assistant: four services in one process, SQLite, no servers
#   make test   lint, type-check, the alert rules (promtool) and the whole suite on the local
#               RabbitMQ and PostgreSQL
#   make run    the four services + the WhatsApp simulator as separate processes (make stop)
#   make bench  offline-engine speed, then webhook throughput and end-to-end latency against a
#               `make run` stack (make bench-agent: the offline engine alone, no stack needed)
#   make bench-analytics  the analytics store at size (EVENTS=10000000 raw events, own database;
#               ARGS="--reuse --no-output" keeps an earlier seed and appends no row)
#   make chaos  faults against a `make run` stack, counted from outside (N=1000 per fault,
#               FAULTS=gateway-kill,..., RATE=msg/s); SOAK=<s> RATE=<msg/s>: a memory/fd/db soak

SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, or bootstrapped into .tools/ (a private venv) on a machine without it.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV_STAMP := .venv/.synced
N ?= 2000
CONCURRENCY ?= 32
RATE ?=
FAULTS ?=
SOAK ?=
IDLE ?=

.PHONY: demo test lint typecheck alerts pytest run stop bench bench-agent bench-analytics bench-storm chaos sync clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

$(VENV_STAMP): $(UV) pyproject.toml uv.lock $(wildcard */*/pyproject.toml)
	@$(UV) sync --frozen --quiet
	@touch $@

sync: $(VENV_STAMP)

demo: $(VENV_STAMP)
	@$(UV) run --no-sync python -m tasklane_stack demo

lint: $(VENV_STAMP)
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .

typecheck: $(VENV_STAMP)
	$(UV) run --no-sync mypy -p tasklane_common -p tasklane_gateway -p tasklane_agent \
		-p tasklane_sender -p tasklane_analytics -p tasklane_simulator -p tasklane_stack

# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get install -y chromium || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

pytest: $(VENV_STAMP) $(CHROMIUM)
	$(UV) run --no-sync pytest

# promtool check + unit tests of deploy/k8s/monitoring/prometheusrule.yaml (promtool unpacked
# from Debian's prometheus package into .tools/ where missing; no server is started).
alerts: $(VENV_STAMP)
	@$(UV) run --no-sync bash deploy/prometheus/check-rules.sh

test: lint typecheck alerts pytest

run: $(VENV_STAMP)
	@$(UV) run --no-sync python -m tasklane_stack run

stop: $(VENV_STAMP)
	@$(UV) run --no-sync python -m tasklane_stack stop

bench: $(VENV_STAMP)
	@$(UV) run --no-sync python -m tasklane_stack bench --messages $(N) --concurrency $(CONCURRENCY) $(if $(RATE),--rate $(RATE))

# The sender's recovery after a Graph API storm, against a `make run` stack (docs/sender.md).
bench-storm: $(VENV_STAMP)
	@$(UV) run --no-sync python -m tasklane_stack bench-storm $(if $(filter command line environment,$(origin N)),--messages $(N))

# The analytics store at size, in its own database (docs/performance.md): EVENTS raw events.
EVENTS ?= 10000000
bench-analytics: $(VENV_STAMP)
	@$(UV) run --no-sync python -m tasklane_stack bench-analytics --events $(EVENTS) $(ARGS)

bench-agent: $(VENV_STAMP)
	@$(UV) run --no-sync python -m tasklane_stack bench --agent-only

# N's default (2000) is the bench's: chaos takes N only when it is given (its own default: 1000).
chaos: $(VENV_STAMP)
	@$(UV) run --no-sync python -m tasklane_stack chaos $(if $(filter command line environment,$(origin N)),--messages $(N)) \
		$(if $(FAULTS),--faults $(FAULTS)) $(if $(RATE),--rate $(RATE)) $(if $(SOAK),--soak $(SOAK)) \
		$(if $(IDLE),--idle $(IDLE))

clean:
	rm -rf .tools .tasklane .run .pytest_cache .mypy_cache .ruff_cache
