#!/usr/bin/env python3
"""Python side of issue 12 (docs/ort-overhead.md): the same batches, model and session options as
`OrtOverhead run` (benchmarks module), timed the same way.

    ort_overhead.py MODEL_ONNX IN_DIR [--runs N] [--warmup N] [--rounds N] [--opt all|extended|basic|none]
                    [--arena 0|1] [--mempattern 0|1] [--spin 0|1] [--threads N] [--denormal 0|1]
                    [--batches b32x32,b8x64] [--compare] [--profile FILE_PREFIX] [--disable Transformer,...]

Prints one line per batch and round: process CPU time (time.process_time), CPU time of the calling thread
(time.thread_time) and wall time per run and per event. --compare checks the logits against the ones
`OrtOverhead dump` wrote from Java (ModelBundle.run on ONNX Runtime Java) and prints the largest difference.
Needs onnxruntime and numpy (e.g. a venv outside the repository).
"""
import argparse
import glob
import os
import time

import numpy as np
import onnxruntime as ort


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("dir")
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--opt", default="all")
    p.add_argument("--arena", default="1")
    p.add_argument("--mempattern", default="1")
    p.add_argument("--spin", default="0")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--denormal", default="0")
    p.add_argument("--batches", default="")
    p.add_argument("--compare", action="store_true")
    p.add_argument("--ab", action="store_true",
                   help="run a session without and one with --disable alternately; print the CPU time ratio")
    p.add_argument("--disable", default="", help="graph transformers to disable, comma-separated")
    p.add_argument("--profile", default="", help="file prefix: ONNX Runtime's own per-node profile")
    a = p.parse_args()

    so = ort.SessionOptions()
    so.graph_optimization_level = {
        "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    }.get(a.opt, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.enable_cpu_mem_arena = a.arena == "1"
    so.enable_mem_pattern = a.mempattern == "1"
    so.add_session_config_entry("session.intra_op.allow_spinning", a.spin)
    so.add_session_config_entry("session.set_denormal_as_zero", a.denormal)
    plain = None
    if a.ab:
        plain = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    if a.disable:
        so.add_session_config_entry("optimization.disable_specified_optimizers", a.disable.replace(",", ";"))
    if a.profile:
        so.enable_profiling = True
        so.profile_file_prefix = a.profile
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    input_names = {i.name for i in sess.get_inputs()}

    wanted = set(filter(None, a.batches.split(",")))
    names = sorted(os.path.basename(f)[: -len("_input_ids.npy")]
                   for f in glob.glob(os.path.join(a.dir, "*_input_ids.npy")))
    batches = []
    for name in names:
        if wanted and name not in wanted:
            continue
        feeds = {k: np.load(os.path.join(a.dir, f"{name}_{k}.npy"))
                 for k in ("input_ids", "attention_mask", "token_type_ids") if k in input_names}
        batches.append((name, feeds))
    if not batches:
        raise SystemExit(f"no batches in {a.dir}")

    if a.compare:
        for name, feeds in batches:
            out = sess.run(["logits"], feeds)[0]
            java = np.load(os.path.join(a.dir, f"{name}_logits_java.npy"))
            print(f"compare batch={name} shape={out.shape} max_abs_diff={np.abs(out - java).max():.3g} "
                  f"exact={np.array_equal(out, java)}")

    if a.ab:
        for name, feeds in batches:
            for _ in range(a.warmup):
                plain.run(["logits"], feeds)
                sess.run(["logits"], feeds)
            blocks, ta, tb, ba, bb = [], 0.0, 0.0, 0.0, 0.0
            for i in range(a.runs):
                t0 = time.thread_time()
                plain.run(["logits"], feeds)
                t1 = time.thread_time()
                sess.run(["logits"], feeds)
                t2 = time.thread_time()
                ba += t1 - t0
                bb += t2 - t1
                if (i + 1) % 10 == 0:
                    blocks.append(bb / ba)
                    ta, tb, ba, bb = ta + ba, tb + bb, 0.0, 0.0
            blocks.sort()
            pairs = len(blocks) * 10
            print(f"python ort={ort.__version__} mode=ab disable={a.disable} batch={name} pairs={pairs} "
                  f"a_thread_ms={ta * 1e3 / pairs:.3f} b_thread_ms={tb * 1e3 / pairs:.3f} ratio_b_a={tb / ta:.3f} "
                  f"block_ratio_median={blocks[len(blocks) // 2]:.3f} block_ratio_min={blocks[0]:.3f} "
                  f"block_ratio_max={blocks[-1]:.3f}", flush=True)
        return

    for _ in range(a.rounds):
        for name, feeds in batches:
            batch = next(iter(feeds.values())).shape[0]
            check = 0.0
            for _ in range(a.warmup):
                check += float(sess.run(["logits"], feeds)[0].flat[-1])
            c0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
            for _ in range(a.runs):
                check += float(sess.run(["logits"], feeds)[0].flat[-1])
            w = time.perf_counter() - w0
            t = time.thread_time() - t0
            c = time.process_time() - c0
            print(f"python ort={ort.__version__} mode=numpy disable={a.disable} opt={a.opt} arena={a.arena} mempattern={a.mempattern} "
                  f"denormal={a.denormal} batch={name} runs={a.runs} cpu_ms={c * 1e3 / a.runs:.3f} "
                  f"thread_ms={t * 1e3 / a.runs:.3f} wall_ms={w * 1e3 / a.runs:.3f} "
                  f"cpu_ms_per_event={c * 1e3 / a.runs / batch:.4f} check={check:.3f}", flush=True)
    if a.profile:
        print("profile", sess.end_profiling())


if __name__ == "__main__":
    main()
