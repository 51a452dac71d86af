"""Muon: momentum orthogonalised by Newton-Schulz, for the 2-D hidden matrices of the model.

After Keller Jordan's modded-nanogpt optimizer (github.com/KellerJordan/Muon): Nesterov momentum
(buffer.lerp_(grad, 1 - momentum); update = grad.lerp(buffer, momentum)), then 5 steps of the
quintic Newton-Schulz iteration with coefficients (3.4445, -4.7750, 2.0315) on the update divided
by its Frobenius norm, which maps it to roughly the nearest semi-orthogonal matrix; the step is
lr * sqrt(max(1, rows / cols)) times that. A parameter group's "parts" splits a fused matrix along
its rows before orthogonalising (the fused q|k|v projection is three matrices). No weight decay.
Embeddings, the output head, gains and biases belong to AdamW (train.py). The momentum is kept in
float32; the Newton-Schulz iteration runs in ns_dtype (bfloat16 as in modded-nanogpt when the
trainer uses bf16 autocast: 2.4x faster on an AVX-512-bf16 CPU, see km3_ablations.md). PyTorch
1.13 on the CPU; nothing here needs a newer version.
"""
import torch

NS_COEFFS = (3.4445, -4.7750, 2.0315)


def orthogonalize(g, steps=5, eps=1e-7, dtype=torch.float32):
    a, b, c = NS_COEFFS
    x = (g / (g.norm() + eps)).to(dtype)
    transposed = x.shape[0] > x.shape[1]
    if transposed:
        x = x.t()
    for _ in range(steps):
        s = x @ x.t()
        y = torch.addmm(s, s, s, beta=b, alpha=c)  # b*s + c*s@s
        x = torch.addmm(x, y, x, beta=a)  # a*x + y@x
    return x.t() if transposed else x


class Muon(torch.optim.Optimizer):
    def __init__(self, params, lr=0.02, momentum=0.95, nesterov=True, ns_steps=5, ns_dtype=torch.float32):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, ns_steps=ns_steps, parts=1))
        self.ns_dtype = ns_dtype

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            mom = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(g)
                buf = state["momentum_buffer"]
                buf.lerp_(g, 1 - mom)
                u = g.lerp(buf, mom) if group["nesterov"] else buf
                rows = p.shape[0] // group["parts"]
                for i, part in enumerate(u.split(rows, dim=0)):
                    o = orthogonalize(part, group["ns_steps"], dtype=self.ns_dtype).to(p.dtype)
                    scale = max(1.0, part.shape[0] / part.shape[1]) ** 0.5
                    p[i * rows:(i + 1) * rows].add_(o, alpha=-group["lr"] * scale)
