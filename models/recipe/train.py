#!/usr/bin/env python3
"""Trains the kolmo model on token shards made by `kolmo_bpe encode` (uint16, EOT-separated).

A run is planned over a total token budget (--total-tokens) and may take several sessions:
the learning rate follows warmup -> constant -> linear decay over the last --decay-frac of the
budget (warmup-stable-decay), a function of tokens seen, so a run that stops and resumes
follows the same schedule as one that never stopped. --minutes bounds one session's wall clock.

Checkpoints, written atomically every --ckpt-every steps and at the end:
  <out>/ckpt.pt   full state (fp32 model, AdamW moments, counters, RNG): rerunning the same
                  command on the same machine continues exactly.
  --compact P     fp16 weights + counters + RNG (~10 MB), the one checkpoint the repository
                  keeps between sessions. When <out>/ckpt.pt is absent and P exists, training
                  resumes from P with a fresh AdamW state, re-warmed over --rewarm-steps.
--init takes weights from a shipped model.onnx (int8 rows dequantized) or a .pt with ["model"]
to start a new run.

Speed on a 2-core CPU (see the km2 card): Debian's OpenBLAS pthread build oversubscribes the
cores inside PyTorch's OpenMP regions (attention's bmm ran at 3 GFLOP/s), so this script
re-executes itself against the OpenMP build of OpenBLAS when libopenblas0-openmp is installed;
the training forward (GPT.forward in train mode) uses slicing RoPE and one baddbmm per score
matrix; bf16 autocast is used on CUDA only (on these CPUs without AVX-512 bf16 GEMMs ran at
1 GFLOP/s against 65 in fp32). Windows of context+1 tokens are drawn at random offsets from the
shard (documents are separated by EOT, which the model also sees as BOS). Run with Debian's
/usr/bin/python3 (python3-torch).
"""
import argparse
import json
import math
import os
import sys
import time

OPENMP_BLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


def reexec_with_openmp_blas(threads):
    if os.environ.get("KOLMO_TRAIN_BLAS") or not os.path.isdir(OPENMP_BLAS):
        return
    env = dict(os.environ, KOLMO_TRAIN_BLAS="openblas-openmp", OMP_NUM_THREADS=str(threads),
               LD_LIBRARY_PATH=OPENMP_BLAS + (":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else ""))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--total-tokens", type=float, default=48e6, help="the run's token budget (the LR schedule spans it)")
    ap.add_argument("--extend-tokens", type=float, default=None,
                    help="instead of --total-tokens: the tokens seen at the start of this session plus this many")
    ap.add_argument("--decay-frac", type=float, default=0.2, help="last fraction of the budget with linear LR decay")
    ap.add_argument("--minutes", type=float, default=1e9, help="this session's wall-clock limit")
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--min-lr", type=float, default=6e-5)
    ap.add_argument("--warmup", type=int, default=100, help="steps of linear warmup at the start of a run")
    ap.add_argument("--rewarm-steps", type=int, default=30, help="warmup after resuming without optimizer state")
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (bf16 autocast)")
    ap.add_argument("--compact", default=None, help="fp16 weights checkpoint to write (and to resume from)")
    ap.add_argument("--init", default=None,
                    help="weights to start a new run from: a .pt with ['model'] or a shipped model.onnx")
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args()


def main():
    args = parse_args()
    if args.device == "cpu":
        reexec_with_openmp_blas(args.threads)
    import numpy as np
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from model import GPT, Config

    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    for path in (args.train, args.val):
        if not os.path.isfile(path) or os.path.getsize(path) < 4 * (args.context + 1):
            sys.exit(f"train: missing or too small token shard {path}")
    train = np.memmap(args.train, dtype=np.uint16, mode="r")
    val = np.memmap(args.val, dtype=np.uint16, mode="r")
    if int(train.max()) >= args.vocab:
        sys.exit(f"train: shard has token id {int(train.max())} >= --vocab {args.vocab}")
    os.makedirs(args.out, exist_ok=True)
    cfg = Config(args.vocab, args.d_model, args.layers, args.heads, args.context)
    model = GPT(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    step, tokens_seen, elapsed, warm_from = 0, 0, 0.0, 0
    gen = torch.Generator().manual_seed(args.seed)
    if os.path.isfile(ckpt_path):
        ck = torch.load(ckpt_path, map_location=dev)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, tokens_seen, elapsed = ck["step"], ck["tokens_seen"], ck["elapsed"]
        warm_from = ck.get("warm_from", 0)
        gen.set_state(ck["rng"])
        print(f"train: resumed at step {step} ({tokens_seen:,} tokens)", flush=True)
    elif args.compact and os.path.isfile(args.compact):
        ck = torch.load(args.compact)
        if Config(**ck["config"]).to_dict() != cfg.to_dict():
            sys.exit(f"train: {args.compact} has config {ck['config']}, not {cfg.to_dict()}")
        model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
        step, tokens_seen, elapsed = ck["step"], ck["tokens_seen"], ck["elapsed"]
        gen.set_state(ck["rng"])
        warm_from = step  # fresh AdamW moments: re-warm
        print(f"train: resumed from compact {args.compact} at step {step} ({tokens_seen:,} tokens), fresh optimizer",
              flush=True)
    elif args.init and args.init.endswith(".onnx"):
        from export import state_from_onnx
        model.load_state_dict(state_from_onnx(args.init))
        print(f"train: initialised from {args.init}", flush=True)
    elif args.init:
        model.load_state_dict({k: v.float() for k, v in torch.load(args.init)["model"].items()})
        print(f"train: initialised from {args.init}", flush=True)
    print(f"train: {model.num_params():,} parameters, {len(train):,} train tokens, "
          f"blas {os.environ.get('KOLMO_TRAIN_BLAS', 'default')}, {args.threads} threads, {args.device}", flush=True)

    def batch(data, n, g):
        ix = torch.randint(0, len(data) - args.context - 1, (n,), generator=g)
        x = torch.from_numpy(np.stack([data[i:i + args.context + 1] for i in ix.tolist()]).astype(np.int64))
        x = x.to(dev, non_blocking=True)
        return x[:, :-1], x[:, 1:]

    if args.extend_tokens is not None:
        args.total_tokens = tokens_seen + args.extend_tokens
    decay_start = (1.0 - args.decay_frac) * args.total_tokens

    def lr_at(s, tokens):
        warm = args.warmup if warm_from == 0 else args.rewarm_steps
        since = s - warm_from
        base = args.lr
        if tokens > decay_start:
            t = min(1.0, (tokens - decay_start) / max(1.0, args.total_tokens - decay_start))
            base = args.lr + (args.min_lr - args.lr) * t
        return base * min(1.0, (since + 1) / warm) if since < warm else base

    class CrossEntropy(torch.autograd.Function):
        """F.cross_entropy (mean) in fewer passes over the (tokens x 8192) logits: logsumexp
        forward, and a backward that turns the saved logits into softmax - onehot in place
        (nothing else needs them). 30% less time than log_softmax + nll on the CPU."""

        @staticmethod
        def forward(ctx, logits, y):
            lse = torch.logsumexp(logits, dim=1)
            ctx.save_for_backward(logits, lse, y)
            return (lse - logits.gather(1, y.unsqueeze(1)).squeeze(1)).mean()

        @staticmethod
        def backward(ctx, grad):
            logits, lse, y = ctx.saved_tensors
            p = logits.sub_(lse.unsqueeze(1)).exp_()
            p[torch.arange(len(y), device=p.device), y] -= 1.0
            return p.mul_(grad / len(y)), None

    def forward_loss(x, y):
        if dev.type == "cuda":
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits, _ = model(x)
            return F.cross_entropy(logits.float().reshape(-1, cfg.vocab_size), y.reshape(-1))
        logits, _ = model(x)
        return CrossEntropy.apply(logits.reshape(-1, cfg.vocab_size), y.reshape(-1))

    @torch.no_grad()
    def val_loss():
        # The training path (train mode: same function, faster ops); there is no dropout.
        g = torch.Generator().manual_seed(1234)
        losses = [forward_loss(*batch(val, 8, g)).item() for _ in range(8)]
        return sum(losses) / len(losses) / math.log(2)

    def save():
        state = {"step": step, "tokens_seen": tokens_seen, "elapsed": elapsed, "rng": gen.get_state(),
                 "config": cfg.to_dict()}
        tmp = ckpt_path + ".tmp"
        torch.save(dict(state, model=model.state_dict(), opt=opt.state_dict(), warm_from=warm_from), tmp)
        os.replace(tmp, ckpt_path)
        if args.compact:
            tmp = args.compact + ".tmp"
            torch.save(dict(state, model={k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()}),
                       tmp)
            os.replace(tmp, args.compact)

    model.train()
    session_start = time.time()
    session_tokens0 = tokens_seen
    t0 = time.time()
    log = open(os.path.join(args.out, "train_log.jsonl"), "a")
    while tokens_seen < args.total_tokens and time.time() - session_start < args.minutes * 60.0:
        lr = lr_at(step, tokens_seen)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = batch(train, args.batch, gen)
        loss = forward_loss(x, y)
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
            rec = {"step": step, "tokens": tokens_seen, "loss_bits": loss.item() / math.log(2), "lr": lr,
                   "elapsed_s": round(elapsed, 1), "session_tok_per_s": round(
                       (tokens_seen - session_tokens0) / max(now - session_start, 1e-9))}
            if step % args.ckpt_every == 0:
                rec["val_bits"] = val_loss()
                save()
                t0 = time.time()  # validation and saving are not training time
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)
    rec = {"step": step, "tokens": tokens_seen, "val_bits": val_loss(), "elapsed_s": round(elapsed, 1), "end": True}
    log.write(json.dumps(rec) + "\n")
    save()
    print(json.dumps(rec), flush=True)
    print("train: done" if tokens_seen >= args.total_tokens else "train: session time is up; rerun to continue",
          flush=True)


if __name__ == "__main__":
    main()
