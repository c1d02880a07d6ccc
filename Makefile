# Admit: everything a clean clone needs, from nothing but python3, node/npm and apt.
#
#   make run     install, build static/vendor, migrate, add demo data, serve on 127.0.0.1:8000
#   make test    system packages, install, vendor, lint, infra-check, the whole pytest suite,
#                then the HTTP tests again on the AWS adapters (moto, started by the tests)
#
# Stamp files keep repeated runs fast: pip runs again only when pyproject.toml changes,
# npm only when package.json or package-lock.json does.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALL_STAMP := $(VENV)/.stamp-install
NPM_STAMP := node_modules/.stamp-npm
HTMX := static/vendor/htmx.min.js
JSQR := static/vendor/jsQR.js
FONTS_DIR := web/rendering/fonts
FONTS := $(FONTS_DIR)/DejaVuSans.ttf $(FONTS_DIR)/DejaVuSans-Bold.ttf
SYSTEM_PACKAGES := chromium ffmpeg poppler-utils

ADMIT_DATA_DIR ?= ./var
export ADMIT_DATA_DIR

.PHONY: help venv install vendor migrate demo run system-deps lint format test clean \
	infra-check infra-package test-aws deploy-rehearsal deploy destroy diagram

help:
	@echo "make run          install, vendor, migrate, demo data, serve on 127.0.0.1:8000"
	@echo "make test         system-deps, install, vendor, lint, infra-check, pytest, test-aws"
	@echo "make test-aws     the HTTP tests on DynamoDB, S3, Cognito and SES (moto server)"
	@echo "make install      .venv with the app and its test tools (pip install -e '.[test]')"
	@echo "make vendor       npm ci; htmx and jsQR into static/vendor/, DejaVu into web/rendering/fonts/"
	@echo "make migrate      bring the SQLite database in \$$ADMIT_DATA_DIR (./var) up to date"
	@echo "make demo         add demo accounts and events (to an empty database)"
	@echo "make system-deps  apt-get chromium, ffmpeg and poppler-utils if any is missing"
	@echo "make lint         ruff check, ruff format --check, mypy (strict) and lint-imports"
	@echo "make infra-check  serverless package --stage ci (offline) and cfn-lint on the template"
	@echo "make infra-package  the real Lambda bundle (arm64 wheels from PyPI), STAGE=prod"
	@echo "make deploy-rehearsal  the packaged stack made on moto's CloudFormation, checked, smoke-tested"
	@echo "make deploy STAGE=prod [PARAMS='mailDomain=example.org ...'] [SECRETS=file] [DRY_RUN=1]"
	@echo "make destroy STAGE=dev [KEEP_DATA=0] [DRY_RUN=1]  (keeps the data tables unless KEEP_DATA=0)"
	@echo "make format       ruff format and ruff check --fix"
	@echo "make diagram      docs/topology.png from docs/topology.py (graphviz, diagrams)"
	@echo "make clean        remove .venv, node_modules, static/vendor and caches (keeps var/)"

# -- Python -------------------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { \
	  echo "python3 -m venv failed; on Debian: apt-get install python3-venv" >&2; \
	  rm -rf $(VENV); exit 1; }

$(INSTALL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

venv: $(BIN)/python
install: $(INSTALL_STAMP)

# -- browser libraries (npm, copied into static/vendor/, which git ignores) ---------------

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(HTMX): $(NPM_STAMP)
	mkdir -p $(@D)
	cp node_modules/htmx.org/dist/htmx.min.js $@

# jsQR decodes QR codes on the door scanner where the browser has no BarcodeDetector.
$(JSQR): $(NPM_STAMP)
	mkdir -p $(@D)
	cp node_modules/jsqr/dist/jsQR.js $@

# DejaVu Sans prints the names the PDF standard fonts cannot (Greek, Cyrillic, Hebrew...)
# on tickets; web/rendering/fonts/ is ignored by git and bundled for Lambda.
$(FONTS_DIR)/%.ttf: $(NPM_STAMP)
	mkdir -p $(@D)
	cp node_modules/dejavu-fonts-ttf/ttf/$*.ttf $@

vendor: $(HTMX) $(JSQR) $(FONTS)

# -- the app ------------------------------------------------------------------------------

migrate: install
	$(BIN)/admit migrate

demo: migrate
	$(BIN)/admit demo

run: install vendor
	$(BIN)/admit migrate
	$(BIN)/admit demo --if-empty
	exec $(BIN)/admit serve

# -- checks -------------------------------------------------------------------------------

# Browser tests drive Debian's chromium (never `playwright install`); ffmpeg and poppler's
# pdftoppm make camera video and rasterise PDFs for tests. apt runs only if one is missing.
system-deps:
	@missing=; \
	for tool in /usr/bin/chromium ffmpeg pdftoppm; do \
	  command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "missing:$$missing; installing $(SYSTEM_PACKAGES)"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $(SYSTEM_PACKAGES); \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The AWS topology picture: Debian's graphviz and the `diagrams` package, installed here
# only (neither is needed to run or test Admit).
diagram: install
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y graphviz; }
	$(BIN)/python -c "import diagrams" 2>/dev/null || \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check 'diagrams==0.25.1'
	$(BIN)/python docs/topology.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# -- AWS (serverless.yml, infra/; DEPLOYMENT.md) -----------------------------------------
#
# Serverless Framework v3 from node_modules packages the stack without calling AWS: dummy
# credentials, a fixed region, no profile or config file, telemetry and notices off.
# The `ci` stage skips the Python requirements (no wheels fetched), so this takes seconds;
# cfn-lint then checks the generated template (ignored checks: .cfnlintrc, with reasons).
STAGE ?= prod
SLS_OFFLINE := env -u AWS_PROFILE -u AWS_SESSION_TOKEN \
	AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=offline-packaging-only \
	AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1 \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
SLS := $(SLS_OFFLINE) npx --no-install serverless

# v3's schema predates python3.12, so serverless.yml says `configValidationMode: warn`;
# any configuration warning other than that one fails the check.
infra-check: install $(NPM_STAMP)
	rm -rf build/serverless-ci
	mkdir -p build
	$(SLS) package --stage ci --package build/serverless-ci 2>&1 | tee build/serverless-ci.log
	@! grep "^  at '" build/serverless-ci.log | grep -v "^  at 'provider.runtime': must be equal to"
	$(BIN)/cfn-lint build/serverless-ci/cloudformation-template-update-stack.json

# The runtime's Python (serverless.yml provider.runtime) compiles the bundle's bytecode
# (infra/bytecode.py: Lambda cannot write .pyc files, so a bundle without them compiles
# every module at each cold start).
LAMBDA_PYTHON ?= python3.12

# The deployable bundle: pip fetches manylinux aarch64 wheels for Python 3.12 from PyPI
# (cached under ~/.cache/serverless-python-requirements). Still no AWS call.
infra-package: install vendor
	rm -rf build/serverless-$(STAGE)
	$(SLS) package --stage $(STAGE) --package build/serverless-$(STAGE) $(SLS_PARAMS)
	$(BIN)/python infra/bytecode.py build/serverless-$(STAGE)/admit.zip --python $(LAMBDA_PYTHON)
	$(BIN)/cfn-lint build/serverless-$(STAGE)/cloudformation-template-update-stack.json

# Stage params for infra-package and deploy: PARAMS="mailDomain=example.org alertEmail=ops@example.org".
PARAMS ?=
SLS_PARAMS := $(foreach p,$(PARAMS),--param="$(p)")

# The deploy rehearsal (infra/rehearsal.py, docs/DEPLOY_REHEARSAL.md): the template as
# `serverless package` makes it (offline, no wheels: the handlers run in this .venv), with
# prod's data policies, made into a stack on moto's CloudFormation; then the resources are
# checked against models/dynamo/tables.py and a smoke set runs through web/lambda.py.
REHEARSAL_DIR := build/serverless-rehearsal
deploy-rehearsal: install vendor $(NPM_STAMP)
	rm -rf $(REHEARSAL_DIR)
	mkdir -p build
	$(SLS) package --stage rehearsal --package $(REHEARSAL_DIR) \
	  --param="requirementsFile=infra/ci-skips-python-requirements" \
	  --param="tableDeletionPolicy=Retain" --param="deletionProtection=true" \
	  --param="bucketDeletionPolicy=Retain" --param="userPoolDeletionPolicy=Retain" \
	  > build/serverless-rehearsal.log 2>&1 || { cat build/serverless-rehearsal.log; exit 1; }
	$(BIN)/python -m infra.rehearsal $(REHEARSAL_DIR)

# The real thing, with the caller's AWS credentials (not $(SLS), which is offline):
# infra/deploy.py's steps (secrets, stack, static upload, invalidation, smoke). DRY_RUN=1
# prints the steps and calls nothing.
SECRETS ?=
KEEP_DATA ?= 1
DEPLOY_FLAGS = --stage $(STAGE) $(foreach p,$(PARAMS),--param "$(p)") \
	$(if $(SECRETS),--secrets-file $(SECRETS)) $(if $(DRY_RUN),--dry-run)
deploy: $(if $(DRY_RUN),install,infra-package)
	$(BIN)/python -m infra.deploy deploy $(DEPLOY_FLAGS)

destroy: install $(NPM_STAMP)
	$(BIN)/python -m infra.deploy destroy $(DEPLOY_FLAGS) --keep-data $(KEEP_DATA)

# The HTTP tests once more on the production adapters; the tests start a moto server on
# 127.0.0.1 (a free port) and stop it at the end. Browser tests stay on the local ones.
AWS_TESTS := tests/test_api_accounts.py tests/test_api_transfers.py tests/test_transfer_pages.py tests/test_accounts_pages.py tests/test_api_events.py \
	tests/test_api_registrations.py tests/test_pages.py tests/test_registration_pages.py \
	tests/test_organizer_pages.py tests/test_tickets_http.py tests/test_payments_simulator.py \
	tests/test_security.py tests/test_oversell_http.py tests/test_door_offline_http.py \
	tests/test_client_address.py tests/test_delivery.py tests/test_figures_http.py \
	tests/test_authorization_matrix.py tests/test_sessions_http.py \
	tests/test_api_ticket_types.py tests/test_ticket_type_pages.py \
	tests/test_api_questions.py tests/test_question_pages.py tests/test_journey_http.py \
	tests/test_api_promo_codes.py tests/test_promo_code_pages.py \
	tests/test_api_waitlist.py tests/test_waitlist_pages.py

# Both pytest runs spread the tests over every core with pytest-xdist (`-n auto`: one worker
# per core, each with its own moto server, localstripe and live servers on ports the kernel
# picks). `--dist loadgroup` keeps the browser tests together on one worker, so Playwright
# and Chromium start once (tests/browser/conftest.py). `make test PYTEST_WORKERS=0` runs
# in one process, as a plain `.venv/bin/pytest` does.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadgroup

test-aws: install vendor
	$(BIN)/pytest $(PYTEST_PARALLEL) --adapters=aws -m "not browser" $(AWS_TESTS)

test: system-deps install vendor lint infra-check
	$(BIN)/pytest $(PYTEST_PARALLEL)
	$(MAKE) --no-print-directory test-aws
	$(MAKE) --no-print-directory deploy-rehearsal

clean:
	rm -rf $(VENV) node_modules static/vendor $(FONTS_DIR) .pytest_cache .ruff_cache test-results build
	rm -rf *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
