#!/usr/bin/env bash
# The whole test suite (npm test): dependency check, build (native + WASM), the doctest suite
# under CTest, the Node tests (WASM module, web/lib, native == WASM), and a time-bounded fuzz
# run once tests/fuzz/run.sh exists.
#
# Env: KOLMO_FUZZ_SECONDS (default 60): total time given to tests/fuzz/run.sh
#      KOLMO_SKIP_BUILD=1: test what is already built
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

now() { date +%s.%N; }
step() {  # step NAME COMMAND...: runs a step, prints its time
  local name="$1" t; shift; t=$(now)
  echo "==== $name"
  "$@"
  awk -v n="$name" -v s="$t" -v e="$(now)" 'BEGIN { printf "==== %s: %.1f s\n", n, e - s }'
}

step "setup check" bash scripts/setup.sh --check
if [ "${KOLMO_SKIP_BUILD:-0}" != 1 ]; then
  step "build" bash scripts/build.sh
fi
step "ctest" ctest --test-dir build-native --output-on-failure
step "node --test" node --test tests/node/*.test.mjs
if [ -f tests/fuzz/run.sh ]; then
  fuzz_seconds="${KOLMO_FUZZ_SECONDS:-60}"
  # The fuzz script gets its budget in KOLMO_FUZZ_SECONDS; timeout is the backstop (+120 s
  # for building the fuzz targets).
  step "fuzz" env KOLMO_FUZZ_SECONDS="$fuzz_seconds" \
    timeout --signal=INT --kill-after=30 $((fuzz_seconds + 120)) bash tests/fuzz/run.sh
fi
