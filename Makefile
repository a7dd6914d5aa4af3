# Every target installs what it needs first (pipenv if missing, the locked Python
# packages, the locked npm packages, a Terraform CLI config for the provider mirror).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
PIPENV_PIN  := pipenv==2026.10.3
VENV        := .venv
PY          := $(VENV)/bin/python
# The system every target acts on: SYSTEM=<module> (e.g. acme.shop), EXAMPLE=<name> as a short
# form of SYSTEM=examples.<name>, else $$INTERNAL_API_SYSTEM, else the article. ENV=<name> picks
# one of its environments. main.py and plain `cdktf` read the same two variables.
EXAMPLE     ?=
SYSTEM_GIVEN := $(if $(or $(filter command line environment,$(origin SYSTEM)),$(EXAMPLE),$(INTERNAL_API_SYSTEM)),yes)
SYSTEM      ?= $(or $(if $(EXAMPLE),examples.$(EXAMPLE)),$(INTERNAL_API_SYSTEM),examples.article)
ENV         ?= $(INTERNAL_API_ENV)
export INTERNAL_API_SYSTEM := $(SYSTEM)
export INTERNAL_API_ENV := $(ENV)
SELECTED     = $(shell $(PY) -m topology.selection stacks --system $(SYSTEM) $(if $(ENV),--env $(ENV)))
# Where output goes; tests and CI jobs point these elsewhere.
OUTDIR        ?= cdktf.out
EMULATOR_HOME ?= build/emulator
PLANDIR       ?= build/plan
# A release: VARS="image_orders=<repository>:<tag> ..." (Terraform -var, per services stack); TF_VAR_image_<service> works too.
VARS          ?=
VAR_FLAGS      = $(foreach v,$(VARS),--var $(v))
DIAGRAMS      ?= build/diagrams
# `make verify` options, each named as python -m proof.verify's flag: PLAN=<terraform show -json file> (repeatable
# as a space-separated list), VERBOSE=1, TRACEBACK=1; ACCEPT_PLAN_TIME_CHECKS=1 is kept for old scripts (a no-op).
PLAN          ?=
VERIFY_FLAGS   = $(foreach p,$(PLAN),--plan $(p)) $(if $(VERBOSE),--verbose) $(if $(TRACEBACK),--traceback) $(if $(ACCEPT_PLAN_TIME_CHECKS),--accept-plan-time-checks)
# pytest-xdist workers: a file goes whole to one worker (--dist loadscope). More workers than cores pays
# off in `make test` because its deploys mostly wait on the provider's fixed polling (KMS, VPC, cluster);
# TEST_WORKERS=0 runs in this process (for pdb). docs/speed.md has the measurements.
TEST_WORKERS  ?= 8
FAST_WORKERS  ?= 2
export CDKTF_OUTDIR := $(OUTDIR)
CDKTF       := node_modules/.bin/cdktf
CHECKOV_VENV := proof/checkov/.venv
EMULATOR_VENV := emulator/.venv

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export CHECKPOINT_DISABLE := 1
# The project's pinned LTS Node (npm's `node` package, package-lock.json) runs jsii and the cdktf CLI.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export JSII_NODE := $(CURDIR)/node_modules/.bin/node
export NODE_OPTIONS := $(strip $(NODE_OPTIONS) --disable-warning=DEP0044)
export TF_CLI_CONFIG_FILE := $(CURDIR)/build/terraform.rc
export TF_IN_AUTOMATION := 1
# Terraform and the AWS provider are Go programs that decode a ~1,600-type schema on every command; Go's
# collector at GOGC=400 runs a quarter as often: about a fifth less CPU per command for ~200 MB more peak
# memory (docs/speed.md). A GOGC of your own (GOGC=100 is Go's default) wins.
export GOGC ?= 400

.PHONY: help setup synth hcl docs diagram verify deploy-local plan ci-plan ci-apply destroy-local test test-fast lint format typecheck pytest snapshot-update validate diff deploy destroy bench clean import-ecspresso verify-live local-exec

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: $(VENV)/.synced $(CHECKOV_VENV)/.synced $(EMULATOR_VENV)/.synced node_modules/.installed build/terraform.rc ## Install pipenv if missing, the locked Python and npm packages, checkov, moto, the Terraform CLI config

$(VENV)/.synced: Pipfile.lock
	@$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user $(PIPENV_PIN)
	$(PYTHON) -m pipenv sync --dev
	@touch $@

# checkov has its own lock file: its pins (packaging<24) conflict with pytest's.
$(CHECKOV_VENV)/.synced: proof/checkov/Pipfile.lock $(VENV)/.synced
	cd proof/checkov && $(PYTHON) -m pipenv sync
	@touch $@

# moto (the local AWS emulator) too: botocore's python-dateutil<3 conflicts with the app's resolution.
$(EMULATOR_VENV)/.synced: emulator/Pipfile.lock $(VENV)/.synced
	cd emulator && $(PYTHON) -m pipenv sync
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/terraform.rc: $(VENV)/.synced toolchain/tf_mirror.py
	$(PY) -m toolchain.tf_mirror $@

synth: setup ## Synthesize cdktf.out/ for SYSTEM=<module> (default: the article): ENV=<name> only, else every environment
	$(PY) main.py --check
	rm -rf $(OUTDIR)
	$(PY) main.py
	@echo "synthesized $(SYSTEM): $(OUTDIR)/stacks/{$$(ls $(OUTDIR)/stacks | paste -sd, -)}"

hcl: synth ## Write each synthesized stack as readable Terraform into hcl/<stack>/ (README "Plain Terraform")
	$(PY) -m writers.hcl $(OUTDIR) hcl

test: setup lint ## Lint, type-check and run every test (what CI runs); prints the 15 slowest tests
	@# mypy beside pytest: pytest's workers mostly wait on the emulator's polling, and mypy fills those gaps
	@# (--output-sync: each one's output whole, mypy's first); a failure of either fails the target.
	$(MAKE) --no-print-directory -j2 --output-sync=target typecheck pytest

test-fast: $(VENV)/.synced node_modules/.installed ## The edit-test loop: every test that needs no emulator and no terraform (marker `slow`, tests/conftest.py); installs neither
	$(PY) -m pytest -m "not slow" -n $(FAST_WORKERS) --dist loadscope --durations=5

lint: $(VENV)/.synced ## ruff lint + format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.synced ## Apply ruff's formatting and safe fixes
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck: $(VENV)/.synced ## mypy over the project
	$(PY) -m mypy

pytest: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=15

snapshot-update: setup ## Rewrite the committed JSON and HCL snapshots after a reviewed change
	$(PY) -m pytest tests/stacks/test_snapshots.py tests/stacks/test_hcl_snapshots.py --snapshot-update

docs: $(VENV)/.synced ## Regenerate docs/reference.md from the declaration's types and docstrings (a test keeps it true)
	$(PY) -m writers.reference
	$(PY) -m writers.own_resources

diagram: setup ## Draw SYSTEM= (ENV=) into build/diagrams/; with no SYSTEM, redraw docs/diagrams/ and the README's
	$(PY) -m writers.diagram $(if $(SYSTEM_GIVEN),--system $(SYSTEM) $(if $(ENV),--env $(ENV)) --out $(DIAGRAMS))

verify: synth ## Prove internal-only (proof/verify/), then checkov; PLAN=<plan.json> (--plan), VERBOSE=1 (--verbose), TRACEBACK=1 (--traceback), ACCEPT_PLAN_TIME_CHECKS=1 (a no-op)
	$(PY) -m proof.verify $(OUTDIR) --system $(SYSTEM) $(if $(ENV),--env $(ENV)) $(VERIFY_FLAGS)
	$(PY) -m proof.scan $(OUTDIR) --system $(SYSTEM) $(if $(ENV),--env $(ENV))

validate: synth ## terraform init + validate on the selected stacks
	$(PY) -m toolchain.validate $(OUTDIR) $(SELECTED)

# The stack runner's command line for a target (runner/): the emulator's (its home) or an AWS account's.
RUNNER = $(if $(filter aws,$(1)),aws.commands,emulator.local --home $(EMULATOR_HOME))

deploy-local: setup ## Deploy network, services and your own stacks (in dependency order) to a local AWS emulator (moto), no account needed
	$(PY) -m emulator.local deploy --home $(EMULATOR_HOME) $(VAR_FLAGS)

plan: setup ## Saved plans + JSON + build/plan/review.md against the emulator (TARGET=aws for AWS); exit 1 on a blocking finding
	$(PY) -m $(call RUNNER,$(or $(TARGET),emulator)) plan --plandir $(PLANDIR) $(VAR_FLAGS)

# CI (docs/ci.md). ci-plan succeeds once review.md is written; its verdict (0 no changes, 2 changes, 1 blocking
# finding or error) is in $(PLANDIR)/verdict.txt, since make turns every failing recipe into exit 2.
ci-plan: setup ## Saved plans + review.md + manifest.json (hashes, reviewed tree) + verdict.txt; TARGET=emulator to try locally
	$(PY) -m $(call RUNNER,$(or $(TARGET),aws)) plan --verdict --plandir $(PLANDIR) $(VAR_FLAGS)

ci-apply: setup ## Apply exactly the reviewed saved plans in PLANDIR; refuses (one line, nothing applied) on a changed plan or tree
	$(PY) -m $(call RUNNER,$(or $(TARGET),aws)) apply --plandir $(PLANDIR)

destroy-local: setup ## Destroy the stacks in reverse order in the local emulator, and forget it
	$(PY) -m emulator.local destroy --home $(EMULATOR_HOME)

diff: setup ## cdktf diff of the selected stacks (asks AWS STS for the caller first)
	$(PY) -m aws.commands diff $(VAR_FLAGS)

deploy: setup ## Apply the selection's stacks in dependency order (network, services, your own), asked for by Terraform (needs AWS credentials)
	$(PY) -m aws.commands deploy $(VAR_FLAGS)

destroy: setup ## Destroy the selection's stacks in reverse order, asked for by Terraform; says so when there is nothing to destroy
	$(PY) -m aws.commands destroy

import-ecspresso: setup ## Import ecspresso configs as a module: CONFIG="a.yml [b.yml]" OUT=systems/x.py [ARGS="--ext-str K=V --env K=V"]
	@test -n "$(CONFIG)" -a -n "$(OUT)" || { echo 'error: set CONFIG="<ecspresso.yml> [more.yml ...]" and OUT=<module file>' >&2; exit 2; }
	$(PY) -m importers.ecspresso --out $(OUT) $(CONFIG) $(ARGS)

bench: setup ## Whole-process synth timings and peak memory; synth at 10/100/1,000 services into docs/bench.md
	$(PY) -m benchmarks.bench

clean: ## Remove generated output (keeps installed packages and state/)
	rm -rf cdktf.out hcl build .pytest_cache .mypy_cache .ruff_cache

verify-live: setup ## Prove internal-only on the deployed resources and list drift: TARGET=emulator (default, after deploy-local) or TARGET=aws
	$(if $(filter aws,$(TARGET)),,$(PY) -m emulator.exec --read-only --home $(EMULATOR_HOME) --) $(PY) -m proof.live $(if $(JSON),--json) || exit 2

local-exec: setup ## Run CMD='...' with the emulator up (its endpoint and fake credentials set); what it changes is kept
	$(PY) -m emulator.exec --home $(EMULATOR_HOME) -- $(CMD)
