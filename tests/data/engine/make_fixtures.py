#!/usr/bin/env python3
"""Writes the model engine's architecture fixtures (tests/transformer_test.cpp reads them):
tiny models of kolmo's family with random weights, exported by models/recipe/export.py exactly as
a shipped model is (int8 rows, kolmo.arch metadata), each with PyTorch's logits for a 40-token
sequence (reference.bin: <IIIII vocab, T, layers, heads, head_dim>, T int64 ids, T x vocab
float32 logits of the dequantized weights, as export.py writes it).

  km2-arch/   LayerNorm, GELU, tied head (km1/km2's architecture)
  km3-arch/   RMSNorm, ReLU^2, QK-norm, untied head (every option the engine knows)

Needs python3-torch and python3-onnx: /usr/bin/python3 tests/data/engine/make_fixtures.py
"""
import os
import shutil
import sys
import tempfile

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "models", "recipe"))
from export import export  # noqa: E402
from model import GPT, Config  # noqa: E402

SHAPE = dict(vocab_size=512, d_model=64, n_layers=2, n_heads=2, context=64, mlp_mult=4)
VARIANTS = {
    "km2-arch": {},
    "km3-arch": dict(norm="rms", activation="relu2", qk_norm=True, tied=False),
}

for name, options in VARIANTS.items():
    torch.manual_seed(7)
    cfg = Config(**SHAPE, **options)
    model = GPT(cfg)
    with torch.no_grad():  # weights far from init, so that every part of the function matters
        for pname, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0, 0.25)
            elif pname.endswith("weight"):
                p.copy_(1 + 0.3 * torch.randn_like(p))
            else:
                p.normal_(0, 0.2)
    work = tempfile.mkdtemp()
    ckpt = os.path.join(work, "ckpt.pt")
    torch.save({"config": cfg.to_dict(), "model": model.state_dict()}, ckpt)
    out = os.path.join(here, name)
    os.makedirs(out, exist_ok=True)
    export(ckpt, out)
    shutil.rmtree(work)
    print(f"{out}: model.onnx {os.path.getsize(os.path.join(out, 'model.onnx'))} bytes, reference.bin")
