"""Writes the quantized and half-precision variants beside a bundle's fp32 model, as the export tools name them.

    /work/venv/bin/python models/tools/make_variants.py BUNDLE [--out DIR] [--fp16-io float32|float16]
                                                        [--only quantized|fp16]

BUNDLE is an export folder holding model.onnx (or onnx/model.onnx). Writes, into --out (default: the folder of
the fp32 model):

- model_quantized.onnx: onnxruntime.quantization.quantize_dynamic with int8 weights (QInt8, signed, what
  transformers.js' q8 mode picks for models without Conv) and per-channel scales (per_channel=True,
  reduce_range=False, as optimum's avx512_vnni dynamic configuration); ONNX Runtime's default operator set
  (MatMul and Gather among others: embeddings are quantized too); activations uint8, quantized at run time.
- model_fp16.onnx: onnxruntime.transformers.float16.convert_float_to_float16 (the converter onnxconverter-common
  ships, in onnxruntime 1.30) with its default blocked operators. --fp16-io float32 (default) keeps float32
  logits (keep_io_types=True, as transformers.js' fp16 mode); float16 makes the logits float16 too, as an
  optimum export of a half-precision PyTorch model has them. The int64 inputs stay int64 either way.

Each variant is loaded with ONNX Runtime's CPU provider and run on a random batch (fixed seed) beside the fp32
model; the largest logit difference is printed. Deterministic for a given model and onnxruntime version.
"""
import argparse
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers import float16


def fp32_model(bundle):
    for candidate in (os.path.join(bundle, "model.onnx"), os.path.join(bundle, "onnx", "model.onnx")):
        if os.path.isfile(candidate):
            return candidate
    sys.exit(f"{bundle}: no model.onnx or onnx/model.onnx")


def make_quantized(src, dst):
    model = onnx.load(src)
    # Stale shape annotations (e.g. of a replaced head) fail the quantizer's strict shape inference: it
    # infers them again.
    del model.graph.value_info[:]
    quantize_dynamic(model, dst, per_channel=True, reduce_range=False, weight_type=QuantType.QInt8)


def make_fp16(src, dst, io):
    model = onnx.load(src)
    converted = float16.convert_float_to_float16(model, keep_io_types=(io == "float32"))
    onnx.save(converted, dst)


def logits(path, feeds):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    return session.run(["logits"], {k: v for k, v in feeds.items() if k in wanted})[0]


def check(src, dst):
    rng = np.random.default_rng(13)
    batch, sequence = 4, 24
    ids = rng.integers(1000, 2000, size=(batch, sequence), dtype=np.int64)
    mask = np.ones((batch, sequence), dtype=np.int64)
    mask[1, 16:] = 0
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    reference = logits(src, feeds)
    variant = logits(dst, feeds)
    diff = np.abs(reference - variant.astype(np.float32)).max()
    print(f"{dst}: {os.path.getsize(dst):,} bytes, logits {variant.dtype}, max |logit - fp32| {diff:.3e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle")
    parser.add_argument("--out", help="folder for the variants (default: beside the fp32 model)")
    parser.add_argument("--fp16-io", choices=["float32", "float16"], default="float32")
    parser.add_argument("--only", choices=["quantized", "fp16"])
    args = parser.parse_args()
    src = fp32_model(args.bundle)
    out = args.out or os.path.dirname(src)
    os.makedirs(out, exist_ok=True)
    if args.only in (None, "quantized"):
        dst = os.path.join(out, "model_quantized.onnx")
        make_quantized(src, dst)
        check(src, dst)
    if args.only in (None, "fp16"):
        dst = os.path.join(out, "model_fp16.onnx")
        make_fp16(src, dst, args.fp16_io)
        check(src, dst)


if __name__ == "__main__":
    main()
