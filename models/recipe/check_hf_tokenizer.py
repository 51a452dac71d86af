#!/usr/bin/env python3
"""Checks that tokenizer.json (Hugging Face form) tokenizes like kolmo's C++ runtime.

Implements what the Hugging Face `tokenizers` library does with this file — the Split regex
(Oniguruma syntax, run here with the `regex` module of pip/pyenv Python, not Debian's), GPT-2 byte-to-unicode mapping, and BPE by merge rank — and compares ids with
`kolmo_bpe encode` on every file given. Exit status 1 on the first difference.
  python3 models/recipe/check_hf_tokenizer.py models/<id>/tokenizer.json TOOL TOKENIZER.kbpe FILE...
"""
import json
import os
import subprocess
import sys
import tempfile

import array
import regex


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    spec = json.load(open(sys.argv[1], encoding="utf-8"))
    tool, kbpe, files = sys.argv[2], sys.argv[3], sys.argv[4:]
    # Oniguruma's \x{HHHH} is \UHHHHHHHH for Python's regex module; nothing else differs.
    onig = spec["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"]
    pattern = regex.compile(regex.sub(r"\\x\{([0-9A-Fa-f]+)\}", lambda m: "\\U%08X" % int(m.group(1), 16), onig))
    vocab = spec["model"]["vocab"]
    ranks = {tuple(m.split(" ")): r for r, m in enumerate(spec["model"]["merges"])}
    from export_hf_tokenizer import bytes_to_unicode
    b2u = bytes_to_unicode()

    def bpe(piece):
        syms = [b2u[b] for b in piece.encode("utf-8")]
        while len(syms) > 1:
            best = min(range(len(syms) - 1), key=lambda i: (ranks.get((syms[i], syms[i + 1]), 1 << 30), i))
            if (syms[best], syms[best + 1]) not in ranks:
                break
            syms[best:best + 2] = [syms[best] + syms[best + 1]]
        return [vocab[s] for s in syms]

    checked = 0
    for path in files:
        text = open(path, encoding="utf-8").read()
        pieces = pattern.findall(text)
        if "".join(pieces) != text:
            sys.exit(f"{path}: the Split regex does not cover the whole text")
        hf = [i for p in pieces for i in bpe(p)]
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "ids.u16")
            subprocess.run([tool, "encode", "--tokenizer", kbpe, "--out", out, path], check=True,
                           stderr=subprocess.DEVNULL)
            ids = array.array("H")
            ids.frombytes(open(out, "rb").read())
            ours = ids.tolist()[1:]  # drop the leading EOT
        if hf != ours:
            first = next(i for i, (a, b) in enumerate(zip(hf + [-1], ours + [-1])) if a != b)
            sys.exit(f"{path}: tokens differ at {first}: tokenizer.json {hf[first:first + 5]} vs kolmo {ours[first:first + 5]}")
        checked += 1
    print(f"check_hf_tokenizer: {checked} files tokenize identically")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
