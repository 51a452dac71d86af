#!/usr/bin/env bash
# Packs what one GPU training command needs into models/recipe/gpu/pack/ (git-ignored; the device
# tool carries it, 64 MiB at most with the working tree, which already holds the ~7 MB of tracked
# files and the 10.5 MB checkpoint models/recipe/checkpoints/km2.pt): the validation shard and as
# much of the training shard as fits, xz-compressed (~0.8 bytes per token: 36 MiB ~ 46M tokens).
#   bash models/recipe/gpu/pack.sh [MiB of compressed training tokens, default 36]
# Then, only in a session whose device `status` shows a machine (see README.md here):
#   device run: bash models/recipe/gpu/run.sh   carry: ["models/recipe/gpu/pack"]   timeout_s: 600
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
recipe="$(cd "$here/.." && pwd)"
budget_mib="${1:-36}"
pack="$here/pack"
work="$recipe/work-km2"
[ -f "$work/train.u16" ] || { echo "gpu/pack: no $work/train.u16: run bash models/recipe/km2.sh data" >&2; exit 1; }
[ -f "$recipe/checkpoints/km2.pt" ] || { echo "gpu/pack: no models/recipe/checkpoints/km2.pt" >&2; exit 1; }
rm -rf "$pack"; mkdir -p "$pack"
cp "$work/val.u16" "$pack/val.u16"
# Token shards compress to ~0.4 of their size: take the tail of the shard (the CPU run draws
# from all of it) in 1 MiB-token steps until the compressed part reaches the budget.
/usr/bin/python3 - "$work/train.u16" "$pack/train.u16.xz" "$budget_mib" <<'PY'
import lzma, sys
import numpy as np
src, dst, budget = sys.argv[1], sys.argv[2], float(sys.argv[3]) * 2**20
data = np.memmap(src, dtype=np.uint16, mode="r")
n = min(len(data), int(budget / 0.9))  # first guess: 0.9 compressed bytes per token
while True:
    blob = lzma.compress(np.ascontiguousarray(data[len(data) - n:]).tobytes(), preset=6)
    if len(blob) <= budget or n < 2**20:
        break
    n = int(n * budget / len(blob) * 0.98)
open(dst, "wb").write(blob)
print(f"gpu/pack: {n:,} training tokens in {len(blob) / 2**20:.1f} MiB")
PY
du -sh "$pack"
