# SPS — special-population supervision platform. `make run` and `make test` set up everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KAFKA_LIBS := .local/kafka/libs/.complete
DEVSTACK := $(PY) -m tools.devstack
PYTEST_ARGS ?=

.PHONY: help setup console console-api fonts browser run up down demo status promote lint lint-run test test-unit bench k8s k8s-verify reliability dlq-show dlq-replay replay schemas clean

help:
	@echo "make run    — set up and run the whole platform in the foreground (Ctrl-C stops it)"
	@echo "make up     — the same, detached; returns when every service is ready"
	@echo "make up CLUSTER=3 — the same on three brokers, a PostgreSQL standby, two of supervision and alerting"
	@echo "make down   — stop everything"
	@echo "make promote — promote the cluster's PostgreSQL standby after its primary died"
	@echo "make test   — set up and run the whole test suite (real Kafka and PostgreSQL), the lint beside it"
	@echo "make test-unit — the unit and static tests alone: the quick loop (the virtual environment only)"
	@echo "make lint   — ruff, mypy strict on shared/ and every domain/; the console's vue-tsc, ESLint and API types"
	@echo "make console-api — the console's API types again from the command centre's routes"
	@echo "make demo   — up, plus the simulator"
	@echo "make bench  — the benchmark (bench/results/latest.json)"
	@echo "make reliability — the fault suite; rewrites docs/reliability.md with its figures"
	@echo "make k8s-verify — deploy/k8s as a server-side dry run on a real kube-apiserver (docs/operations.md)"
	@echo "make dlq-show TOPIC=…, make dlq-replay TOPIC=… — a dead-letter topic by reason; replay it after a fix"
	@echo "make replay FROM=… TO=… POLICY=… — what a changed alerts.yaml would have raised over a recorded period"

# The virtualenv: pinned direct dependencies (pyproject.toml), whole set pinned by constraints.txt.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip==26.3"
	$(PY) -m pip install -q -c constraints.txt -e ".[dev,tools]"
	@touch $(STAMP)

# Kafka's jars from Maven Central (deploy/kafka/pom.xml), cached under .local/.
$(KAFKA_LIBS): deploy/kafka/pom.xml $(STAMP)
	$(PY) -c "from tools.devstack.kafka import ensure_jars; ensure_jars()"

# The console (services/command_centre/console): Vue 3, Element Plus and ECharts from the committed
# package-lock.json (npm ci), built by Vite into dist/, which the command centre serves. Nothing
# from a CDN at run time: the console runs on an intranet.
CONSOLE := services/command_centre/console
CONSOLE_BUILT := $(CONSOLE)/dist/.built
CONSOLE_SOURCES := $(shell find $(CONSOLE)/src -type f 2>/dev/null) $(CONSOLE)/index.html $(CONSOLE)/vite.config.ts $(CONSOLE)/tsconfig.json
$(CONSOLE)/node_modules/.installed: $(CONSOLE)/package.json $(CONSOLE)/package-lock.json
	cd $(CONSOLE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(CONSOLE_BUILT): $(CONSOLE)/node_modules/.installed $(CONSOLE_SOURCES)
	cd $(CONSOLE) && npm run --silent build
	@touch $@

console: $(CONSOLE_BUILT)

# The console's typed client: the command centre's OpenAPI document (console/openapi.json, held to
# the code by tests/static/test_console_contract.py) and the TypeScript types made from it by
# openapi-typescript (console/src/api/schema.d.ts). Run after changing a staff route.
console-api: $(STAMP) $(CONSOLE)/node_modules/.installed
	$(PY) -m services.command_centre.openapi
	cd $(CONSOLE) && npm run --silent api

setup: $(STAMP) $(KAFKA_LIBS) $(CONSOLE_BUILT) fonts

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# The command centre prints 解除社区矫正证明书 in Debian's Noto CJK. Without them the platform runs
# and the certificate answers 503 naming the font (services/command_centre/adapters/certificate_pdf.py).
fonts:
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { \
	  echo "installing Debian's CJK fonts for printed certificates"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends fonts-noto-cjk; } || \
	  echo "warning: fonts-noto-cjk is not installed; certificates cannot be printed" >&2

# The browser tests drive Debian's chromium (never a downloaded browser) with CJK fonts.
browser:
	@dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and CJK fonts for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk; }

# CLUSTER=3: three Kafka brokers (replication factor 3), a synchronous PostgreSQL standby, two
# instances each of supervision and alerting (docs/operations.md, "Beyond one machine").
CLUSTER ?= 1
run: setup
	$(DEVSTACK) run --cluster $(CLUSTER)

up: setup
	$(DEVSTACK) up --cluster $(CLUSTER)

down:
	@if [ -x $(PY) ]; then $(DEVSTACK) down; else echo "nothing to stop"; fi

status: setup
	$(DEVSTACK) status

promote: setup
	$(DEVSTACK) promote

demo: up
	$(PY) -m tools.devstack.simulator

# The house rules (docs/architecture.md, "Checked by tools"): ruff's lint and format on everything,
# mypy strict on the shared plumbing and the pure domains, mypy on the rest of the services; the
# console type-checked in strict mode (vue-tsc), linted (ESLint), its API types current.
lint: setup lint-run

lint-run:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict shared services/*/domain
	$(VENV)/bin/mypy --no-warn-unused-ignores services
	cd $(CONSOLE) && npm run --silent typecheck && npm run --silent lint && npm run --silent api:check

# The lint runs beside pytest, and pytest starts the test stack in the background while the unit
# and static tests run (tools/testrun.py, tests/conftest.py); each phase's time is printed.
test: setup browser
	$(PY) -m tools.testrun $(PYTEST_ARGS)

# The quick loop while working: the virtual environment alone (no Kafka jars, console build,
# fonts or browser); the tests that need Debian's CJK fonts are left to `make test`.
test-unit: $(STAMP)
	$(PY) -m pytest tests/unit tests/static -m "not fonts" $(PYTEST_ARGS)

BENCH_ARGS ?=
bench: setup
	$(PY) -m bench $(BENCH_ARGS)

# deploy/k8s from deploy/k8s/generate.py (tests/static/test_k8s.py checks they match).
k8s: setup
	$(PY) deploy/k8s/generate.py
	$(PY) deploy/kafka/compose_setup.py
	$(PY) deploy/postgres/compose_roles.py

# The fault suite alone at full size (`make test` runs it at a quarter: SPS_FAULT_SCALE), one test
# after another, writing its figures to docs/reliability.md.
reliability: setup
	SPS_FAULT_SCALE=1 SPS_RELIABILITY_DOC=docs/reliability.md $(PY) -m pytest tests/faults -p no:cacheprovider -s $(PYTEST_ARGS)

# deploy/k8s on a real API server: kube-apiserver built from the Go module proxy (pinned in
# tools/k8s_verify/binaries.py) with Debian's etcd on loopback; every object as a server-side dry
# run, the table written into docs/operations.md. Minutes the first time (the build); not in CI.
k8s-verify: setup
	@command -v etcd >/dev/null || { \
	  echo "installing Debian's etcd-server for make k8s-verify"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends etcd-server; }
	$(PY) -m tools.k8s_verify --doc docs/operations.md

TOPIC ?=
dlq-show: setup
	@test -n "$(TOPIC)" || { echo "usage: make dlq-show TOPIC=ingest.locations.v1"; exit 2; }
	$(PY) -m tools.dlq show $(TOPIC)

dlq-replay: setup
	@test -n "$(TOPIC)" || { echo "usage: make dlq-replay TOPIC=ingest.locations.v1"; exit 2; }
	$(PY) -m tools.dlq replay $(TOPIC)

FROM ?=
TO ?=
POLICY ?=
replay: setup
	@test -n "$(FROM)" && test -n "$(TO)" && test -n "$(POLICY)" || { echo "usage: make replay FROM=2026-11-27T08:00 TO=2026-11-27T20:00 POLICY=path/to/alerts.yaml (or its directory)"; exit 2; }
	$(PY) -m tools.replay --from "$(FROM)" --to "$(TO)" --policy "$(POLICY)" $(REPLAY_ARGS)

schemas: setup
	$(PY) -m shared.asyncapi

clean: down
	rm -rf .local $(VENV)
