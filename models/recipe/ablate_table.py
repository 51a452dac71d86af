#!/usr/bin/env python3
"""Tables of equal-compute ablations from models/recipe/ablations/<name>.jsonl (ablate.sh, train.py
--cpu-budget-s): held-out bits/token
  - at the end (equal CPU time, each run's LR decayed over the last 20% of its CPU budget),
  - at equal CPU time before the decay (the eval nearest 80% of the budget, interpolated),
  - at equal tokens before the decay: the most tokens every run reached before its decay started,
    each run's curve interpolated linearly there,
and training tokens per CPU-second. The first name is the reference for the differences.
  /usr/bin/python3 models/recipe/ablate_table.py km2 muon [--curve] [--budget=1800]
(runs still going are compared where the slowest has got to).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    path = name if name.endswith(".jsonl") else os.path.join(HERE, "ablations", name + ".jsonl")
    recs = [json.loads(line) for line in open(path) if line.strip()]
    evals = [r for r in recs if "val_bits" in r]
    end = [r for r in recs if r.get("end")]
    return {"name": os.path.basename(name).replace(".jsonl", ""), "evals": evals, "end": end[-1] if end else None,
            "head": recs[0]}


def interp(points, x):
    """Linear interpolation of (x, y) points sorted by x; None outside their range."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return None


def main():
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    budget = float(next((a.split("=")[1] for a in sys.argv[1:] if a.startswith("--budget=")), 1800))
    runs = [load(n) for n in names]
    # Before the decay: at 80% of the CPU budget, or where the slowest unfinished run has got to.
    stable_cpu = min([0.8 * budget] + [r["evals"][-1]["cpu_s"] for r in runs])
    stable = {r["name"]: [e for e in r["evals"] if e["cpu_s"] <= 0.8 * budget + 5] for r in runs}
    t_star = min(s[-1]["tokens"] for s in stable.values())
    rows = []
    for r in runs:
        ev = r["evals"]
        by_cpu = [(e["cpu_s"], e["val_bits"]) for e in ev]
        by_tok = [(e["tokens"], e["val_bits"]) for e in stable[r["name"]]]
        last = ev[-1]
        done = r["end"] is not None
        rows.append({"name": r["name"], "params": r["head"].get("params"), "done": done,
                     "tokens": last["tokens"], "cpu_s": last["cpu_s"],
                     "tok_per_cpu_s": last["tokens"] / max(last["cpu_s"], 1e-9),
                     "end_bits": last["val_bits"] if done else None,
                     "stable_cpu_bits": interp(by_cpu, stable_cpu),
                     "equal_tok_bits": interp(by_tok, t_star)})
    ref = rows[0]

    def fmt(v, key):
        if v is None:
            return "—"
        s = f"{v:.3f}"
        if r is not ref and ref[key] is not None:
            s += f" ({100 * (v - ref[key]) / ref[key]:+.1f}%)"
        return s

    print(f"| run | params | tokens/CPU-s | tokens at end | bits/token at end (equal CPU, {budget / 60:.0f} CPU-min, decayed) "
          f"| at equal CPU before decay ({stable_cpu / 60:.1f} CPU-min) | at equal tokens before decay ({t_star / 1e6:.2f}M) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']}{'' if r['done'] else ' (running)'} | {r['params'] / 1e6:.2f}M | {r['tok_per_cpu_s']:,.0f} | "
              f"{r['tokens'] / 1e6:.2f}M | {fmt(r['end_bits'], 'end_bits')} | {fmt(r['stable_cpu_bits'], 'stable_cpu_bits')} | "
              f"{fmt(r['equal_tok_bits'], 'equal_tok_bits')} |")
    if "--curve" in sys.argv:
        print()
        print("| CPU s | " + " | ".join(f"{r['name']} tokens, bits" for r in runs) + " |")
        print("|---|" + "---|" * len(runs))
        n = max(len(r["evals"]) for r in runs)
        for i in range(1, n):
            cells = []
            for r in runs:
                e = r["evals"][i] if i < len(r["evals"]) else None
                cells.append(f"{e['tokens'] / 1e6:.2f}M, {e['val_bits']:.3f}" if e else "")
            cpu = next(r["evals"][i]["cpu_s"] for r in runs if i < len(r["evals"]))
            print(f"| {cpu:.0f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
