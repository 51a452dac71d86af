#!/usr/bin/env bash
# Installs what kolmo needs to build and test on a fresh Debian 12 machine, then the npm
# packages. Idempotent: installs only what is missing, runs `apt-get update` only when a
# package has to be installed. As root it installs; otherwise it prints what is missing and
# how to install it, and exits non-zero. Model training (PyTorch, ONNX) is a separate recipe
# in models/recipe/ and is not installed here.
#
# Usage: bash scripts/setup.sh            (from anywhere; works on the repository it lives in)
#        bash scripts/setup.sh --check    (install nothing: report what is missing, exit 1 if any)
#        bash scripts/setup.sh --demo     (only what `npm start` needs: no browser, fuzzing, fonts)
set -euo pipefail

CHECK_ONLY=0
DEMO_ONLY=0
[ "${1:-}" = "--check" ] && CHECK_ONLY=1
[ "${1:-}" = "--demo" ] && DEMO_ONLY=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Debian packages: compilers and CMake, doctest, clang for libFuzzer, Emscripten (+ acorn,
# which its JS optimizer needs), the baseline compressors the benchmarks compare against,
# and Chromium for the browser end-to-end tests (driven by npm playwright-core), which serve the
# built site with python3 -m http.server (a plain static host).
APT_PACKAGES=(build-essential cmake doctest-dev clang-14 libclang-rt-14-dev emscripten node-acorn
              brotli xz-utils zstd chromium fonts-wqy-microhei fonts-noto-color-emoji python3)
if [ "$DEMO_ONLY" = 1 ]; then
  APT_PACKAGES=(build-essential cmake emscripten node-acorn)  # enough to build the WASM codec
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
# Node.js >= 18 (node --test, global fetch, WebAssembly in workers). Any install counts;
# Debian's own nodejs/npm packages are the fallback.
node_ok=1
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  node_ok=0
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
  node_ok=0
fi
if [ "$node_ok" = 0 ]; then
  missing+=(nodejs npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || [ "$CHECK_ONLY" = 1 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them as root with:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    echo "setup: (or run this script as root: sudo bash scripts/setup.sh)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

if [ "$CHECK_ONLY" = 1 ]; then
  # Only a lockfile that lists packages needs node_modules/.
  if [ -f package-lock.json ] && [ ! -d node_modules ] &&
     node -e 'process.exit(Object.keys(require(process.argv[1]).packages ?? {}).length > 1 ? 0 : 1)' \
       "$PWD/package-lock.json"; then
    echo "setup: npm packages not installed: run 'bash scripts/setup.sh' (or npm ci)" >&2
    exit 1
  fi
  exit 0
fi

# npm packages. onnxruntime-node's install script would download CUDA libraries (the
# machines here cannot reach that host, and the CPU build is all the tests need).
export ONNXRUNTIME_NODE_INSTALL_CUDA=skip
if [ -f package-lock.json ]; then
  if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    echo "setup: node_modules up to date"
  else
    npm ci --no-audit --no-fund
  fi
else
  npm install --no-audit --no-fund
fi
# The bundlers of the consumer tests (tests/consumers/: Vite, webpack, esbuild, pinned in their
# own lockfile, apart from the package's dependencies).
if [ "$DEMO_ONLY" = 0 ] && [ -f tests/consumers/package-lock.json ]; then
  if [ -d tests/consumers/node_modules ] && [ tests/consumers/node_modules/.package-lock.json -nt tests/consumers/package-lock.json ]; then
    echo "setup: tests/consumers/node_modules up to date"
  else
    (cd tests/consumers && npm ci --no-audit --no-fund)
  fi
fi
echo "setup: done"
