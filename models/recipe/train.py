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
matrix; bf16 autocast is used on CUDA, and on the CPU only with --autocast bf16 (on the km2
machines, AVX2 only, bf16 GEMMs ran at 1 GFLOP/s against 65 in fp32; measure first, see
km3_ablations.md). Windows of context+1 tokens are drawn at random offsets from the
shard (documents are separated by EOT, which the model also sees as BOS). Run with Debian's
/usr/bin/python3 (python3-torch).

km3 recipe options (defaults = the km2 recipe, so km2.sh reproduces km2): --config FILE.json
(keys are this script's option names; options given on the command line win), architecture
(--norm, --activation, --qk-norm, --untied, --zero-init: see model.py), --optimizer muon (Muon
for the 2-D matrices inside the blocks, q/k/v orthogonalised apart, AdamW for the rest; muon.py),
--autocast bf16 (CPU bf16 autocast), and equal-compute runs for ablations: --cpu-budget-s stops
after that much process CPU time spent training (time.process_time(), which a SIGSTOP or a busy
machine does not advance), the decay phase of the schedule then spans the last --decay-frac of
that CPU budget, and --eval-every-cpu-s logs held-out bits/token on --val-windows fixed windows
against tokens and CPU seconds (evaluation time is not counted in the budget).
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
               OPENBLAS_NUM_THREADS=str(threads),
               LD_LIBRARY_PATH=OPENMP_BLAS + (":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else ""))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default=None, help="JSON file of option defaults (keys: option names)")
    ap.add_argument("--train")
    ap.add_argument("--val")
    ap.add_argument("--val-extra", default=None, help="a second held-out shard, logged as val_extra_bits")
    ap.add_argument("--out")
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
    ap.add_argument("--seed", type=int, default=1, help="data order; also the model's initialisation")
    # km3 recipe options; the defaults are the km2 recipe
    ap.add_argument("--norm", choices=("layer", "rms"), default="layer")
    ap.add_argument("--activation", choices=("gelu", "relu2"), default="gelu")
    ap.add_argument("--qk-norm", action="store_true")
    ap.add_argument("--untied", action="store_true", help="separate output head lm_head.weight")
    ap.add_argument("--zero-init", action="store_true", help="proj, fc2 (and an untied head) start at zero")
    ap.add_argument("--optimizer", choices=("adamw", "muon"), default="adamw")
    ap.add_argument("--weight-decay", type=float, default=0.1, help="AdamW's (on every parameter it holds)")
    ap.add_argument("--muon-lr", type=float, default=0.02, help="follows the schedule: x lr(t) / --lr")
    ap.add_argument("--muon-momentum", type=float, default=0.95)
    ap.add_argument("--muon-ns-steps", type=int, default=5)
    ap.add_argument("--autocast", choices=("none", "bf16"), default="none", help="CPU bf16 autocast (CUDA: always)")
    ap.add_argument("--cpu-budget-s", type=float, default=None,
                    help="stop after this much process CPU time spent training; the decay spans its last --decay-frac")
    ap.add_argument("--eval-every-cpu-s", type=float, default=None,
                    help="held-out eval every this much training CPU time")
    ap.add_argument("--val-windows", type=int, default=64, help="held-out windows per evaluation (same for every run)")
    ap.add_argument("--log", default=None, help="jsonl log (default <out>/train_log.jsonl)")
    ap.add_argument("--name", default=None, help="a label written into the log")
    known = {a.dest for a in ap._actions}
    pre, _ = ap.parse_known_args()
    if pre.config:
        with open(pre.config) as f:
            # "data" (the mix and its seed) and "replaces" (the card's baseline) are read by run.sh; "_..." keys are notes.
            conf = {k.replace("-", "_"): v for k, v in json.load(f).items() if not k.startswith("_") and k not in ("data", "replaces")}
        unknown = set(conf) - known
        if unknown:
            sys.exit(f"train: unknown keys in {pre.config}: {sorted(unknown)}")
        if conf.get("init") and not os.path.isabs(conf["init"]):  # a config's paths are relative to the config
            conf["init"] = os.path.join(os.path.dirname(os.path.abspath(pre.config)), conf["init"])
        ap.set_defaults(**conf)
    args = ap.parse_args()
    for req in ("train", "val", "out"):
        if not getattr(args, req):
            sys.exit(f"train: --{req} is required")
    return args


def main():
    args = parse_args()
    if args.device == "cpu":
        reexec_with_openmp_blas(args.threads)
    import numpy as np
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from model import GPT, Config
    from muon import Muon

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    for path in (args.train, args.val):
        if not os.path.isfile(path) or os.path.getsize(path) < 4 * (args.context + 1):
            sys.exit(f"train: missing or too small token shard {path}")
    train = np.memmap(args.train, dtype=np.uint16, mode="r")
    val = np.memmap(args.val, dtype=np.uint16, mode="r")
    val_extra = np.memmap(args.val_extra, dtype=np.uint16, mode="r") if args.val_extra else None
    if int(train.max()) >= args.vocab:
        sys.exit(f"train: shard has token id {int(train.max())} >= --vocab {args.vocab}")
    os.makedirs(args.out, exist_ok=True)
    cfg = Config(args.vocab, args.d_model, args.layers, args.heads, args.context, norm=args.norm,
                 activation=args.activation, qk_norm=args.qk_norm, tied=not args.untied, zero_init=args.zero_init)
    model = GPT(cfg).to(dev)
    # Muon: the 2-D matrices inside the blocks (qkv as three matrices); AdamW: everything else.
    hidden = [(n, p) for n, p in model.named_parameters() if n.startswith("blocks.") and p.dim() == 2]
    muon_ids = {id(p) for _, p in hidden} if args.optimizer == "muon" else set()
    opt = torch.optim.AdamW([p for p in model.parameters() if id(p) not in muon_ids], lr=args.lr, betas=(0.9, 0.95),
                            weight_decay=args.weight_decay)
    opt_muon = None
    if muon_ids:
        opt_muon = Muon([{"params": [p for n, p in hidden if n.endswith(".qkv.weight")], "parts": 3},
                         {"params": [p for n, p in hidden if not n.endswith(".qkv.weight")], "parts": 1}],
                        lr=args.muon_lr, momentum=args.muon_momentum, ns_steps=args.muon_ns_steps,
                        ns_dtype=torch.bfloat16 if args.autocast == "bf16" or dev.type == "cuda" else torch.float32)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    step, tokens_seen, elapsed, warm_from, cpu_s = 0, 0, 0.0, 0, 0.0
    gen = torch.Generator().manual_seed(args.seed)
    if os.path.isfile(ckpt_path):
        ck = torch.load(ckpt_path, map_location=dev)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        if opt_muon is not None:
            opt_muon.load_state_dict(ck["opt_muon"])
        step, tokens_seen, elapsed = ck["step"], ck["tokens_seen"], ck["elapsed"]
        cpu_s = ck.get("cpu_s", 0.0)
        warm_from = ck.get("warm_from", 0)
        gen.set_state(ck["rng"])
        print(f"train: resumed at step {step} ({tokens_seen:,} tokens)", flush=True)
    elif args.compact and os.path.isfile(args.compact):
        ck = torch.load(args.compact)
        if Config(**ck["config"]).to_dict() != cfg.to_dict():
            sys.exit(f"train: {args.compact} has config {ck['config']}, not {cfg.to_dict()}")
        model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
        step, tokens_seen, elapsed = ck["step"], ck["tokens_seen"], ck["elapsed"]
        cpu_s = ck.get("cpu_s", 0.0)
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
          f"blas {os.environ.get('KOLMO_TRAIN_BLAS', 'default')}, {args.threads} threads, {args.device}, "
          f"arch {cfg.arch()}, zero_init {cfg.zero_init}, optimizer {args.optimizer}, autocast {args.autocast}",
          flush=True)

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
        if args.cpu_budget_s:  # equal-compute runs: the decay spans the last part of the CPU budget
            t = (cpu_s / args.cpu_budget_s - (1.0 - args.decay_frac)) / max(args.decay_frac, 1e-9)
            if t > 0:
                base = args.lr + (args.min_lr - args.lr) * min(1.0, t)
        elif tokens > decay_start:
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
        if args.autocast == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits, _ = model(x)
            return CrossEntropy.apply(logits.float().reshape(-1, cfg.vocab_size), y.reshape(-1))
        logits, _ = model(x)
        return CrossEntropy.apply(logits.reshape(-1, cfg.vocab_size), y.reshape(-1))

    @torch.no_grad()
    def val_loss(shard=None):
        # The training path (train mode: same function, faster ops); there is no dropout. The same
        # windows every time and for every run: generator seed 1234, batches of 8 (64 for km2).
        g = torch.Generator().manual_seed(1234)
        shard = val if shard is None else shard
        losses = [forward_loss(*batch(shard, 8, g)).item() for _ in range(max(1, args.val_windows // 8))]
        return sum(losses) / len(losses) / math.log(2)

    def save():
        state = {"step": step, "tokens_seen": tokens_seen, "elapsed": elapsed, "rng": gen.get_state(),
                 "config": cfg.to_dict(), "cpu_s": cpu_s}
        tmp = ckpt_path + ".tmp"
        full = dict(state, model=model.state_dict(), opt=opt.state_dict(), warm_from=warm_from)
        if opt_muon is not None:
            full["opt_muon"] = opt_muon.state_dict()
        torch.save(full, tmp)
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
    log = open(args.log or os.path.join(args.out, "train_log.jsonl"), "a")
    next_eval = None  # equal-compute runs: held-out evaluation by training CPU time, not by steps
    if args.eval_every_cpu_s:
        next_eval = (math.floor(cpu_s / args.eval_every_cpu_s) + 1) * args.eval_every_cpu_s
        if step == 0:
            log.write(json.dumps({"name": args.name, "step": 0, "tokens": 0, "cpu_s": 0.0, "val_bits": val_loss(),
                                  "arch": cfg.arch(), "zero_init": cfg.zero_init, "optimizer": args.optimizer,
                                  "autocast": args.autocast, "params": model.num_params(),
                                  "config": cfg.to_dict()}) + "\n")
            log.flush()
    train_bits_sum, train_bits_n = 0.0, 0

    def budget_left():
        return args.cpu_budget_s is None or cpu_s < args.cpu_budget_s

    while (tokens_seen < args.total_tokens and time.time() - session_start < args.minutes * 60.0
           and budget_left()):
        c0 = time.process_time()
        lr = lr_at(step, tokens_seen)
        for group in opt.param_groups:
            group["lr"] = lr
        if opt_muon is not None:
            for group in opt_muon.param_groups:
                group["lr"] = args.muon_lr * lr / args.lr
        x, y = batch(train, args.batch, gen)
        loss = forward_loss(x, y)
        opt.zero_grad(set_to_none=True)
        if opt_muon is not None:
            opt_muon.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if opt_muon is not None:
            opt_muon.step()
        step += 1
        tokens_seen += x.numel()
        cpu_s += time.process_time() - c0
        now = time.time()
        elapsed += now - t0
        t0 = now
        train_bits_sum += loss.item() / math.log(2)
        train_bits_n += 1
        if next_eval is not None:
            if cpu_s >= next_eval or not budget_left():
                e0 = time.process_time()
                rec = {"name": args.name, "step": step, "tokens": tokens_seen, "cpu_s": round(cpu_s, 1),
                       "wall_s": round(elapsed, 1), "val_bits": val_loss(),
                       "train_bits": train_bits_sum / train_bits_n, "lr": lr,
                       "tok_per_cpu_s": round(tokens_seen / max(cpu_s, 1e-9), 1)}
                rec["eval_cpu_s"] = round(time.process_time() - e0, 1)
                train_bits_sum, train_bits_n = 0.0, 0
                while next_eval <= cpu_s:
                    next_eval += args.eval_every_cpu_s
                log.write(json.dumps(rec) + "\n")
                log.flush()
                print(json.dumps(rec), flush=True)
                save()  # a killed run resumes from its last evaluation (ablate.sh run NAME again)
                t0 = time.time()
            continue
        if step % 20 == 0:
            rec = {"step": step, "tokens": tokens_seen, "loss_bits": loss.item() / math.log(2), "lr": lr,
                   "elapsed_s": round(elapsed, 1), "session_tok_per_s": round(
                       (tokens_seen - session_tokens0) / max(now - session_start, 1e-9))}
            if step % args.ckpt_every == 0:
                rec["val_bits"] = val_loss()
                if val_extra is not None:
                    rec["val_extra_bits"] = val_loss(val_extra)
                save()
                t0 = time.time()  # validation and saving are not training time
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)
    if next_eval is None:
        rec = {"step": step, "tokens": tokens_seen, "val_bits": val_loss(), "elapsed_s": round(elapsed, 1),
               "end": True}
        log.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)
    else:
        log.write(json.dumps({"name": args.name, "end": True, "step": step, "tokens": tokens_seen,
                              "cpu_s": round(cpu_s, 1), "wall_s": round(elapsed, 1)}) + "\n")
    log.close()
    save()
    if not budget_left():
        print("train: CPU budget spent", flush=True)
    else:
        print("train: done" if tokens_seen >= args.total_tokens else "train: session time is up; rerun to continue",
              flush=True)


if __name__ == "__main__":
    main()
