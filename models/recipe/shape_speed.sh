#!/usr/bin/env bash
# Single-step decoding speed of candidate model shapes, as kolmo runs them (ONNX Runtime Web
# WASM, one thread, in Node, int8 rows expanded at load), measured on randomly initialised
# weights (speed does not depend on the values): a shape that decodes below the 300 tokens/s
# target cannot ship, whatever its quality.
#   bash models/recipe/shape_speed.sh [layers:d_model:heads ...]   (default: a few around km1's 4:256:4)
# Prints one line per shape: parameters, int8 download, tokens per CPU-second on each path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(4:256:4 5:256:4 6:256:4 4:320:5 3:320:5)
for shape in "${shapes[@]}"; do
  IFS=: read -r layers d heads <<<"$shape"
  /usr/bin/python3 - "$here" "$tmp/$shape.pt" "$layers" "$d" "$heads" <<'PY'
import sys, torch
sys.path.insert(0, sys.argv[1])
from model import GPT, Config
cfg = Config(8192, int(sys.argv[4]), int(sys.argv[3]), int(sys.argv[5]), 256)
torch.manual_seed(0)
torch.save({"model": GPT(cfg).state_dict(), "config": cfg.to_dict()}, sys.argv[2])
PY
  /usr/bin/python3 "$here/export.py" --ckpt "$tmp/$shape.pt" --out "$tmp/$shape" >/dev/null 2>&1
  node "$here/check_onnx.mjs" "$tmp/$shape" --steps 256 > "$tmp/$shape.json"
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const bytes = require("fs").statSync(process.argv[2]).size;
    const speed = r.results.map((x) => `${x.path.split(",")[0].split(" 1 thread")[0]}: ${x.tokensPerCpuSecond}`).join("; ");
    console.log(`${process.argv[3]} (layers:d:heads)  ${(bytes / 1e6).toFixed(2)} MB int8  tokens per CPU-second: ${speed}`);
  ' "$tmp/$shape.json" "$tmp/$shape/model.onnx" "$shape"
done
