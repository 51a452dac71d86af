#!/usr/bin/env python3
"""Writes tests/fuzz/corpus/onnx_reader/tiny.onnx: a tiny model of kolmo's family (vocabulary 32,
width 16, one block, one head, MLP 32; int8 rows + scales as export.py stores them), the seed of
the weight reader's fuzz target. Only initializers: the engine reads nothing else.
Needs python3-onnx: /usr/bin/python3 tests/fuzz/make_tiny_onnx.py"""
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

rng = np.random.default_rng(1)
V, D, F = 32, 16, 32
inits = []


def matrix(name, rows, cols):
    q = rng.integers(-127, 128, size=(rows, cols), dtype=np.int8)
    inits.append(numpy_helper.from_array(q, f"model.{name}_int8"))
    inits.append(numpy_helper.from_array((rng.random((rows, 1)) * 0.02).astype(np.float32), f"model.{name}_scale"))


def vector(name, n, value=None):
    v = np.full(n, value, np.float32) if value is not None else (rng.standard_normal(n) * 0.1).astype(np.float32)
    inits.append(numpy_helper.from_array(v, f"model.{name}"))


matrix("wte.weight", V, D)
vector("blocks.0.ln1.weight", D, 1.0)
vector("blocks.0.ln1.bias", D)
matrix("blocks.0.qkv.weight", 3 * D, D)
vector("blocks.0.qkv.bias", 3 * D)
matrix("blocks.0.proj.weight", D, D)
vector("blocks.0.proj.bias", D)
vector("blocks.0.ln2.weight", D, 1.0)
vector("blocks.0.ln2.bias", D)
matrix("blocks.0.fc1.weight", F, D)
vector("blocks.0.fc1.bias", F)
matrix("blocks.0.fc2.weight", D, F)
vector("blocks.0.fc2.bias", D)
vector("ln_f.weight", D, 1.0)
vector("ln_f.bias", D)
graph = helper.make_graph([], "tiny", [], [], initializer=inits)
model = helper.make_model(graph, producer_name="kolmo tests/fuzz/make_tiny_onnx.py")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "onnx_reader", "tiny.onnx")
onnx.save(model, out)
print(f"{out}: {os.path.getsize(out)} bytes")
