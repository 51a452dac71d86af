#!/usr/bin/env python3
"""Writes a Hugging Face tokenizer.json equivalent to a kolmo tokenizer.kbpe (for valid UTF-8).

Byte-level BPE as GPT-2 spells it: each byte maps to a printable character (bytes_to_unicode),
tokens and merges are strings of those characters. The pretokenizer rule of src/pretokenizer.h
becomes one Split regex (behavior Isolated) followed by ByteLevel without its own regex.
"""
import json
import sys

LETTER = r"A-Za-z\x{C0}-\x{1FFF}"
CJK = r"\x{2E80}-\x{2FFF}\x{3040}-\x{9FFF}\x{AC00}-\x{D7AF}\x{F900}-\x{FAFF}\x{20000}-\x{2FFFF}"
SPACE = r" \t\n\r\x{0B}\x{0C}"
PRETOKENIZER_REGEX = "|".join([
    r"'(?:[sdmt]|ll|ve|re)",
    rf" ?[{LETTER}]+",
    r" ?[0-9]{1,3}",
    rf" ?[{CJK}]+",
    rf" ?[^{LETTER}0-9{CJK}{SPACE}]+[\r\n]*",
    rf"[{SPACE}]*[\r\n]",
    rf"[ \t\x{{0B}}\x{{0C}}]+(?![^{SPACE}])",
    rf"[{SPACE}]+",
])


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def read_kbpe(path):
    lines = open(path, "rb").read().decode("ascii").split("\n")
    if lines[0] != "kolmo-bpe 1":
        sys.exit(f"export_hf_tokenizer: {path} is not a kolmo-bpe 1 file")
    vocab = int(lines[1].split()[1])
    n = int(lines[2].split()[1])
    merges = [tuple(map(int, l.split())) for l in lines[3:3 + n]]
    return vocab, merges


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: export_hf_tokenizer.py tokenizer.kbpe tokenizer.json")
    vocab_size, merges = read_kbpe(sys.argv[1])
    b2u = bytes_to_unicode()
    token_bytes = [bytes([b]) for b in range(256)]
    for left, right in merges:
        token_bytes.append(token_bytes[left] + token_bytes[right])
    to_str = lambda bs: "".join(b2u[b] for b in bs)  # noqa: E731
    vocab = {to_str(bs): i for i, bs in enumerate(token_bytes)}
    eot = vocab_size - 1
    vocab["<|endoftext|>"] = eot
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": eot, "content": "<|endoftext|>", "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": PRETOKENIZER_REGEX}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [f"{to_str(token_bytes[l])} {to_str(token_bytes[r])}" for l, r in merges]},
    }
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
