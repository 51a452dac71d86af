#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, -fsanitize=fuzzer,address,undefined) and runs each
# for SECONDS seconds on its seed corpus. Exit status is non-zero on any crash, leak,
# timeout, out-of-memory or UBSan report (libFuzzer stops and writes the input that did it
# to $BUILD/fuzz-artifacts/). New inputs found go to $BUILD/fuzz-corpus/<target>/; the
# committed seeds in tests/fuzz/corpus/ are only read.
#
#   tests/fuzz/run.sh [SECONDS]            (default 30 per target)
# Env: KOLMO_FUZZ_BUILD_DIR (default build-fuzz), KOLMO_FUZZ_CXX (default clang++-14),
#      KOLMO_JOBS (default 2), KOLMO_FUZZ_TARGETS (default "container url decoder onnx_reader segments")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER_TARGET="${1:-30}"
BUILD="${KOLMO_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
CXX_BIN="${KOLMO_FUZZ_CXX:-clang++-14}"
JOBS="${KOLMO_JOBS:-2}"
TARGETS="${KOLMO_FUZZ_TARGETS:-container url decoder onnx_reader segments}"

case "$SECONDS_PER_TARGET" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
command -v "$CXX_BIN" >/dev/null || { echo "fuzz: $CXX_BIN not found" >&2; exit 2; }

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKOLMO_BUILD_FUZZ=ON -DKOLMO_BUILD_TESTS=OFF -DKOLMO_BUILD_TOOLS=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target kolmo_fuzz_targets >/dev/null

mkdir -p "$BUILD/fuzz-artifacts"
failed=0
for t in $TARGETS; do
  work="$BUILD/fuzz-corpus/$t"
  mkdir -p "$work"
  log="$BUILD/fuzz-$t.log"
  # -rss_limit_mb: the decoders' memory is bounded by their limits, far below this.
  # -timeout: seconds for one input; the slowest legitimate input takes well under 1 s.
  # -max_len: links are short; these sizes reach every size class of the formats while
  # keeping executions fast (the targets also cap their own work).
  case "$t" in
    container) max_len=20000 ;;
    decoder) max_len=4096 ;;
    onnx_reader) max_len=16384 ;;
    segments) max_len=8192 ;;
    *) max_len=65536 ;;
  esac
  if "$BUILD/tests/fuzz/${t}_fuzz" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
       -timeout=10 -max_len="$max_len" -print_final_stats=1 \
       -artifact_prefix="$BUILD/fuzz-artifacts/$t-" "$work" "$ROOT/tests/fuzz/corpus/$t" \
       >"$log" 2>&1; then
    echo "fuzz: $t ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?') runs in ${SECONDS_PER_TARGET} s)"
  else
    echo "fuzz: $t FAILED; log $log; artifacts in $BUILD/fuzz-artifacts/" >&2
    tail -n 40 "$log" >&2
    failed=1
  fi
done
exit $failed
