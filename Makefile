# Every target installs what it needs first (pipenv if missing, the locked Python
# packages, the locked npm packages, a Terraform CLI config for the provider mirror).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
PIPENV_PIN  := pipenv==2026.10.3
VENV        := .venv
PY          := $(VENV)/bin/python
EXAMPLE     ?=
STACKS      ?= network services
APP         := $(if $(EXAMPLE),-m examples.$(EXAMPLE),main.py)
CDKTF       := node_modules/.bin/cdktf
CHECKOV_VENV := tools/checkov/.venv
EMULATOR_VENV := tools/emulator/.venv
# With a local provider mirror, `terraform providers lock` (run by cdktf) would ask the registry: skip it then.
LOCK_FLAG    = $(shell grep -qs filesystem_mirror build/terraform.rc && echo --skip-provider-lock)

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export CHECKPOINT_DISABLE := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export TF_CLI_CONFIG_FILE := $(CURDIR)/build/terraform.rc
export TF_IN_AUTOMATION := 1

.PHONY: help setup synth hcl diagram verify deploy-local plan destroy-local test lint format typecheck pytest snapshot-update validate diff deploy destroy bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: $(VENV)/.synced $(CHECKOV_VENV)/.synced $(EMULATOR_VENV)/.synced node_modules/.installed build/terraform.rc ## Install pipenv if missing, the locked Python and npm packages, checkov, moto, the Terraform CLI config

$(VENV)/.synced: Pipfile.lock
	@$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user $(PIPENV_PIN)
	$(PYTHON) -m pipenv sync --dev
	@touch $@

# checkov has its own lock file: its pins (packaging<24) conflict with pytest's.
$(CHECKOV_VENV)/.synced: tools/checkov/Pipfile.lock $(VENV)/.synced
	cd tools/checkov && $(PYTHON) -m pipenv sync
	@touch $@

# moto (the local AWS emulator) too: botocore's python-dateutil<3 conflicts with the app's resolution.
$(EMULATOR_VENV)/.synced: tools/emulator/Pipfile.lock $(VENV)/.synced
	cd tools/emulator && $(PYTHON) -m pipenv sync
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/terraform.rc: $(VENV)/.synced tools/tf_mirror.py
	$(PY) -m tools.tf_mirror $@

synth: setup ## Synthesize cdktf.out/ (EXAMPLE=chain|fanin_grpc for an example; default: the article)
	rm -rf cdktf.out
	$(PY) $(APP)
	@echo "cdktf.out/stacks: $$(ls cdktf.out/stacks | tr '\n' ' ')"

hcl: synth ## Write each synthesized stack as readable Terraform into hcl/<stack>/ (README "Plain Terraform")
	$(PY) -m tools.hcl cdktf.out hcl

test: setup lint typecheck pytest ## Lint, type-check and run every test (what CI runs)

lint: $(VENV)/.synced ## ruff lint + format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.synced ## Apply ruff's formatting and safe fixes
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck: $(VENV)/.synced ## mypy over the project
	$(PY) -m mypy

pytest: setup
	$(PY) -m pytest

snapshot-update: setup ## Rewrite the committed JSON and HCL snapshots after a reviewed change
	$(PY) -m pytest tests/stacks/test_snapshots.py tests/stacks/test_hcl_snapshots.py --snapshot-update

diagram: setup ## Redraw docs/diagrams/ (Mermaid + SVG per example) and the README's diagram
	$(PY) -m tools.diagram

verify: synth ## Prove internal-only on cdktf.out (tools/verify.py) and run checkov with the justified skips
	$(PY) -m tools.verify cdktf.out --example $(or $(EXAMPLE),article)
	$(PY) -m tools.scan cdktf.out

validate: synth ## terraform init + validate on both synthesized stacks
	for s in $(STACKS); do (cd cdktf.out/stacks/$$s && terraform init -input=false -backend=false >/dev/null && terraform validate) || exit 1; done

deploy-local: setup ## Deploy network then services to a local AWS emulator (moto), no account needed
	$(PY) -m tools.local deploy

plan: setup ## Saved plans + JSON + build/plan/review.md against the emulator (TARGET=aws for AWS); exit 1 on a blocking finding
	$(PY) -m tools.local plan --target $(or $(TARGET),emulator)

destroy-local: setup ## Destroy services then network in the local emulator, and forget it
	$(PY) -m tools.local destroy

diff: setup ## cdktf diff (terraform plan) of both stacks
	$(CDKTF) diff $(STACKS) $(LOCK_FLAG)

deploy: setup ## cdktf deploy network then services (needs AWS credentials)
	$(CDKTF) deploy $(STACKS) $(LOCK_FLAG)

destroy: setup ## cdktf destroy, services first
	$(CDKTF) destroy services network $(LOCK_FLAG)

bench: setup ## Whole-process synth timings and peak memory (see README)
	$(PY) -m tools.bench

clean: ## Remove generated output (keeps installed packages and state/)
	rm -rf cdktf.out hcl build .pytest_cache .mypy_cache .ruff_cache
