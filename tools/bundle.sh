#!/usr/bin/env bash
# Finishes the browser bundle Trunk wrote to PKG_DIR (frontend.js,
# frontend_bg.wasm, main.css), so the server can cache and compress it right:
#
# 1. Names the JS glue and the wasm after their content
#    (frontend-<hash>.js, frontend-<hash>_bg.wasm): the server serves them
#    as immutable for a year, and a new build is a new name. The glue does
#    not name its wasm: the islands script passes the path in.
# 2. Pre-compresses every .js, .wasm and .css with gzip -9 and, when the
#    `brotli` command is there, brotli -q 11, so the server sends the
#    smaller file without compressing it again on every request.
#
# Usage: tools/bundle.sh PKG_DIR [BUDGET_KB]
# With BUDGET_KB, fails when the wasm plus the JS glue, gzipped, are over
# it, printing both figures.
set -euo pipefail
pkg=${1:?usage: tools/bundle.sh PKG_DIR [BUDGET_KB]}
budget=${2:-}
cd "$pkg"

if [ -f frontend.js ] && [ -f frontend_bg.wasm ]; then
  rm -f frontend-*.js frontend-*_bg.wasm frontend-*.gz frontend-*.br
  hash=$(cat frontend.js frontend_bg.wasm | sha256sum | cut -c1-16)
  mv frontend.js "frontend-$hash.js"
  mv frontend_bg.wasm "frontend-${hash}_bg.wasm"
fi
js=$(ls -t frontend-*.js 2>/dev/null | grep -v '\.gz$\|\.br$' | head -1)
wasm=$(ls -t frontend-*_bg.wasm 2>/dev/null | head -1)
[ -n "$js" ] && [ -n "$wasm" ] || { echo "bundle: no frontend JS and wasm in $pkg (run trunk build first)" >&2; exit 1; }

for f in "$js" "$wasm" *.css; do
  [ -f "$f" ] || continue
  gzip -9 -k -f -n "$f"
  if command -v brotli >/dev/null; then brotli -q 11 -k -f "$f"; fi
done

gz_wasm=$(stat -c %s "$wasm.gz")
gz_js=$(stat -c %s "$js.gz")
total=$(( gz_wasm + gz_js ))
printf 'bundle: %s %d bytes (%d gzipped), %s %d bytes (%d gzipped); together %d bytes gzipped (%.1f KB)\n' \
  "$wasm" "$(stat -c %s "$wasm")" "$gz_wasm" "$js" "$(stat -c %s "$js")" "$gz_js" "$total" "$(awk "BEGIN { print $total / 1024 }")"
if [ -n "$budget" ]; then
  limit=$(( budget * 1024 ))
  if [ "$total" -gt "$limit" ]; then
    echo "bundle: OVER BUDGET: $total bytes gzipped > budget $budget KB ($limit bytes)" >&2
    exit 1
  fi
  echo "bundle: within budget: $total bytes gzipped <= $budget KB ($limit bytes)"
fi
