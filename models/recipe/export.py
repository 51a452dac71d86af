#!/usr/bin/env python3
"""Exports a training checkpoint to the shipped ONNX model with a KV cache, int8 weights.

Graph I/O follows the Hugging Face Optimum / transformers.js decoder convention, so the loader can
also take other models exported that way:
  inputs   input_ids (1, T) int64, attention_mask (1, P+T) int64, position_ids (1, T) int64,
           past_key_values.{i}.key / .value (1, H, P, D) float32       (P = 0 for the first call)
  outputs  logits (1, T, V) float32, present.{i}.key / .value (1, H, P+T, D) float32
The batch size is fixed at 1 (kolmo codes one text at a time), which lets every reshape use
constant shapes: the single-step graph has far fewer nodes, and per-node overhead dominates a
step of a model this small.
One graph serves both uses: the multi-token pass (T tokens, P = 0) and the single step (T = 1).
Weights: every 2-D matrix is stored as int8 with one float32 scale per row (symmetric), restored
by Cast + Mul nodes; arithmetic stays float32. (Not DequantizeLinear: ONNX Runtime keeps DQ nodes
out of constant folding to look for quantized kernels, so every step would dequantize all weights
again; Cast + Mul on initializers is folded once when the session is created.) The tied embedding
stays one initializer (no constant folding at export, which would store a transposed copy). Writes <out>/model.onnx plus
<out>/reference.bin (inputs and PyTorch logits for check_onnx.mjs) and returns the dequantized
state dict that evaluation must use (the shipped model is the quantized one).
Architecture: a checkpoint whose config has any of model.py's km3 options (RMSNorm, ReLU^2,
QK-norm, untied head) gets ONNX metadata_props key "kolmo.arch", JSON
{"norm": "layer"|"rms", "activation": "gelu"|"relu2", "qk_norm": bool, "tied": bool}, which the
core engine reads; a km1/km2 checkpoint is exported exactly as before, without the key (absent
means km2's architecture). Norm epsilon is 1e-5 everywhere (model.NORM_EPS).
"""
import json
import argparse
import os
import struct
import sys

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import GPT, Config  # noqa: E402

ARCH_KEY = "kolmo.arch"  # ONNX metadata_props key with Config.arch() as JSON (absent: km2's architecture)


class OnnxWrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        n = self.model.cfg.n_layers
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(n)]
        logits, present = self.model(input_ids, position_ids, past, attention_mask)
        out = [logits]
        for k, v in present:
            out += [k, v]
        return tuple(out)


def quantize_rows(w):
    """Symmetric per-row int8: w ~= q * scale[row]."""
    w = np.asarray(w, dtype=np.float32)
    scale = np.abs(w).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def dequantized_state(model, min_numel=4096):
    """The state dict the ONNX file really holds: 2-D weights through quantize_rows."""
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    for k, v in sd.items():
        if v.dim() == 2 and v.numel() >= min_numel:
            q, s = quantize_rows(v.numpy())
            sd[k] = torch.from_numpy(q.astype(np.float32) * s[:, None])
    return sd


def quantize_onnx(model_proto, min_numel=4096):
    """Replaces every large 2-D float initializer by int8 + per-row scale, restored by Cast + Mul."""
    graph = model_proto.graph
    new_inits, new_nodes = [], []
    for init in list(graph.initializer):
        w = numpy_helper.to_array(init)
        if w.dtype != np.float32 or w.ndim != 2 or w.size < min_numel:
            new_inits.append(init)
            continue
        q, scale = quantize_rows(w)
        name = init.name
        new_inits += [numpy_helper.from_array(q, name + "_int8"),
                      numpy_helper.from_array(scale.reshape(-1, 1), name + "_scale")]
        new_nodes += [helper.make_node("Cast", [name + "_int8"], [name + "_float"], name=name + "_cast",
                                       to=onnx.TensorProto.FLOAT),
                      helper.make_node("Mul", [name + "_float", name + "_scale"], [name], name=name + "_scale_rows")]
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(new_nodes + nodes)
    return model_proto


def restore_deduplicated(model_proto):
    """Gives every parameter its own initializer again. torch.onnx.export keeps one initializer for
    parameters of equal values (e.g. the LayerNorm gains of a fresh model, or zero-initialised
    projections) and makes the others Identity nodes of it; ONNX Runtime follows the graph, but
    the core engine reads weights by name (docs/MODEL.md). Each such Identity node becomes an
    initializer of its own name with the same values: the same function, a few bytes more (a
    trained model rarely has any)."""
    graph = model_proto.graph
    inits = {i.name: i for i in graph.initializer}
    kept = []
    for node in graph.node:
        if node.op_type == "Identity" and len(node.input) == 1 and node.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            graph.initializer.append(copy)
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)


def state_from_onnx(path):
    """The model weights a shipped model.onnx holds (int8 rows dequantized), as a state dict with
    the training keys: later rounds continue training from the shipped model itself."""
    proto = onnx.load(path)
    arrays = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    state = {}
    for name, a in arrays.items():
        if not name.startswith("model."):
            continue
        if name.endswith("_int8"):
            base = name[: -len("_int8")]
            state[base[len("model."):]] = torch.from_numpy(a.astype(np.float32) * arrays[base + "_scale"])
        elif not name.endswith("_scale"):
            state[name[len("model."):]] = torch.from_numpy(a.copy())
    return state


def export(ckpt_path, out_dir, opset=17):
    ck = torch.load(ckpt_path)
    cfg = Config(**ck["config"])
    model = GPT(cfg)
    model.load_state_dict(ck["model"])
    model.load_state_dict(dequantized_state(model))  # export the values the int8 file will hold
    model.eval()
    for block in model.blocks:
        block.batch = 1  # kolmo runs batch 1: constant reshapes, far fewer nodes per step
    H, D = cfg.n_heads, cfg.d_model // cfg.n_heads
    wrapper = OnnxWrapper(model)
    P, T = 3, 5
    ids = torch.randint(0, cfg.vocab_size, (1, T))
    mask = torch.ones(1, P + T, dtype=torch.long)
    pos = torch.arange(P, P + T).unsqueeze(0)
    past = [torch.randn(1, H, P, D) * 0.1 for _ in range(2 * cfg.n_layers)]
    in_names = ["input_ids", "attention_mask", "position_ids"]
    out_names = ["logits"]
    dyn = {"input_ids": {1: "seq"}, "attention_mask": {1: "total"}, "position_ids": {1: "seq"}, "logits": {1: "seq"}}
    for i in range(cfg.n_layers):
        for kv in ("key", "value"):
            in_names.append(f"past_key_values.{i}.{kv}")
            out_names.append(f"present.{i}.{kv}")
            dyn[in_names[-1]] = {2: "past"}
            dyn[out_names[-1]] = {2: "total"}
    os.makedirs(out_dir, exist_ok=True)
    fp32_path = os.path.join(out_dir, "model_fp32.onnx")
    torch.onnx.export(wrapper, (ids, mask, pos, *past), fp32_path, input_names=in_names,
                      output_names=out_names, dynamic_axes=dyn, opset_version=opset, do_constant_folding=False)
    proto = onnx.load(fp32_path)
    restore_deduplicated(proto)  # before quantizing: the copies are quantized like the others
    proto = quantize_onnx(proto)
    proto.producer_name = "kolmo models/recipe/export.py"
    if not cfg.is_km2_arch():
        onnx.helper.set_model_props(proto, {ARCH_KEY: json.dumps(cfg.arch(), sort_keys=True)})
    onnx.checker.check_model(proto)
    onnx.save(proto, os.path.join(out_dir, "model.onnx"))
    os.remove(fp32_path)

    # Reference for check_onnx.mjs: a multi-token pass from an empty cache, then one step.
    g = torch.Generator().manual_seed(5)
    seq = torch.randint(0, cfg.vocab_size, (1, 40), generator=g)
    seq[0, 0] = cfg.vocab_size - 1  # EOT as BOS
    with torch.no_grad():
        full, _ = model(seq)
    with open(os.path.join(out_dir, "reference.bin"), "wb") as f:
        f.write(struct.pack("<IIIII", cfg.vocab_size, seq.shape[1], cfg.n_layers, H, D))
        f.write(seq.numpy().astype(np.int64).tobytes())
        f.write(full.numpy().astype(np.float32).tobytes())
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if not os.path.isfile(args.ckpt):
        sys.exit(f"export: no checkpoint at {args.ckpt}")
    cfg = export(args.ckpt, args.out)
    size = os.path.getsize(os.path.join(args.out, "model.onnx"))
    print(f"export: {args.out}/model.onnx {size:,} bytes, config {cfg.to_dict()}")


if __name__ == "__main__":
    main()
