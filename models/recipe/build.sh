#!/usr/bin/env bash
# Rebuilds the default model from its inputs, in one command:
#   bash models/recipe/build.sh [--minutes N] [--init CKPT]
# data mix (prepare_data.py) -> BPE vocabulary (kolmo_bpe train) -> token shards (kolmo_bpe encode)
# -> training (train.py, checkpointed: rerun to resume) -> ONNX export with int8 weights
# (export.py) -> ORT vs PyTorch check (check_onnx.mjs) -> held-out evaluation (evaluate.py)
# -> models/<id>/ with model card, and models/manifest.json (make_card.py).
# Needs: ../shared/corpus and ../shared/eval beside the repo; Debian python3-torch python3-onnx
# libopenblas0-pthread brotli xz-utils (run as /usr/bin/python3); npm install done (ORT for the check).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$here/work"
minutes=105
init=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --init) init=(--init "$2"); shift 2 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
missing=()
$py -c 'import torch, onnx' 2>/dev/null || missing+=("python3-torch python3-onnx libopenblas0-pthread (apt)")
command -v brotli >/dev/null || missing+=("brotli (apt)")
command -v xz >/dev/null || missing+=("xz-utils (apt)")
[ -d "$root/node_modules/onnxruntime-node" ] || missing+=("npm install (onnxruntime-node, onnxruntime-web)")
[ -d "$root/../shared/corpus" ] || missing+=("../shared/corpus beside the repository")
if [ ${#missing[@]} -gt 0 ]; then
  echo "build.sh: missing: ${missing[*]}" >&2
  exit 1
fi

cmake -S "$root" -B "$root/build-native" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build-native" --target kolmo_bpe -j2 >/dev/null
tool="$root/build-native/tools/kolmo_bpe"

mkdir -p "$work/run"
[ -f "$work/train.txt" ] || $py "$here/prepare_data.py" --work "$work"
[ -f "$work/tokenizer.kbpe" ] || "$tool" train --vocab 8192 --out "$work/tokenizer.kbpe" "$work/tok_sample.txt"
[ -f "$work/train.u16" ] || "$tool" encode --tokenizer "$work/tokenizer.kbpe" --out "$work/train.u16" "$work/train.txt"
[ -f "$work/val.u16" ] || "$tool" encode --tokenizer "$work/tokenizer.kbpe" --out "$work/val.u16" "$work/val.txt"
$py "$here/train.py" --train "$work/train.u16" --val "$work/val.u16" --out "$work/run" \
  --minutes "$minutes" --batch 8 --lr 2e-3 "${init[@]}"
$py "$here/export.py" --ckpt "$work/run/ckpt.pt" --out "$work/export"
cp "$work/tokenizer.kbpe" "$work/export/tokenizer.kbpe"
$py "$here/export_hf_tokenizer.py" "$work/export/tokenizer.kbpe" "$work/export/tokenizer.json"
node "$here/check_onnx.mjs" "$work/export" > "$work/export/check.json"
if python3 -c 'import regex' 2>/dev/null; then
  python3 "$here/check_hf_tokenizer.py" "$work/export/tokenizer.json" "$tool" "$work/export/tokenizer.kbpe" "$root"/../shared/eval/*/*.txt
else
  echo "build.sh: skipping the tokenizer.json check (needs a python3 with the regex module)" >&2
fi
$py "$here/evaluate.py" --ckpt "$work/run/ckpt.pt" --tokenizer "$work/export/tokenizer.kbpe" --tool "$tool" \
  --out "$work/export/eval.json" --dump-logits "$work/export/logits.bin"
$py "$here/make_card.py" --export "$work/export" --run "$work/run" --mix "$work/mix.json" --models "$root/models"
