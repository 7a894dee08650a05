#!/usr/bin/env python3
"""Sums ONNX Runtime profiles (the JSON that --profile writes from Java or Python) per operator type, so that two
builds can be compared kernel by kernel (docs/ort-overhead.md).

    profile_summary.py A.json [B.json ...]

For each file: the model runs it holds (model_run events), mean time per run, and per operator type the mean
kernel time per run (node events named *_kernel_time) and its share. Needs only the standard library.
"""
import collections
import json
import sys


def summarize(path):
    events = json.load(open(path))
    runs = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"]
    per_op = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            per_op[e.get("args", {}).get("op_name", "?")] += e["dur"]
    n = max(len(runs), 1)
    return len(runs), sum(e["dur"] for e in runs) / n, {k: v / n for k, v in per_op.items()}


def main():
    results = [(p, *summarize(p)) for p in sys.argv[1:]]
    ops = sorted({op for r in results for op in r[3]}, key=lambda op: -max(r[3].get(op, 0) for r in results))
    print("| op | " + " | ".join(f"{p.split('/')[-1]} (us/run)" for p, *_ in results) + " |")
    print("|---|" + "---|" * len(results))
    print("| model_run (runs) | " + " | ".join(f"{mean:.0f} ({runs})" for _, runs, mean, _ in results) + " |")
    for op in ops:
        print(f"| {op} | " + " | ".join(f"{r[3].get(op, 0):.0f}" for r in results) + " |")
    print("| sum of kernels | " + " | ".join(f"{sum(r[3].values()):.0f}" for r in results) + " |")


if __name__ == "__main__":
    main()
