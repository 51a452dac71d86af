#!/usr/bin/env python3
"""Builds the training mix for the default model from ../shared/corpus and Debian-installed files.

Output (under --work, default models/recipe/work/):
  train.txt, val.txt      documents separated by NUL bytes (val: 1% of documents, for monitoring)
  tok_sample.txt          a smaller sample of the same mix, for training the BPE vocabulary
  mix.json                what was taken from where (bytes and documents per source)

A document is a run of consecutive corpus blocks (blank-line separated) whose length is drawn
log-uniformly between 80 B and 6 KB, like the short texts people share. Sources and byte budgets
are in SOURCES below; code and JSON, which the corpus lacks, come from files installed by the
Debian packages named there (the eval's own sources, the Python 3.11 standard library and
node-acorn, are excluded). Any document sharing a 32-byte line prefix with an eval text is dropped.
Deterministic for a given --seed. Standard library only (no torch needed).
"""
import argparse
import glob
import json
import lzma
import math
import os
import random
import sys

MB = 1_000_000
# (name, corpus file or None, byte budget)
CORPUS = [
    ("en-wiki-zhouyii", "en-wiki-zhouyii.txt.xz", 6.0 * MB),
    ("en-wiki-vibhas", "en-wiki-vibhas.txt.xz", 2.0 * MB),
    ("en-books", "en-books-gutenberg.txt.xz", 6.0 * MB),
    ("en-chat-nus-sms", "en-chat-nus-sms.txt.xz", 1.5 * MB),
    ("en-chat-sgd", "en-chat-sgd.txt.xz", 2.0 * MB),
    ("en-email", "en-email-spamassassin.txt.xz", 2.0 * MB),
    ("en-docs", "en-docs-tldr-react-rfcs-peps.txt.xz", 4.0 * MB),
    ("zh-modern", "zh-modern-niutrans.txt.xz", 3.0 * MB),
    ("zh-law", "zh-law-lawrefbook.txt.xz", 1.5 * MB),
    ("zh-wiki", "zh-wiki-cmrc2018-drcd.txt.xz", 2.0 * MB),
    ("zh-chat-crosswoz", "zh-chat-crosswoz.txt.xz", 0.6 * MB),
    ("zh-chat-kdconv", "zh-chat-kdconv.txt.xz", 0.6 * MB),
    ("zh-chat-nus-sms", "zh-chat-nus-sms.txt.xz", 1.2 * MB),
    ("zh-docs", "zh-docs-d2l-react-tldr.txt.xz", 2.5 * MB),
    ("zh-classical", "zh-classical-niutrans.txt.xz", 0.5 * MB),
    ("zh-poetry", "zh-poetry-chinesepoetry.txt.xz", 0.5 * MB),
    ("multi-books", "multi-books-unicodecompressor.txt.xz", 1.0 * MB),
    ("multi-docs", "multi-docs-tldr-react.txt.xz", 2.5 * MB),
    ("multi-wiki", "multi-wiki-xquad.txt.xz", 1.0 * MB),
]
# (name, Debian package, glob patterns, byte budget)
FILES = [
    ("code-python", "python3-torch python3-numpy python3-onnx (and other python3-* in dist-packages)",
     ["/usr/lib/python3/dist-packages/**/*.py"], 3.0 * MB),
    ("code-js", "emscripten; npm package npm (/usr/lib/node_modules/npm)",
     ["/usr/share/emscripten/src/**/*.js", "/usr/share/emscripten/tests/**/*.js", "/usr/lib/node_modules/npm/**/*.js"], 2.0 * MB),
    ("code-c", "emscripten", ["/usr/share/emscripten/system/lib/**/*.c", "/usr/share/emscripten/system/lib/**/*.cpp"], 0.5 * MB),
    ("json-files", "iso-codes emscripten cmake-data; npm package npm",
     ["/usr/share/iso-codes/json/*.json", "/usr/share/emscripten/**/*.json", "/usr/share/cmake-3.25/**/*.json",
      "/usr/lib/node_modules/npm/**/*.json"], 0.6 * MB),
]
EXCLUDED_PREFIXES = ("/usr/lib/python3.11", "/usr/share/nodejs/acorn")


def log_uniform(rng, lo, hi):
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def eval_fingerprints(eval_dir):
    prints = set()
    for path in glob.glob(os.path.join(eval_dir, "*", "*.txt")):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                s = line.strip()
                if len(s) >= 32:
                    prints.add(s[:32])
    return prints


def leaks(doc, prints):
    return any(line.strip()[:32] in prints for line in doc.split("\n") if len(line.strip()) >= 32)


def sample_blocks(text, budget, rng):
    """Runs of consecutive blocks, each run one document, until the budget is spent."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    docs, used = [], 0
    if not blocks:
        return docs
    while used < budget:
        target = log_uniform(rng, 80, 6000)
        i = rng.randrange(len(blocks))
        parts, size = [], 0
        while i < len(blocks) and size < target:
            parts.append(blocks[i])
            size += len(blocks[i].encode("utf-8")) + 2
            i += 1
        doc = "\n\n".join(parts)
        raw = doc.encode("utf-8")
        if len(raw) > 2 * target:  # one huge block: cut at a line boundary near the target
            cut = doc[: max(1, target // 2)]
            doc = cut.rsplit("\n", 1)[0] if "\n" in cut else cut
            raw = doc.encode("utf-8")
        docs.append(doc)
        used += len(raw)
    return docs


def sample_files(patterns, budget, rng):
    paths = []
    for pattern in patterns:
        paths += [p for p in glob.glob(pattern, recursive=True) if not p.startswith(EXCLUDED_PREFIXES)]
    paths = sorted(set(paths))
    rng.shuffle(paths)
    docs, used = [], 0
    for path in paths:
        if used >= budget:
            break
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        if len(text) < 40:
            continue
        lines = text.split("\n")
        target = log_uniform(rng, 80, 8000)
        start = rng.randrange(max(1, len(lines) // 2)) if len(text) > target else 0
        piece, size = [], 0
        for line in lines[start:]:
            if size >= target:
                break
            piece.append(line)
            size += len(line) + 1
        doc = "\n".join(piece)
        docs.append(doc)
        used += len(doc.encode("utf-8"))
    return docs


def dialogues_as_json(text, budget, rng):
    """JSON records made from corpus dialogues: JSON syntax around mixed-language content."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    docs, used = [], 0
    while used < budget and blocks:
        b = blocks[rng.randrange(len(blocks))]
        turns = [t for t in b.split("\n") if t.strip()][:12]
        rec = {"id": rng.randrange(1, 100000),
               "turns": [{"speaker": "user" if k % 2 == 0 else "system", "text": t} for k, t in enumerate(turns)]}
        doc = json.dumps(rec, ensure_ascii=rng.random() < 0.3, indent=rng.choice([None, 2, 4]))
        docs.append(doc)
        used += len(doc.encode("utf-8"))
    return docs


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(here, "../../../shared/corpus"))
    ap.add_argument("--eval", default=os.path.join(here, "../../../shared/eval"))
    ap.add_argument("--work", default=os.path.join(here, "work"))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every byte budget")
    ap.add_argument("--tok-sample-mb", type=float, default=16.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    for name, fname, _ in CORPUS:
        path = os.path.join(args.corpus, fname)
        if not os.path.isfile(path):
            sys.exit(f"prepare_data: missing corpus file {path} (expected ../shared/corpus from the repo root)")
    if not os.path.isdir(args.eval):
        sys.exit(f"prepare_data: missing eval directory {args.eval} (needed to exclude held-out texts)")
    os.makedirs(args.work, exist_ok=True)
    rng = random.Random(args.seed)
    prints = eval_fingerprints(args.eval)
    mix, all_docs = {}, []

    def add(name, docs, source):
        kept = [d for d in docs if "\0" not in d and not leaks(d, prints)]
        mix[name] = {"source": source, "documents": len(kept), "bytes": sum(len(d.encode("utf-8")) for d in kept),
                     "dropped_for_eval_overlap": len(docs) - len(kept)}
        all_docs.extend(kept)
        print(f"prepare_data: {name}: {mix[name]['documents']} docs, {mix[name]['bytes'] / MB:.2f} MB", file=sys.stderr)

    sgd_text = None
    for name, fname, budget in CORPUS:
        with lzma.open(os.path.join(args.corpus, fname), "rt", encoding="utf-8") as f:
            text = f.read()
        if not text.strip():
            sys.exit(f"prepare_data: corpus file {fname} is empty or malformed")
        add(name, sample_blocks(text, budget * args.scale, rng), f"corpus/{fname}")
        if name in ("en-chat-sgd", "zh-chat-crosswoz"):
            add(name + "-as-json", dialogues_as_json(text, 0.5 * MB * args.scale, rng), f"corpus/{fname} as JSON")
        del text
    for name, package, patterns, budget in FILES:
        add(name, sample_files(patterns, budget * args.scale, rng), f"Debian: {package}")

    rng.shuffle(all_docs)
    n_val = max(1, len(all_docs) // 100)
    val, train = all_docs[:n_val], all_docs[n_val:]
    with open(os.path.join(args.work, "train.txt"), "w", encoding="utf-8") as f:
        f.write("\0".join(train))
    with open(os.path.join(args.work, "val.txt"), "w", encoding="utf-8") as f:
        f.write("\0".join(val))
    tok, size = [], 0
    for d in train:
        if size >= args.tok_sample_mb * MB:
            break
        tok.append(d)
        size += len(d.encode("utf-8"))
    with open(os.path.join(args.work, "tok_sample.txt"), "w", encoding="utf-8") as f:
        f.write("\0".join(tok))
    with open(os.path.join(args.work, "mix.json"), "w") as f:
        json.dump({"seed": args.seed, "scale": args.scale, "sources": mix,
                   "train_documents": len(train), "val_documents": len(val)}, f, indent=1)
    print(f"prepare_data: {len(train)} train docs, {len(val)} val docs", file=sys.stderr)


if __name__ == "__main__":
    main()
