#!/usr/bin/env bash
# The km3 training data (issue 22; models/recipe/km3_data.md): km2's documents drawn exactly as
# km2 drew them, so km2's 1% validation split comes out bit for bit (the one held-out set that a
# model continued from km2 has never seen), plus more text in languages other than English and
# Chinese, appended to the training split only (1% of it in val_extra).
#   bash models/recipe/km3_data.sh          packages, mix, shards (train, val = km2's, val_extra), the
#                                           leakage check and the km2-split check, into
#                                           models/recipe/work-km3/km3data/
#   bash models/recipe/km3_data.sh leaks    only the leakage check (eval lines >= 40 bytes in train.txt)
#   bash models/recipe/km3_data.sh check    only the check that val.u16 is km2's split (km2.pt's val loss)
# Needs root for apt-get (as km2.sh). Standard-library Python; kolmo_bpe is built from a
# `git archive HEAD` snapshot (as ablate.sh does), so concurrent edits of src/ cannot break it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$here/work-km3"
out="$work/km3data"
py=/usr/bin/python3
tokenizer="$root/models/km1-4f9c28b6bfe260e6/tokenizer.kbpe"

# km2's training-text packages (km2.sh's DATA_PACKAGES, read from there) plus km3's translated man
# pages (prepare_data.py KM3_APT_PACKAGES: files under /usr/share/man/<lang>/ only, so none of km2's
# globs sees a new file and km2's draws stay the same).
eval "$(sed -n '/^DATA_PACKAGES=(/,/)$/p' "$here/km2.sh")"
read -r -a KM3_APT <<< "$(cd "$here" && $py -c 'import prepare_data as p; print(" ".join(p.KM3_APT_PACKAGES))')"
read -r -a KM3_DEB <<< "$(cd "$here" && $py -c 'import prepare_data as p; print(" ".join(p.KM3_DEB_PACKAGES))')"

install_packages() {
  local missing=()
  for p in "${DATA_PACKAGES[@]}" "${KM3_APT[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "km3_data: missing Debian packages; as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  [ -d "$here/npm-corpus/node_modules" ] || (cd "$here/npm-corpus" && npm ci --ignore-scripts --no-audit --no-fund)
  # gnome-user-docs (depends on yelp) and libreoffice-help-ko/-ja (depend on libreoffice-common):
  # unpacked, not installed, so that their dependencies add nothing to km2's file sets.
  if [ ! -f "$work/debroot/.done" ]; then
    mkdir -p "$work/debs" "$work/debroot"
    (cd "$work/debs" && apt-get download "${KM3_DEB[@]}")
    for p in "${KM3_DEB[@]}"; do dpkg-deb -x "$(ls "$work/debs/${p}"_*.deb | tail -n 1)" "$work/debroot"; done
    (cd "$work/debs" && ls ./*.deb) > "$work/debroot/.done"
  fi
}

bpe_tool() {
  local tool="$work/build/tools/kolmo_bpe"
  if [ ! -x "$tool" ]; then
    mkdir -p "$work/head"
    (cd "$root" && git archive HEAD) | tar -x -C "$work/head"
    cmake -S "$work/head" -B "$work/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$work/build" --target kolmo_bpe -j1 >/dev/null
  fi
  echo "$tool"
}

leaks() {
  # The km2 card's check: distinct eval lines of >= 40 bytes (leading/trailing blanks stripped:
  # 1,184 lines, the card's count), searched for in the training text.
  LC_ALL=C sed 's/^[[:space:]]*//;s/[[:space:]]*$//' "$root"/tests/data/eval/*/*.txt \
    | LC_ALL=C awk 'length($0) >= 40' | LC_ALL=C sort -u > "$out/eval_lines40.txt"
  local n hits
  n=$(wc -l < "$out/eval_lines40.txt")
  LC_ALL=C grep -a -F -o -f "$out/eval_lines40.txt" "$out/train.txt" | LC_ALL=C sort | uniq -c | sort -rn > "$out/leaks.txt" || true
  hits=$(wc -l < "$out/leaks.txt")
  echo "km3_data: $hits of $n distinct eval lines (>= 40 bytes) occur in train.txt ($out/leaks.txt)"
}

check() {
  # km2's split, reproduced? km2's compact checkpoint on val.u16 with the km2 trainer's validation
  # windows (train.py val_loss: generator seed 1234, 8 batches of 8 windows of 257 tokens) gives
  # the km2 log's last val_bits, 4.8840 (fp32 weights; 4.8841 from the fp16 checkpoint), only if
  # val.u16 is km2's own (a different shard moves the windows: km2's 15% pilot split gives 4.576).
  nice -n 5 $py - "$out/val.u16" "$here/checkpoints/km2.pt" "$here" <<'PY'
import math, sys
import numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[3])
from model import GPT, Config
torch.set_num_threads(1)
val = np.memmap(sys.argv[1], dtype=np.uint16, mode="r")
ck = torch.load(sys.argv[2], map_location="cpu")
m = GPT(Config(**ck["config"]))
m.load_state_dict({k: v.float() for k, v in ck["model"].items()})
m.train()
g = torch.Generator().manual_seed(1234)
losses = []
with torch.no_grad():
    for _ in range(8):
        ix = torch.randint(0, len(val) - 257, (8,), generator=g)
        x = torch.from_numpy(np.stack([val[i:i + 257] for i in ix.tolist()]).astype(np.int64))
        lg, _ = m(x[:, :-1])
        losses.append(F.cross_entropy(lg.reshape(-1, lg.shape[-1]), x[:, 1:].reshape(-1)).item())
print(f"km3_data: {sys.argv[1]}: {len(val)} tokens, km2.pt {sum(losses) / len(losses) / math.log(2):.4f} bits/token "
      "(km2's split: 4.8841)")
PY
}

data() {
  install_packages
  mkdir -p "$out"
  [ -f "$out/train.txt" ] || nice -n 5 $py "$here/prepare_data.py" --mix km3 --seed 3 --work "$out" 2>&1 | tee "$out/prep.log"
  local tool
  tool="$(bpe_tool)"
  for s in train val val_extra; do
    [ -f "$out/$s.u16" ] || nice -n 5 "$tool" encode --tokenizer "$tokenizer" --out "$out/$s.u16" "$out/$s.txt"
  done
  leaks
  check
}

case "${1:-data}" in
  data) data ;;
  leaks) leaks ;;
  check) check ;;
  *) echo "usage: bash models/recipe/km3_data.sh [data|leaks|check]" >&2; exit 2 ;;
esac
