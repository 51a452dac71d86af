#!/usr/bin/env python3
"""Held-out loss of checkpoints on the same 128 windows (seed 99) of a token shard, for comparing
trainers at equal wall-clock: /usr/bin/python3 window_loss.py VAL.u16 CKPT.pt [CKPT.pt ...]
(checkpoints with ["model"] and ["config"]: train.py ckpt.pt or compact)."""
import os, sys, math, torch, numpy as np, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import GPT, Config
torch.set_num_threads(2)
val = np.memmap(sys.argv[1], dtype=np.uint16, mode="r")
g = torch.Generator().manual_seed(99)
ix = torch.randint(0, len(val) - 257, (128,), generator=g).tolist()
X = torch.from_numpy(np.stack([val[i:i+257] for i in ix]).astype(np.int64))
for path in sys.argv[2:]:
    ck = torch.load(path); m = GPT(Config(**ck["config"])); m.load_state_dict(ck["model"]); m.eval()
    with torch.no_grad():
        tot = 0.0
        for b in range(0, 128, 16):
            x = X[b:b+16]; lg, _ = m(x[:, :-1]); tot += F.cross_entropy(lg.reshape(-1, 8192), x[:, 1:].reshape(-1), reduction="sum").item()
    print(path, ck.get("tokens_seen"), round(tot / (128*256) / math.log(2), 4), "bits/token")
