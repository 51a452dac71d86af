#!/usr/bin/env bash
# The km2 training run, one session at a time (a run that spans sessions; see the km2 card):
#   bash models/recipe/km2.sh data     installs the training-text packages, builds the mix and shards
#   bash models/recipe/km2.sh train    data if missing, then trains in the background (nice, 2 threads)
#                                      from the committed checkpoint; prints where the log is
#   bash models/recipe/km2.sh status   tokens seen, last losses, whether the trainer runs
#   bash models/recipe/km2.sh stop     stops the trainer after its next checkpoint is on disk
# The repository keeps one checkpoint, models/recipe/checkpoints/km2.pt (fp16 weights, counters,
# RNG; ~10 MB), and the run's log, models/recipe/checkpoints/km2_train_log.jsonl: commit both at
# the end of a session. The first session started from ../shared/warmstart/km1-continued-fp16.pt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$here/work-km2"
ckdir="$here/checkpoints"
compact="$ckdir/km2.pt"
py=/usr/bin/python3
tokenizer="$root/models/km1-4f9c28b6bfe260e6/tokenizer.kbpe"
warmstart="$root/../shared/warmstart/km1-continued-fp16.pt"
# The schedule spans the whole run (tokens, not time): keep these fixed across sessions.
# km2's shape and recipe are configs/km2.json's (the one place they are written); km2's run adds
# its budget, checkpoint period and threads (fp32: km2 ran before bf16 autocast was measured).
TRAIN_ARGS=(--config "$here/configs/km2.json" --total-tokens 48e6 --ckpt-every 50 --threads 2)

# Debian packages whose files are training text (prepare_data.py FILES, the km2 card lists them)
# and those the trainer needs. libopenblas0-openmp: see train.py on BLAS threads.
DATA_PACKAGES=(python3-torch python3-onnx libopenblas0-pthread libopenblas0-openmp emscripten golang-1.19-src
               ruby3.1 fortunes fortunes-min yamllint man-db librust-serde-dev librust-regex-dev librust-clap-dev
               librust-tokio-dev librust-rand-dev librust-syn-dev librust-itertools-dev librust-anyhow-dev
               librust-nom-dev librust-log-dev librust-chrono-dev librust-serde-json-dev golang-github-spf13-cobra-dev
               golang-github-gorilla-mux-dev golang-github-sirupsen-logrus-dev golang-github-stretchr-testify-dev)

install_packages() {
  local missing=()
  for p in "${DATA_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "km2: missing Debian packages; as root: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
  [ -d "$here/npm-corpus/node_modules" ] || (cd "$here/npm-corpus" && npm ci --ignore-scripts --no-audit --no-fund)
}

data() {
  install_packages
  cmake -S "$root" -B "$root/build-native" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build-native" --target kolmo_bpe -j2 >/dev/null
  local tool="$root/build-native/tools/kolmo_bpe"
  mkdir -p "$work"
  [ -f "$work/train.txt" ] || nice -n 5 $py "$here/prepare_data.py" --mix km2 --seed 3 --work "$work"
  [ -f "$work/train.u16" ] || "$tool" encode --tokenizer "$tokenizer" --out "$work/train.u16" "$work/train.txt"
  [ -f "$work/val.u16" ] || "$tool" encode --tokenizer "$tokenizer" --out "$work/val.u16" "$work/val.txt"
}

running() { [ -f "$work/train.pid" ] && kill -0 "$(cat "$work/train.pid")" 2>/dev/null; }

case "${1:-}" in
  data) data ;;
  train)
    if running; then echo "km2: already training (pid $(cat "$work/train.pid"))"; exit 0; fi
    data
    mkdir -p "$ckdir" "$work/run"
    init=()
    [ -f "$compact" ] || [ -f "$work/run/ckpt.pt" ] || init=(--init "$warmstart")
    # train.py appends to <out>/train_log.jsonl; the committed log is the run's history.
    [ -f "$work/run/train_log.jsonl" ] || { [ -f "$ckdir/km2_train_log.jsonl" ] && cp "$ckdir/km2_train_log.jsonl" "$work/run/train_log.jsonl"; } || true
    nohup nice -n 19 $py "$here/train.py" --train "$work/train.u16" --val "$work/val.u16" --out "$work/run" \
      --compact "$compact" "${TRAIN_ARGS[@]}" "${init[@]}" > "$work/train.out" 2>&1 &
    echo $! > "$work/train.pid"
    echo "km2: training in the background (pid $!), log $work/train.out"
    ;;
  status)
    running && echo "km2: training (pid $(cat "$work/train.pid"))" || echo "km2: not running"
    tail -n 3 "$work/run/train_log.jsonl" 2>/dev/null || true
    grep val_bits "$work/run/train_log.jsonl" 2>/dev/null | tail -n 1 || true
    ;;
  stop)
    if running; then
      # The trainer saves every --ckpt-every steps; wait for a fresh save, then stop it.
      before=$(stat -c %Y "$compact" 2>/dev/null || echo 0)
      for _ in $(seq 1 600); do
        now=$(stat -c %Y "$compact" 2>/dev/null || echo 0)
        [ "$now" != "$before" ] && break
        sleep 2
      done
      sleep 3
      kill "$(cat "$work/train.pid")"
      echo "km2: stopped after the checkpoint of $(date -d @"$(stat -c %Y "$compact")")"
    fi
    cp "$work/run/train_log.jsonl" "$ckdir/km2_train_log.jsonl"
    ;;
  *) echo "usage: bash models/recipe/km2.sh data|train|status|stop" >&2; exit 2 ;;
esac
