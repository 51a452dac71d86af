#!/usr/bin/env python3
"""The core engine's speed for each model shape of the km3 ablations (issue 22 asks for it beside
the loss, so that a shape is chosen on bits and time per byte together).

For every models/recipe/configs/*.json: a model of that shape and architecture with random
weights, exported by models/recipe/export.py exactly as a shipped model is (int8 rows), then
bench/engine_step_speed.mjs times it on the WASM engine (one thread): single steps over a whole
window and the window re-read. Prints one table; the timing is the engine's, not the weights'.

  /usr/bin/python3 bench/engine_shapes.py      (needs python3-torch, python3-onnx, a built WASM module)
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import torch

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(root, "models", "recipe"))
from export import export  # noqa: E402
from model import GPT, Config  # noqa: E402

rows = []
with tempfile.TemporaryDirectory() as work:
    for path in sorted(glob.glob(os.path.join(root, "models", "recipe", "configs", "*.json"))):
        name = os.path.basename(path)[:-5]
        c = json.load(open(path))
        cfg = Config(c["vocab"], c["d_model"], c["layers"], c["heads"], c["context"], norm=c["norm"],
                     activation=c["activation"], qk_norm=c["qk_norm"], tied=not c["untied"])
        torch.manual_seed(1)
        model = GPT(cfg)
        ckpt = os.path.join(work, name + ".pt")
        torch.save({"config": cfg.to_dict(), "model": model.state_dict()}, ckpt)
        out = os.path.join(work, name)
        export(ckpt, out)
        timing = json.loads(subprocess.check_output(  # noqa: E501
            ["node", os.path.join(root, "bench", "engine_step_speed.mjs"), os.path.join(out, "model.onnx"),
             str(cfg.n_heads), str(cfg.context)], cwd=root))
        params = sum(p.numel() for p in model.parameters())
        rows.append((name, f"{cfg.n_layers} x {cfg.d_model}", params, os.path.getsize(os.path.join(out, "model.onnx")), timing))

print("| config | shape | parameters | model.onnx bytes | ms per step (window mean) | ms per re-read token | decode tokens/s, short link | long text (step + re-read) |")
print("|---|---|---|---|---|---|---|---|")
for name, shape, params, size, t in rows:
    print(f"| {name} | {shape} | {params:,} | {size:,} | {t['stepMs']:.3f} | {t['rereadMs']:.3f} | "
          f"{1000 / t['stepMs']:,.0f} | {1000 / (t['stepMs'] + t['rereadMs']):,.0f} |")
