#!/usr/bin/env python3
"""Summarizes compare.sh output (docs/ort-overhead.md): per contestant and batch, the median and range of CPU ms per
run and per event over the rounds, and the ratio to a reference contestant taken round by round (each round runs
every contestant once, one after the other), as median and range.

    summarize.py compare.log [REFERENCE_CONTESTANT]     # default reference: python130
"""
import collections
import statistics
import sys


def main():
    path = sys.argv[1]
    ref = sys.argv[2] if len(sys.argv) > 2 else "python130"
    rows = collections.defaultdict(dict)  # (contestant, batch) -> round -> (cpu_ms, thread_ms, wall_ms, batch size)
    for line in open(path):
        kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "contestant" not in kv:
            continue
        events = float(kv["cpu_ms"]) / float(kv["cpu_ms_per_event"])
        rows[(kv["contestant"], kv["batch"])][int(kv["round"])] = (
            float(kv["cpu_ms"]), float(kv["thread_ms"]), float(kv["wall_ms"]), events)
    print("| contestant | batch | rounds | CPU ms/run median (min-max) | CPU ms/event median | wall ms/run median "
          f"| ratio to {ref} median (min-max) |")
    print("|---|---|---|---|---|---|---|")
    for (c, b), by_round in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cpu = [v[0] for v in by_round.values()]
        wall = [v[2] for v in by_round.values()]
        events = next(iter(by_round.values()))[3]
        reference = rows.get((ref, b), {})
        ratios = [by_round[r][0] / reference[r][0] for r in by_round if r in reference]
        ratio = (f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})" if ratios else "-")
        print(f"| {c} | {b} | {len(cpu)} | {statistics.median(cpu):.1f} ({min(cpu):.1f}-{max(cpu):.1f}) | "
              f"{statistics.median(cpu) / events:.2f} | {statistics.median(wall):.1f} | {ratio} |")


if __name__ == "__main__":
    main()
