#!/usr/bin/env bash
# One model, one config: data, training in resumable stretches, export, evaluation.
#   bash models/recipe/run.sh configs/km3.json data      the config's mix ("data": {"mix", "seed"}) -> shards
#   bash models/recipe/run.sh configs/km3.json train     data if missing, then train.py --config in the
#                                                        background (nice 19), from the committed checkpoint
#                                                        (or the config's "init" at the very start)
#   bash models/recipe/run.sh configs/km3.json status    tokens, last losses, whether the trainer runs
#   bash models/recipe/run.sh configs/km3.json stop      stops after the next checkpoint; copies the log
#   bash models/recipe/run.sh configs/km3.json export    ONNX export of the checkpoint to work-NAME/export
#   bash models/recipe/run.sh configs/km3.json evaluate  bits per category on tests/data/eval (evaluate.py)
#   bash models/recipe/run.sh configs/km3.json ship      export, tokenizer files, ONNX Runtime check (check_onnx.mjs),
#                                                        evaluation, then models/<id>/ + card + manifest (make_card.py:
#                                                        a new link index, the default for new links)
#   bash models/recipe/run.sh configs/km3.json all       data, train to the end of the budget (foreground), ship
# NAME is the config's file name (km3). The repository keeps one checkpoint per model,
# checkpoints/NAME.pt (fp16 weights, counters, RNG), and its log, checkpoints/NAME_train_log.jsonl:
# commit both at the end of every stretch. THREADS (default 1) sets the trainer's threads.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
arg="${1:?usage: run.sh CONFIG data|train|status|stop|export|evaluate|ship|all}"
if [ -f "$arg" ]; then config="$(realpath "$arg")"; else config="$here/$arg"; fi  # as given, or under models/recipe/
[ -f "$config" ] || { echo "run.sh: no config $arg" >&2; exit 2; }
name="$(basename "$config" .json)"
work="$here/work-$name"
ckdir="$here/checkpoints"
compact="$ckdir/$name.pt"
py=/usr/bin/python3
tokenizer="$root/models/km1-4f9c28b6bfe260e6/tokenizer.kbpe"
mix=$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['data']['mix'])" "$config")
seed=$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['data']['seed'])" "$config")
data="${mix}data"  # the shards: work-NAME/MIXdata/{train,val,val_extra}.u16

data() {
  [ -f "$work/$data/train.u16" ] && [ -f "$work/$data/val.u16" ] && return 0
  if [ "$mix" = km3 ]; then
    bash "$here/km3_data.sh"  # -> work-km3/km3data: km2's packages and mix, plus the km3 additions (km3_data.md)
  else
    bash "$here/km2.sh" data >/dev/null    # the packages of the km2 mix
    mkdir -p "$work/$data"
    [ -f "$work/$data/train.txt" ] || nice -n 5 $py "$here/prepare_data.py" --mix "$mix" --seed "$seed" --work "$work/$data"
    local tool="$root/build-native/tools/kolmo_bpe"
    for part in train val; do
      [ -f "$work/$data/$part.u16" ] || "$tool" encode --tokenizer "$tokenizer" --out "$work/$data/$part.u16" "$work/$data/$part.txt"
    done
  fi
}

running() { [ -f "$work/train.pid" ] && kill -0 "$(cat "$work/train.pid")" 2>/dev/null; }

train_cmd() {
  local extra=()
  [ -f "$work/$data/val_extra.u16" ] && extra=(--val-extra "$work/$data/val_extra.u16")
  mkdir -p "$ckdir" "$work/run"
  [ -f "$work/run/train_log.jsonl" ] || { [ -f "$ckdir/${name}_train_log.jsonl" ] && cp "$ckdir/${name}_train_log.jsonl" "$work/run/train_log.jsonl"; } || true
  # --init is used only when neither the full checkpoint nor the compact one exists (train.py).
  echo nice -n 19 $py "$here/train.py" --config "$config" --train "$work/$data/train.u16" --val "$work/$data/val.u16" \
    "${extra[@]}" --out "$work/run" --compact "$compact" --threads "${THREADS:-1}"
}

case "${2:-}" in
  data) data ;;
  train)
    if running; then echo "$name: already training (pid $(cat "$work/train.pid"))"; exit 0; fi
    data
    # shellcheck disable=SC2046
    OMP_NUM_THREADS="${THREADS:-1}" nohup $(train_cmd) > "$work/train.out" 2>&1 &
    echo $! > "$work/train.pid"
    echo "$name: training in the background (pid $!), log $work/train.out"
    ;;
  status)
    running && echo "$name: training (pid $(cat "$work/train.pid"))" || echo "$name: not running"
    tail -n 2 "$work/run/train_log.jsonl" 2>/dev/null || true
    grep val_bits "$work/run/train_log.jsonl" 2>/dev/null | tail -n 1 || true
    ;;
  stop)
    if running; then
      before=$(stat -c %Y "$compact" 2>/dev/null || echo 0)
      for _ in $(seq 1 900); do
        [ "$(stat -c %Y "$compact" 2>/dev/null || echo 0)" != "$before" ] && break
        sleep 2
      done
      sleep 3
      kill "$(cat "$work/train.pid")"
      echo "$name: stopped after the checkpoint of $(date -d @"$(stat -c %Y "$compact")")"
    fi
    cp "$work/run/train_log.jsonl" "$ckdir/${name}_train_log.jsonl"
    ;;
  export)
    ck="$work/run/ckpt.pt"; [ -f "$ck" ] || ck="$compact"
    $py "$here/export.py" --ckpt "$ck" --out "$work/export"
    ;;
  evaluate)
    ck="$work/run/ckpt.pt"; [ -f "$ck" ] || ck="$compact"
    $py "$here/evaluate.py" --ckpt "$ck" --tokenizer "$tokenizer" --eval "$root/tests/data/eval" --out "$work/eval.json"
    ;;
  ship)
    ck="$work/run/ckpt.pt"; [ -f "$ck" ] || ck="$compact"
    "$0" "$1" export
    tokdir="$(dirname "$tokenizer")"
    cp "$tokenizer" "$work/export/tokenizer.kbpe"
    cp "$tokdir/tokenizer.json" "$work/export/tokenizer.json"
    node "$here/check_onnx.mjs" "$work/export" > "$work/export/check.json"
    $py "$here/evaluate.py" --ckpt "$ck" --tokenizer "$tokenizer" --eval "$root/tests/data/eval" --out "$work/export/eval.json"
    notes=(); [ -f "$here/${name}_card_notes.md" ] && notes=(--notes "$here/${name}_card_notes.md")
    # The card compares the model with the one it replaces as the default (the config's "replaces").
    previous=$($py -c "import json,sys; print(json.load(open(sys.argv[1])).get('replaces', ''))" "$config")
    baseline=(); [ -n "$previous" ] && baseline=(--baseline "$root/models/$previous")
    $py "$here/make_card.py" --export "$work/export" --run "$(dirname "$ck")" --mix "$work/$data/mix.json" \
      --models "$root/models" --family "$name" "${baseline[@]}" "${notes[@]}"
    ;;
  all)
    data
    # shellcheck disable=SC2046
    OMP_NUM_THREADS="${THREADS:-1}" $(train_cmd)
    "$0" "$1" ship
    ;;
  *) echo "usage: bash models/recipe/run.sh CONFIG data|train|status|stop|export|evaluate|ship|all" >&2; exit 2 ;;
esac
