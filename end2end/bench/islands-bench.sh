#!/usr/bin/env bash
# Runs islands-bench.mjs against two consoles started here, each in demo
# mode on a fresh database on the loopback: BEFORE_BIN serving BEFORE_SITE
# and AFTER_BIN serving AFTER_SITE. Stops both when done.
#
# Usage: end2end/bench/islands-bench.sh BEFORE_BIN BEFORE_SITE AFTER_BIN AFTER_SITE [RUNS]
set -euo pipefail
before_bin=${1:?}; before_site=${2:?}; after_bin=${3:?}; after_site=${4:?}; runs=${5:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start() { # BIN SITE PORT NAME
  "$1" serve --bind "127.0.0.1:$3" --database "$work/$4.db" --site-root "$2" --demo >"$work/$4.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null && return 0
    sleep 0.5
  done
  echo "islands-bench: the $4 server did not start; its log:" >&2
  cat "$work/$4.log" >&2
  exit 1
}
start "$before_bin" "$before_site" 3311 before
start "$after_bin" "$after_site" 3312 after
# Let the demo's collectors fill the charts.
sleep 20
cd "$here/.."
node bench/islands-bench.mjs http://127.0.0.1:3311 http://127.0.0.1:3312 "$runs"
