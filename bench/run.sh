#!/usr/bin/env bash
# Prints the codec's figures: range-coder overhead, the rounding layer's cost and safe-path
# (fragile / escape) rates at several epsilon on the shipped model's real logits, and the
# .wasm size. Usage: bash bench/run.sh [TEXT FILE...]   (default: ../shared/eval/*/*.txt if
# present, else the repository's own docs). Needs a build (npm run build) and npm packages.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cmake -S . -B build-native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-native --target coder_bench -j2 >/dev/null
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  if compgen -G "../shared/eval/*/*.txt" >/dev/null; then files=(../shared/eval/*/*.txt); else files=(README.md docs/*.md); fi
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "== .wasm size"
if [ -f web/lib/wasm/kolmo_wasm.wasm ]; then
  wasm=web/lib/wasm/kolmo_wasm.wasm
  echo "$wasm: $(stat -c %s "$wasm") bytes, $(brotli -c -q 11 "$wasm" | wc -c) with brotli -q 11"
else
  echo "no WASM build (npm run build)"
fi
echo "== range coder and synthetic-model figures"
build-native/bench/coder_bench --synthetic-texts 20
echo "== rounding layer on the shipped model (${#files[@]} texts)"
node bench/dump_logits.mjs "$tmp/logits.bin" "$tmp/counts.u64" "${files[@]}"
build-native/bench/coder_bench --dump "$tmp/logits.bin" --counts "$tmp/counts.u64" --dump-only
