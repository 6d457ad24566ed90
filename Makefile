# Dual-write Console — the one entry point for building, running and testing.
#
#   make run    install what is missing, build (release), serve on http://127.0.0.1:3000
#   make test   install what is missing, run every test: unit, query, HTTP, browser
#
# Each target installs the tools it needs when they are missing: the wasm
# target, wasm-bindgen-cli (pinned to the wasm-bindgen library version),
# Trunk, Debian's Chromium and the Playwright npm package. Nothing downloads a
# prebuilt binary or a browser: everything comes from crates.io, npm and apt.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)

WASM_BINDGEN_VERSION := 0.2.130
TRUNK_VERSION := 0.21.14
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
# The browser bundle's budget: wasm plus JS glue, gzipped, in KB.
BUNDLE_BUDGET_KB ?= 250
SITE_RELEASE := $(TARGET_DIR)/site
SITE_DEBUG := $(TARGET_DIR)/site-debug
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Extra flags for `make run`, e.g. make run ARGS="--bind 127.0.0.1:8080"
ARGS ?=

.PHONY: run test build build-debug bundle-budget bench-islands tools browser-tools postgres-tools unit e2e api-fuzz lint fmt check dev bench bench-peer probe-bench help

help:
	@sed -n '3,5p' Makefile

## ---- tools -------------------------------------------------------------

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $(WASM_BINDGEN_VERSION)"; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (a few minutes, once)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if ! trunk --version 2>/dev/null | grep -qx "trunk $(TRUNK_VERSION)"; then \
	  echo "installing trunk $(TRUNK_VERSION) (about 8 minutes, once)"; \
	  cargo install trunk --version $(TRUNK_VERSION) --locked; \
	fi
	@# brotli pre-compresses the bundle; without it the server sends gzip.
	@command -v brotli >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq brotli; } \
	  || echo "brotli could not be installed: the bundle is pre-compressed with gzip only"

browser-tools:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then \
	  cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; \
	fi

## ---- build -------------------------------------------------------------

# Release: the browser bundle with the size-optimised wasm profile, the server
# with the release profile. Bundle and server must come from the same build.
build: tools
	trunk build --release --dist $(SITE_RELEASE)/pkg
	tools/bundle.sh $(SITE_RELEASE)/pkg
	cp -r public/. $(SITE_RELEASE)/
	cargo build --release -p server

build-debug: tools
	trunk build --dist $(SITE_DEBUG)/pkg
	tools/bundle.sh $(SITE_DEBUG)/pkg
	cp -r public/. $(SITE_DEBUG)/
	cargo build -p server --bin dwconsole

## ---- run ---------------------------------------------------------------

run: build
	$(TARGET_DIR)/release/dwconsole serve --site-root $(SITE_RELEASE) $(ARGS)

# Debug build, faster to rebuild while developing.
dev: build-debug
	$(TARGET_DIR)/debug/dwconsole serve --site-root $(SITE_DEBUG) $(ARGS)

## ---- test --------------------------------------------------------------

test: unit bundle-budget e2e api-fuzz

# The release bundle, as `make run` builds it, must stay within the budget:
# prints its size, wasm and JS glue gzipped, and fails when over.
bundle-budget: tools
	trunk build --release --dist $(SITE_RELEASE)/pkg
	tools/bundle.sh $(SITE_RELEASE)/pkg $(BUNDLE_BUDGET_KB)

# Unit, query and HTTP tests on SQLite, then the query and HTTP tests again
# on PostgreSQL (DWCONSOLE_TEST_BACKEND=postgres: each test in a new
# database), beside a throwaway PostgreSQL cluster on a Unix socket
# (tools/with-postgres.sh), which the tests of the PostgreSQL schema and of
# `migrate-db` use too. The browser tests stay on SQLite.
unit: postgres-tools
	tools/with-postgres.sh sh -c 'cargo test -p app -p server && DWCONSOLE_TEST_BACKEND=postgres cargo test -p app -p server --lib --test api'

# PostgreSQL's server from Debian's packages, for the tests' cluster.
postgres-tools:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; }

# Playwright in Debian's Chromium, hydrated and with JavaScript off.
e2e: build-debug browser-tools
	cd end2end && DWCONSOLE_BIN=$(TARGET_DIR)/debug/dwconsole DWCONSOLE_SITE_ROOT=$(SITE_DEBUG) \
	  DWCONSOLE_E2E_DIR=$(TARGET_DIR)/e2e npx playwright test

# The JSON API fuzzed against its OpenAPI document (schemathesis from PyPI,
# in a virtualenv beside the build), bounded to 200 cases per operation.
API_FUZZ_VENV := $(TARGET_DIR)/schemathesis-venv
api-fuzz: build-debug
	end2end/api-fuzz.sh $(TARGET_DIR)/debug/dwconsole $(API_FUZZ_VENV) 200

## ---- benchmarks --------------------------------------------------------

# Rule book at scale (200 maps x 50 fields x 10 revisions): map page and
# search p50/p95 through the real router, and peak memory. Prints figures.
bench: bench-peer
	cargo run --release -p server --bin rulebook-bench -- 200 50 10 300
	cargo run --release -p server --bin errors-bench -- 1000000 1000 5000 300
	cargo run --release -p server --bin classify-bench -- 1000000 100000 2
	cargo run --release -p server --bin keys-bench -- 1000000
	RELADIFF_PYTHON=$(BENCH_VENV)/bin/python cargo run --release -p server --bin reconcile-bench -- 1000000
	cargo run --release -p server --bin trends-bench -- 90 20 1000000 40
	cargo run --release -p server --bin alerts-bench -- 90 20 1000000 500 10
	cargo run --release -p server --bin cutover-bench -- 500 200 100
	$(MAKE) bench-backends
	$(MAKE) probe-bench
	$(MAKE) bench-islands

# The same work on SQLite and on PostgreSQL side by side (error ingest,
# queue and trends pages at 1M entries, a full diff of 100k a side, ingest
# over HTTP into one server and, on PostgreSQL, two), beside a throwaway
# PostgreSQL cluster that syncs as the console's SQLite does.
bench-backends: postgres-tools
	cargo build --release -p server --bin backends-bench
	WITH_POSTGRES_FSYNC=on tools/with-postgres.sh $(TARGET_DIR)/release/backends-bench 1000000 30 60 100000 200000

# Islands before and after, in headless Chromium with the CPU slowed 4x:
# time to interactive (overview) and to the first chart readout (trends),
# bytes on a first and a repeat visit. "Before" is the last commit that
# hydrated the whole app, built aside by tools/baseline.sh (the first run
# takes about 15 minutes); both servers are debug builds serving release
# bundles.
ISLANDS_BASELINE_REV := 963adcf
ISLANDS_BASELINE_DIR := $(TARGET_DIR)/baseline-$(ISLANDS_BASELINE_REV)
bench-islands: bundle-budget browser-tools
	cargo build -p server --bin dwconsole
	tools/baseline.sh $(ISLANDS_BASELINE_REV) $(ISLANDS_BASELINE_DIR)
	cp -r public/. $(SITE_RELEASE)/
	end2end/bench/islands-bench.sh $(ISLANDS_BASELINE_DIR)/dwconsole $(ISLANDS_BASELINE_DIR)/site \
	  $(TARGET_DIR)/debug/dwconsole $(SITE_RELEASE) 5

# The hostile probe's figures: large details before and after, and the
# server's memory after 60 s of mixed load (the server runs as a child).
probe-bench:
	cargo build --release -p server
	$(TARGET_DIR)/release/probe-bench 60

# The benchmarks' peers: reladiff and DuckDB (reconciliation) from PyPI
# into a virtualenv beside the build; the sqlite3 CLI (error ingest) from
# Debian.
BENCH_VENV := $(TARGET_DIR)/bench-venv
bench-peer:
	test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q reladiff duckdb
	@command -v sqlite3 >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq sqlite3; }

## ---- lint --------------------------------------------------------------

fmt:
	cargo fmt --all

# Formatting and clippy for both builds: the server (ssr) and the browser (hydrate, wasm).
lint: tools
	cargo fmt --all -- --check
	cargo clippy -p app -p server --all-targets -- -D warnings
	cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

check:
	cargo check -p server
	cargo check -p frontend --target wasm32-unknown-unknown
