#!/usr/bin/env bash
# Builds kolmo: the native core + doctest suite (build-native/) and the WASM modules
# (build-wasm/, via emcmake), then copies the product module kolmo_wasm.{js,wasm} into
# web/lib/wasm/ where web/lib/worker/codec.js loads them (generated, git-ignored). The test module
# kolmo_wasm_test.{js,wasm} (the product bindings + the rounding layer's insides) stays in
# build-wasm/wasm/, where tests/node/test_codec.mjs loads it: outside web/, neither the npm
# package nor the site (scripts/site.mjs) can pick it up.
#
# Usage: bash scripts/build.sh [native|wasm|all]     (default: all)
# Env:   KOLMO_JOBS (default 2: the machines here have 2 cores, shared)
#        KOLMO_BUILD_TYPE (default Release)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${KOLMO_JOBS:-2}"
BUILD_TYPE="${KOLMO_BUILD_TYPE:-Release}"
WHAT="${1:-all}"
cd "$ROOT"

now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f s", e - s }'; }

build_native() {
  local t; t=$(now)
  local tools=OFF
  [ -f tools/CMakeLists.txt ] && tools=ON
  cmake -S . -B build-native -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DKOLMO_BUILD_TESTS=ON \
    -DKOLMO_BUILD_TOOLS="$tools" >/dev/null
  cmake --build build-native -j "$JOBS"
  echo "build: native done in $(since "$t")"
}

build_wasm() {
  local t; t=$(now)
  # Debian's emscripten finds acorn (its JS optimizer's parser) only through NODE_PATH.
  export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
  # Tests and tools are native only; the WASM build is the core + wasm/bindings.cpp (product)
  # and the same + wasm/test_bindings.cpp (test module).
  emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
    -DKOLMO_BUILD_TESTS=OFF -DKOLMO_BUILD_TOOLS=OFF >/dev/null
  cmake --build build-wasm -j "$JOBS"
  mkdir -p web/lib/wasm
  cp build-wasm/wasm/kolmo_wasm.js build-wasm/wasm/kolmo_wasm.wasm web/lib/wasm/
  echo "build: wasm done in $(since "$t"): web/lib/wasm/kolmo_wasm.wasm" \
       "$(stat -c %s web/lib/wasm/kolmo_wasm.wasm) bytes (product);" \
       "build-wasm/wasm/kolmo_wasm_test.wasm $(stat -c %s build-wasm/wasm/kolmo_wasm_test.wasm) bytes (tests only)"
}

case "$WHAT" in
  native) build_native ;;
  wasm) build_wasm ;;
  all) build_native; build_wasm ;;
  *) echo "usage: $0 [native|wasm|all]" >&2; exit 2 ;;
esac
