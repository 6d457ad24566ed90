#!/usr/bin/env bash
# Fuzzes the JSON API against its own OpenAPI document with schemathesis
# (from PyPI, in a virtualenv): a fresh console on the loopback with an
# environment and a token, a bounded number of generated requests per
# operation, every check (with the two adjustments explained in
# schemathesis.toml beside this script). Exits non-zero on any failure.
#
# Usage: end2end/api-fuzz.sh DWCONSOLE_BINARY VENV_DIR [MAX_EXAMPLES]
set -euo pipefail
bin=$1
venv=$2
examples=${3:-40}
port=3290

if [ ! -x "$venv/bin/st" ]; then
  python3 -c 'import ensurepip, venv' 2>/dev/null || {
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -qq && $sudo apt-get install -y -qq python3-venv
  }
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi

dir=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
db="$dir/fuzz.db"
env -u APP_DATABASE "$bin" --database "$db" env add UAT --legal-entities USMF >/dev/null
token=$("$bin" --database "$db" token add --name schemathesis)
APP_LOG=warn "$bin" serve --no-demo --bind "127.0.0.1:$port" --database "$db" >"$dir/server.log" 2>&1 &
pid=$!
# Wait for the server (python3 is here anyway, for the virtualenv).
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("the console did not answer /healthz within 30 s")
PY

"$venv/bin/st" --config-file "$(dirname "$0")/schemathesis.toml" run "http://127.0.0.1:$port/api/openapi.json" \
  --url "http://127.0.0.1:$port" \
  --header "Authorization: Bearer $token" \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples "$examples" \
  --generation-deterministic \
  --request-timeout 30 \
  --no-color || { echo "schemathesis found failures; the server's log:"; tail -50 "$dir/server.log"; exit 1; }
