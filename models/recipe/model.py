"""The kolmo language model: a small decoder-only transformer (GPT) for byte-level BPE tokens.

Pre-norm blocks, multi-head causal self-attention with rotary position embeddings (RoPE), an MLP,
tied input/output embeddings. forward() takes an optional KV cache so that the same module
exports to the ONNX graph the browser runs (see export.py): positions are relative to the start
of the context window (kolmo's context-window rule restarts windows; see src/session.h).

km1/km2 architecture (Config defaults): LayerNorm, GELU, no QK-norm, tied embeddings. Options
(km3 ablations, see km3_ablations.md), each off by default so km1/km2 checkpoints load unchanged:
  norm="rms"        RMSNorm (weight only, eps 1e-5) instead of LayerNorm in ln1, ln2, ln_f
  activation="relu2" relu(x)^2 instead of GELU (F.gelu, the exact erf form)
  qk_norm=True      RMSNorm over head_dim (eps 1e-5) on q and k after the projection, before RoPE,
                    with a learned gain per head_dim shared by the heads: blocks.{i}.q_norm.weight,
                    blocks.{i}.k_norm.weight, shape (head_dim,)
  tied=False        a separate output head lm_head.weight, shape (vocab, d_model), no bias
  zero_init=True    proj, fc2 (and lm_head when untied) start at zero (an init choice only)
Parameter names of the km2 modules are unchanged. Config.arch() is what export.py writes into
the ONNX metadata key kolmo.arch.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


NORM_EPS = 1e-5  # LayerNorm's default; RMSNorm and QK-norm use the same


class Config:
    def __init__(self, vocab_size=8192, d_model=256, n_layers=4, n_heads=4, context=256, mlp_mult=4,
                 norm="layer", activation="gelu", qk_norm=False, tied=True, zero_init=False):
        if norm not in ("layer", "rms"):
            raise ValueError(f"norm must be layer or rms, not {norm}")
        if activation not in ("gelu", "relu2"):
            raise ValueError(f"activation must be gelu or relu2, not {activation}")
        if d_model % n_heads or (d_model // n_heads) % 2:
            raise ValueError(f"d_model {d_model} / n_heads {n_heads} must be an even head size")
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.context = context
        self.mlp_mult = mlp_mult
        self.norm = norm
        self.activation = activation
        self.qk_norm = bool(qk_norm)
        self.tied = bool(tied)
        self.zero_init = bool(zero_init)

    def to_dict(self):
        return dict(self.__dict__)

    def arch(self):
        """The architecture options an inference engine needs (export.py: ONNX metadata kolmo.arch)."""
        return {"norm": self.norm, "activation": self.activation, "qk_norm": self.qk_norm, "tied": self.tied}

    def is_km2_arch(self):
        return self.arch() == Config().arch()


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight over the last dimension (PyTorch 1.13 has no nn.RMSNorm)."""

    def __init__(self, dim, eps=NORM_EPS):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def make_norm(cfg, dim):
    return nn.LayerNorm(dim, eps=NORM_EPS) if cfg.norm == "layer" else RMSNorm(dim)


def activation(cfg, x):
    if cfg.activation == "relu2":
        return torch.square(F.relu(x))
    return F.gelu(x)


def rope_tables(context, head_dim):
    """cos/sin tables (context, head_dim), each half repeated, and the (head_dim, head_dim)
    matrix R with x @ R = rotate_half(x) = cat(-x2, x1)."""
    inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    t = torch.arange(context, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)  # (context, head_dim/2)
    half = head_dim // 2
    rotate = torch.zeros(head_dim, head_dim)
    rotate[torch.arange(half) + half, torch.arange(half)] = -1.0
    rotate[torch.arange(half), torch.arange(half) + half] = 1.0
    return torch.cos(freqs).repeat(1, 2), torch.sin(freqs).repeat(1, 2), rotate


def apply_rope(x, cos, sin, rotate):
    # x: (B, H, T, D); cos/sin: (B, 1, T, D). Rotates pairs (x[..., :D/2], x[..., D/2:]):
    # (x1 cos - x2 sin, x2 cos + x1 sin). x @ rotate is exact (one signed term per output), and
    # one MatMul exports to far fewer ONNX nodes than slicing and concatenating halves.
    return x * cos + (x @ rotate) * sin


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.d_model = d
        self.batch = None  # set to 1 for export: constant reshapes (kolmo runs batch 1)
        self.cfg = cfg
        self.ln1 = make_norm(cfg, d)
        self.qkv = nn.Linear(d, 3 * d)
        if cfg.qk_norm:
            self.q_norm = RMSNorm(d // cfg.n_heads)
            self.k_norm = RMSNorm(d // cfg.n_heads)
        self.proj = nn.Linear(d, d)
        self.ln2 = make_norm(cfg, d)
        self.fc1 = nn.Linear(d, cfg.mlp_mult * d)
        self.fc2 = nn.Linear(cfg.mlp_mult * d, d)

    def forward_train(self, x, cos, sin, mask_bias):
        """The training path: the same function as forward() without a cache, in the ops that
        are fastest on a CPU: rotate_half by slicing instead of x @ rotate (both exact), and
        scores, scale and causal mask in one baddbmm over (B*H, T, T)."""
        B, T, C = x.shape
        H = self.n_heads
        D = C // H
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q = q.reshape(B, T, H, D)
        k = k.reshape(B, T, H, D)
        if self.cfg.qk_norm:
            q = self.q_norm(q)
            k = self.k_norm(k)
        q = q.transpose(1, 2)
        k = k.transpose(1, 2)
        v = v.reshape(B, T, H, D).transpose(1, 2)
        half = D // 2
        q = q * cos + torch.cat((-q[..., half:], q[..., :half]), dim=-1) * sin
        k = k * cos + torch.cat((-k[..., half:], k[..., :half]), dim=-1) * sin
        q = q.reshape(B * H, T, D)
        k = k.reshape(B * H, T, D)
        att = torch.baddbmm(mask_bias, q, k.transpose(1, 2), alpha=1.0 / math.sqrt(D))
        att = F.softmax(att, dim=-1)
        y = torch.bmm(att, v.reshape(B * H, T, D)).view(B, H, T, D).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(y)
        x = x + self.fc2(activation(self.cfg, self.fc1(self.ln2(x))))
        return x

    def forward(self, x, cos, sin, rotate, mask, past_k=None, past_v=None):
        # Shapes use the batch size and -1 for time, not sizes read from x: the exported graph
        # then reshapes with constants instead of Shape/Gather/Concat chains at every step.
        B = self.batch
        C = x.shape[-1] if B is None else self.d_model
        H = self.n_heads
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q = q.reshape(-1 if B is None else B, q.shape[1] if B is None else -1, H, C // H)
        k = k.reshape(-1 if B is None else B, k.shape[1] if B is None else -1, H, C // H)
        if self.cfg.qk_norm:
            q = self.q_norm(q)
            k = self.k_norm(k)
        q = q.transpose(1, 2)
        k = k.transpose(1, 2)
        v = v.reshape(-1 if B is None else B, v.shape[1] if B is None else -1, H, C // H).transpose(1, 2)
        q = apply_rope(q, cos, sin, rotate)
        k = apply_rope(k, cos, sin, rotate)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // H))
        att = att.masked_fill(mask, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2)
        y = y.reshape(y.shape[0], y.shape[1], C) if B is None else y.reshape(B, -1, C)
        x = x + self.proj(y)
        x = x + self.fc2(activation(self.cfg, self.fc1(self.ln2(x))))
        return x, k, v


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.ln_f = make_norm(cfg, cfg.d_model)
        if not cfg.tied:
            self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        cos, sin, rotate = rope_tables(cfg.context, cfg.d_model // cfg.n_heads)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.register_buffer("rope_rotate", rotate, persistent=False)
        self.apply(self._init)
        for b in self.blocks:  # GPT-2 scaled init of residual projections, or zero (modded-nanogpt)
            for w in (b.proj.weight, b.fc2.weight):
                if cfg.zero_init:
                    nn.init.zeros_(w)
                else:
                    nn.init.normal_(w, std=0.02 / math.sqrt(2 * cfg.n_layers))
        if not cfg.tied and cfg.zero_init:
            nn.init.zeros_(self.lm_head.weight)

    def head_weight(self):
        return self.wte.weight if self.cfg.tied else self.lm_head.weight

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx, position_ids=None, past=None, attention_mask=None):
        """idx: (B, T) int64. position_ids: (B, T) int64 or None (0..T-1 after the past).
        past: list of (k, v) per layer, each (B, H, P, D), or None.
        attention_mask: (B, P+T) int64, 0 = padding key to ignore, or None (no padding).
        Returns logits (B, T, V) and the new cache [(k, v)] with P + T positions."""
        B, T = idx.shape
        P = 0 if past is None else past[0][0].shape[2]
        if position_ids is None:
            position_ids = torch.arange(P, P + T, dtype=torch.long).unsqueeze(0).expand(B, T)
        cos = self.rope_cos[position_ids].unsqueeze(1)  # (B, 1, T, D)
        sin = self.rope_sin[position_ids].unsqueeze(1)
        # Query i (absolute P + i) may attend to keys 0..P+i.
        q_pos = torch.arange(T).unsqueeze(1) + P
        k_pos = torch.arange(P + T).unsqueeze(0)
        mask = (k_pos > q_pos).view(1, 1, T, P + T)
        if attention_mask is not None:
            mask = mask | (attention_mask == 0).view(B, 1, 1, P + T)
        x = self.wte(idx)
        if self.training and past is None and attention_mask is None:
            causal = torch.ones(T, T, dtype=torch.bool, device=idx.device).triu(1)
            bias = torch.zeros(T, T, device=idx.device, dtype=x.dtype).masked_fill(causal, float("-inf"))
            for block in self.blocks:
                x = block.forward_train(x, cos, sin, bias)
            return F.linear(self.ln_f(x), self.head_weight()), None
        present = []
        for i, block in enumerate(self.blocks):
            pk, pv = (None, None) if past is None else past[i]
            x, k, v = block(x, cos, sin, self.rope_rotate, mask, pk, pv)
            present.append((k, v))
        logits = self.ln_f(x) @ self.head_weight().t()
        return logits, present
