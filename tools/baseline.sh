#!/usr/bin/env bash
# Builds the console as it was at git revision REV into OUT, for benchmarks
# that compare before and after: OUT/site (the release browser bundle, as
# `make run` builds it) and OUT/dwconsole (a debug server). It builds in
# OUT/target, so the project's own build cache is left as it is, and checks
# the revision out in OUT/src (a git worktree). A second run reuses both.
#
# Usage: tools/baseline.sh REV OUT
set -euo pipefail
rev=${1:?usage: tools/baseline.sh REV OUT}
out=${2:?usage: tools/baseline.sh REV OUT}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -x "$out/dwconsole" ] && [ -d "$out/site/pkg" ]; then
  echo "baseline: $rev already built in $out"
  exit 0
fi
if [ ! -d "$out/src" ]; then
  git worktree add --detach "$out/src" "$rev"
fi
cd "$out/src"
export CARGO_TARGET_DIR="$out/target"
trunk build --release --dist "$out/site/pkg"
cp -r public/. "$out/site/"
cargo build -p server --bin dwconsole
cp "$CARGO_TARGET_DIR/debug/dwconsole" "$out/dwconsole"
echo "baseline: $rev built in $out"
