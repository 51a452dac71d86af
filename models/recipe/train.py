#!/usr/bin/env python3
"""Trains the kolmo model on token shards made by `kolmo_bpe encode` (uint16, EOT-separated).

Checkpointed and resumable: every --ckpt-every steps it writes <out>/ckpt.pt (model, optimiser,
step, data position, RNG) atomically; rerunning the same command continues from it. --init takes
weights from a shipped model's checkpoint to continue training in a later round. Windows of
context+1 tokens are drawn at random offsets from the shard (documents are separated by EOT, which
the model also sees as BOS). Run with Debian's /usr/bin/python3 (python3-torch + OpenBLAS).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import GPT, Config  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=100.0,
                    help="training wall-clock budget; the LR schedule anneals over it, so any machine finishes on time")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", default=None,
                    help="weights to start from: a checkpoint (.pt) or a shipped model.onnx (int8 rows dequantized)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    for path in (args.train, args.val):
        if not os.path.isfile(path) or os.path.getsize(path) < 4 * (args.context + 1):
            sys.exit(f"train: missing or too small token shard {path}")
    train = np.memmap(args.train, dtype=np.uint16, mode="r")
    val = np.memmap(args.val, dtype=np.uint16, mode="r")
    if int(train.max()) >= args.vocab:
        sys.exit(f"train: shard has token id {int(train.max())} >= --vocab {args.vocab}")
    os.makedirs(args.out, exist_ok=True)
    cfg = Config(args.vocab, args.d_model, args.layers, args.heads, args.context)
    model = GPT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    step, tokens_seen, elapsed = 0, 0, 0.0
    gen = torch.Generator().manual_seed(args.seed)
    if os.path.isfile(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, tokens_seen, elapsed = ck["step"], ck["tokens_seen"], ck["elapsed"]
        gen.set_state(ck["rng"])
        print(f"train: resumed at step {step}", flush=True)
    elif args.init and args.init.endswith(".onnx"):
        from export import state_from_onnx
        model.load_state_dict(state_from_onnx(args.init))
        print(f"train: initialised from {args.init}", flush=True)
    elif args.init:
        model.load_state_dict(torch.load(args.init)["model"])
        print(f"train: initialised from {args.init}", flush=True)
    print(f"train: {model.num_params():,} parameters, {len(train):,} train tokens", flush=True)

    def batch(data, n, g):
        ix = torch.randint(0, len(data) - args.context - 1, (n,), generator=g)
        x = torch.stack([torch.from_numpy(data[i:i + args.context + 1].astype(np.int64)) for i in ix.tolist()])
        return x[:, :-1], x[:, 1:]

    budget_s = args.minutes * 60.0

    def lr_at(s):
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        t = min(1.0, elapsed / budget_s)
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * t))

    @torch.no_grad()
    def val_loss():
        model.eval()
        g = torch.Generator().manual_seed(1234)
        losses = []
        for _ in range(8):
            x, y = batch(val, 8, g)
            logits, _ = model(x)
            losses.append(F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1)).item())
        model.train()
        return sum(losses) / len(losses) / math.log(2)

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "tokens_seen": tokens_seen, "elapsed": elapsed, "rng": gen.get_state(),
                    "config": cfg.to_dict()}, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    t0 = time.time()
    log = open(os.path.join(args.out, "train_log.jsonl"), "a")
    while elapsed < budget_s:
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        x, y = batch(train, args.batch, gen)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens_seen += x.numel()
        now = time.time()
        elapsed += now - t0
        t0 = now
        if step % 20 == 0:
            rec = {"step": step, "tokens": tokens_seen, "loss_bits": loss.item() / math.log(2),
                   "lr": lr_at(step), "elapsed_s": round(elapsed, 1), "tok_per_s": round(tokens_seen / max(elapsed, 1e-9))}
            if step % args.ckpt_every == 0 or elapsed >= budget_s:
                rec["val_bits"] = val_loss()
                save()
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)
    save()
    print("train: done", flush=True)


if __name__ == "__main__":
    main()
