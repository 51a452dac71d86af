#!/usr/bin/env bash
# One GPU training command (runs on the device machine, in the repository root there, with
# models/recipe/gpu/pack carried): continues km2 from models/recipe/checkpoints/km2.pt on the packed tokens for
# GPU_MINUTES (default 8) with bf16 autocast, over GPU_TOKENS more tokens (default 300M; the LR decays
# over the last 30% of them, so the result is a finished model), and writes the new checkpoint and the log to $OUT.
# Back here: copy $OUT's km2.pt over models/recipe/checkpoints/km2.pt, append its log lines to
# models/recipe/checkpoints/km2_train_log.jsonl. Tested on the CPU with GPU_DEVICE=cpu GPU_MINUTES=0.3.
set -euo pipefail
pack=models/recipe/gpu/pack
out="${OUT:-/tmp/kolmo-gpu-out}"
minutes="${GPU_MINUTES:-8}"
device="${GPU_DEVICE:-cuda}"
batch="${GPU_BATCH:-256}"
py="${PYTHON:-python3}"
mkdir -p "$out" /tmp/kolmo-gpu
export PYTHONUNBUFFERED=1
$py - "$pack/train.u16.xz" /tmp/kolmo-gpu/train.u16 <<'PY'
import lzma, sys
open(sys.argv[2], "wb").write(lzma.decompress(open(sys.argv[1], "rb").read()))
PY
cp models/recipe/checkpoints/km2.pt "$out/km2.pt"
[ "$device" = cuda ] && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
# The same schedule arguments as models/recipe/km2.sh, with a bigger batch: the run's token
# budget and decay point stay those of the whole run.
$py models/recipe/train.py --train /tmp/kolmo-gpu/train.u16 --val "$pack/val.u16" --out /tmp/kolmo-gpu/run \
  --compact "$out/km2.pt" --device "$device" --batch "$batch" --minutes "$minutes" \
  --context 256 --extend-tokens "${GPU_TOKENS:-300e6}" --decay-frac 0.3 --lr 6e-4 --min-lr 6e-5 --warmup 100 --rewarm-steps 30 \
  --ckpt-every 200 --threads "${GPU_THREADS:-8}" --seed 4 2>&1 | tee "$out/gpu_train.out"
cp /tmp/kolmo-gpu/run/train_log.jsonl "$out/gpu_train_log.jsonl"
