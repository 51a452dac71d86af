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
failed=()
# step NAME COMMAND...: runs one suite and prints its time; a failing suite is recorded and
# the others still run, so one run shows every failure.
step() {
  local name="$1" t rc=0; shift; t=$(now)
  echo "==== $name"
  "$@" || rc=$?
  awk -v n="$name" -v s="$t" -v e="$(now)" -v rc="$rc" \
    'BEGIN { printf "==== %s: %s in %.1f s\n", n, rc == 0 ? "ok" : "FAILED (exit " rc ")", e - s }'
  [ "$rc" = 0 ] || failed+=("$name")
}

# Missing tools or a broken build make every later step meaningless: stop there.
bash scripts/setup.sh --check
if [ "${KOLMO_SKIP_BUILD:-0}" != 1 ]; then
  step "build" bash scripts/build.sh
  [ "${#failed[@]}" = 0 ] || exit 1
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

if [ "${#failed[@]}" -gt 0 ]; then
  echo "npm test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "npm test: all suites passed"
