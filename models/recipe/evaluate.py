#!/usr/bin/env python3
"""Held-out evaluation for the model card: model cost vs brotli -q 11 and xz -9e, per eval file.

For every file of ../shared/eval/<category>/*.txt, alone: tokens from the shipped tokenizer (via
`kolmo_bpe encode`), the sequence EOT + text + EOT, and the model's cost sum(-log2 p(token)) under
kolmo's context-window rule (src/session.h contextStart: windows of `context` tokens, restarting
every context/2), plus the container framing; against `brotli -q 11` and `xz -9e` of the same file
(whole-file sizes). The model is evaluated with the dequantized int8 weights the ONNX file holds.
Optionally dumps (token, logits) steps in the coder bench's format for the rounding-layer figures.
"""
import argparse
import glob
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import dequantized_state  # noqa: E402
from model import GPT, Config  # noqa: E402

FRAMING_BYTES = 4  # as the issue counts it: header, check, and coder termination


def context_start(position, context):
    half = context // 2
    return 0 if position <= context else ((position - 1) // half - 1) * half


def tokenize(tool, tokenizer, path):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ids.u16")
        subprocess.run([tool, "encode", "--tokenizer", tokenizer, "--out", out, path], check=True,
                       stderr=subprocess.DEVNULL)
        return np.fromfile(out, dtype=np.uint16).astype(np.int64)  # EOT + tokens


@torch.no_grad()
def token_costs(model, seq, context):
    """-log2 p of seq[1:], each predicted from seq[context_start(i):i]; plus the logits used."""
    n = len(seq)
    groups = {}
    for i in range(1, n):
        groups.setdefault(context_start(i, context), []).append(i)
    costs = np.zeros(n - 1)
    logits_out = [None] * (n - 1)
    t = torch.from_numpy(seq)
    for start, positions in groups.items():
        end = max(positions)
        logits, _ = model(t[start:end].unsqueeze(0))
        logp = torch.log_softmax(logits[0].double(), dim=-1)
        for i in positions:
            row = i - 1 - start
            costs[i - 1] = -logp[row, seq[i]].item() / math.log(2)
            logits_out[i - 1] = logits[0, row].numpy()
    return costs, logits_out


def compressed_size(cmd, path):
    return len(subprocess.run(cmd + [path], check=True, capture_output=True).stdout)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--tool", default=os.path.join(here, "../../build-native/tools/kolmo_bpe"))
    ap.add_argument("--eval", default=os.path.join(here, "../../../shared/eval"))
    ap.add_argument("--out", required=True, help="JSON with per-file and per-category figures")
    ap.add_argument("--dump-logits", default=None, help="write (token, logits) steps for bench/coder_bench")
    ap.add_argument("--dump-max-steps", type=int, default=6000)
    args = ap.parse_args()
    for p in (args.ckpt, args.tokenizer, args.tool):
        if not os.path.isfile(p):
            sys.exit(f"evaluate: missing {p}")
    torch.set_num_threads(2)
    ck = torch.load(args.ckpt)
    cfg = Config(**ck["config"])
    model = GPT(cfg)
    model.load_state_dict(ck["model"])
    model.load_state_dict(dequantized_state(model))
    model.eval()

    files = sorted(glob.glob(os.path.join(args.eval, "*", "*.txt")))
    if not files:
        sys.exit(f"evaluate: no eval files under {args.eval}")
    rows, dump = [], []
    dump_steps = 0
    for path in files:
        seq = tokenize(args.tool, args.tokenizer, path)
        seq = np.append(seq, cfg.vocab_size - 1)  # EOT terminates the text
        costs, logits = token_costs(model, seq, cfg.context)
        raw = os.path.getsize(path)
        rows.append({"file": os.path.relpath(path, args.eval), "category": os.path.basename(os.path.dirname(path)),
                     "bytes": raw, "tokens": len(seq) - 2, "model_bits": float(costs.sum()),
                     "model_bytes": float(costs.sum()) / 8 + FRAMING_BYTES,
                     "brotli": compressed_size(["brotli", "-q", "11", "-c"], path),
                     "xz": compressed_size(["xz", "-9e", "-c", "--format=xz"], path)})
        if args.dump_logits and dump_steps < args.dump_max_steps:
            for i, row in enumerate(logits):
                dump.append((int(seq[i + 1]), row))
            dump_steps = len(dump)
        r = rows[-1]
        print(f"{r['file']}: {r['bytes']} B, model {r['model_bytes']:.1f} B, brotli {r['brotli']}, xz {r['xz']}",
              file=sys.stderr)

    def summarize(sel):
        b = sum(r["bytes"] for r in sel)
        m = sum(r["model_bytes"] for r in sel)
        br = sum(r["brotli"] for r in sel)
        xz = sum(r["xz"] for r in sel)
        tok = sum(r["tokens"] for r in sel)
        return {"files": len(sel), "bytes": b, "tokens": tok, "model_bytes": round(m, 1), "brotli_bytes": br,
                "xz_bytes": xz, "model_bpb": round(8 * m / b, 3), "brotli_bpb": round(8 * br / b, 3),
                "xz_bpb": round(8 * xz / b, 3), "model_vs_brotli": round(m / br, 3), "model_vs_xz": round(m / xz, 3),
                "bytes_per_token": round(b / max(tok, 1), 3)}

    cats = sorted({r["category"] for r in rows})
    summary = {"by_category": {c: summarize([r for r in rows if r["category"] == c]) for c in cats},
               "by_size": {}, "all": summarize(rows)}
    for label, lo, hi in (("<=256B", 0, 256), ("<=1KB", 257, 1024), ("<=8KB", 1025, 8192)):
        sel = [r for r in rows if lo <= r["bytes"] <= hi]
        if sel:
            summary["by_size"][label] = summarize(sel)
    with open(args.out, "w") as f:
        json.dump({"summary": summary, "files": rows, "framing_bytes": FRAMING_BYTES}, f, indent=1)
    if args.dump_logits:
        with open(args.dump_logits, "wb") as f:
            f.write(struct.pack("<II", cfg.vocab_size, len(dump)))
            for tok, row in dump:
                f.write(struct.pack("<I", tok))
                f.write(np.asarray(row, dtype=np.float32).tobytes())
    for c, s in summary["by_category"].items():
        print(f"{c:10s} model {s['model_bpb']:.3f} bpb  brotli {s['brotli_bpb']:.3f}  xz {s['xz_bpb']:.3f}  "
              f"model/brotli {s['model_vs_brotli']:.3f}")


if __name__ == "__main__":
    main()
