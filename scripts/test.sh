#!/usr/bin/env bash
# The whole test suite (npm test): dependency check, build (native + WASM), the doctest suite
# under CTest, the Node tests (WASM module, web/lib, CLI, native == WASM, the cross-backend
# conformance matrix, noise injection, golden links), the type check, the browser end-to-end
# tests (with the browser conformance matrix), the npm package test, the consumer apps (Vite,
# webpack, esbuild; tests/consumers/), and a time-bounded fuzz run
# once tests/fuzz/run.sh exists. The conformance matrix and noise tests run on a sample of the
# eval set (tests/conformance/eval_texts.mjs: every category, the hardest texts by drift).
#
#   scripts/test.sh                 every suite (npm test)
#   scripts/test.sh --conformance   build, then the exhaustive tier only (npm run conformance:
#                                   before a release and whenever the model, rounding layer or
#                                   backends change): the conformance matrix (Node and browser)
#                                   and noise tests on all 160 eval texts, every golden link
#                                   (the 65,535-token one included), the WebGPU round trips with
#                                   every text, the 100 KiB page text, the consumer apps with
#                                   kolmo/webgpu and onnxruntime-web
#
# Env: KOLMO_FUZZ_SECONDS (default 20): seconds per fuzz target (tests/fuzz/run.sh runs 5)
#      KOLMO_SKIP_BUILD=1: test what is already built
#      KOLMO_SKIP_E2E=1: leave out the browser tests
#      KOLMO_EVAL=all|sample: the eval texts of the conformance and noise tests (default
#        sample; --conformance sets all)
#      KOLMO_EVAL_LIMIT=N: of those, the first N only (a quick local run)
set -euo pipefail

conformance=0
case "${1:-}" in
  '') ;;
  --conformance) conformance=1 ;;
  *) echo "usage: $0 [--conformance]" >&2; exit 2 ;;
esac

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
# finish WHAT: the summary line and exit status of the whole run.
finish() {
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "$1: FAILED: ${failed[*]}" >&2
    exit 1
  fi
  echo "$1: all suites passed"
  exit 0
}

# Missing tools or a broken build make every later step meaningless: stop there. setup.sh
# installs what is missing when run as root (idempotent, quick when all is there) and otherwise
# says exactly what to install.
bash scripts/setup.sh
if [ "${KOLMO_SKIP_BUILD:-0}" != 1 ]; then
  step "build" bash scripts/build.sh
  [ "${#failed[@]}" = 0 ] || exit 1
fi
if [ "$conformance" = 1 ]; then
  export KOLMO_EVAL="${KOLMO_EVAL:-all}"
  step "conformance + noise + golden + hostile links (node, KOLMO_EVAL=$KOLMO_EVAL)" node --test tests/node/conformance.test.mjs tests/node/noise.test.mjs tests/node/golden.test.mjs tests/node/hostile_links.test.mjs
  if [ "${KOLMO_SKIP_E2E:-0}" != 1 ]; then
    step "conformance + WebGPU round trips + large text (browser, KOLMO_EVAL=$KOLMO_EVAL)" \
      node --test tests/e2e/conformance.test.mjs tests/e2e/roundtrip_webgpu.test.mjs tests/e2e/large_text.test.mjs
    step "consumers + kolmo/webgpu with onnxruntime-web (bundlers, browser)" env KOLMO_CONSUMERS=all node --test tests/consumers/
  fi
  finish "npm run conformance"
fi
step "ctest" ctest --test-dir build-native --output-on-failure
step "node --test" node --test tests/node/*.test.mjs
step "typecheck" npx --no-install tsc -p tsconfig.json
# The page in Debian's chromium (playwright-core): WASM and WebGPU (SwiftShader) round trips,
# damaged links, offline, a 100 KB text. Minutes on a small machine; KOLMO_SKIP_E2E=1 skips.
if [ "${KOLMO_SKIP_E2E:-0}" != 1 ]; then
  step "e2e (browser)" node --test tests/e2e/*.test.mjs
fi
step "npm package" node --test tests/package/
# kolmo in Vite, webpack 5 and esbuild apps built from the packed package (tests/consumers/,
# bundlers pinned there), at / and under a sub-path, in Chromium: 40-90 s (--conformance adds
# the kolmo/webgpu entry with onnxruntime-web installed).
if [ "${KOLMO_SKIP_E2E:-0}" != 1 ]; then
  step "consumers (bundlers)" node --test tests/consumers/
fi
if [ -f tests/fuzz/run.sh ]; then
  fuzz_seconds="${KOLMO_FUZZ_SECONDS:-20}"
  # run.sh takes seconds per target; timeout is only the backstop (4 targets + up to 10
  # minutes for building them with sanitizers on a loaded machine).
  step "fuzz" timeout --kill-after=30 $((5 * fuzz_seconds + 600)) bash tests/fuzz/run.sh "$fuzz_seconds"
fi

finish "npm test"
