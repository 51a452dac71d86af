#!/usr/bin/env bash
# Compares the cm fallback codec with gzip -9, xz -9e and brotli -q 11 on each file alone,
# and prints bits/byte per category (= parent directory), summed over the category's files
# (total compressed bits / total input bytes). Tool outputs are measured as the tools write
# them (headers included: xz ~60 B, gzip 18 B, brotli ~1 B); "cm+3" adds kolmo's 3-byte link
# framing. Also prints cm encode/decode speed over all files.
#
#   tests/fuzz/cm_compare.sh CM_BENCH_BINARY [EVAL_DIR]     (EVAL_DIR: /work/shared/eval)
set -euo pipefail
BENCH="$1"
EVAL="${2:-/work/shared/eval}"
TMP="$(mktemp)"
trap 'rm -f "$TMP"' EXIT
"$BENCH" "$EVAL"/*/*.txt > "$TMP"
printf '%-10s %6s %7s %6s %6s %6s %6s %6s\n' category files bytes gzip xz brotli cm cm+3
while read -r path size cm enc dec; do
  cat=$(basename "$(dirname "$path")")
  g=$(gzip -9 -c "$path" | wc -c)
  x=$(xz -9e -c "$path" | wc -c)
  b=$(brotli -q 11 -c "$path" | wc -c)
  echo "$cat $size $g $x $b $cm $enc $dec"
done < "$TMP" | awk '
  { n[$1]++; s[$1]+=$2; g[$1]+=$3; x[$1]+=$4; b[$1]+=$5; c[$1]+=$6; enc+=$7; dec+=$8; tot+=$2
    N++; S+=$2; G+=$3; X+=$4; B+=$5; C+=$6 }
  END {
    for (k in n) printf "%-10s %6d %7d %6.3f %6.3f %6.3f %6.3f %6.3f\n", k, n[k], s[k],
      8*g[k]/s[k], 8*x[k]/s[k], 8*b[k]/s[k], 8*c[k]/s[k], 8*(c[k]+3*n[k])/s[k] | "sort"
    close("sort")
    printf "%-10s %6d %7d %6.3f %6.3f %6.3f %6.3f %6.3f\n", "all", N, S, 8*G/S, 8*X/S, 8*B/S, 8*C/S, 8*(C+3*N)/S
    printf "cm speed over these files: encode %.2f MB/s, decode %.2f MB/s\n", tot/enc/1000, tot/dec/1000
  }'
