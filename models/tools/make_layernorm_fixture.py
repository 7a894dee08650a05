#!/usr/bin/env python3
"""Writes the decomposed-LayerNorm fixture of SessionsTest (docs/ort-overhead.md).

A tiny token classifier in the shape of the MiniLM bundles' graph (opset 11, where LayerNorm is not an ONNX op):
Gather(word embeddings) + Gather(token type embeddings), then twice [MatMul + bias -> LayerNorm written out as
ReduceMean, Sub, Pow, ReduceMean, Add(eps), Sqrt, Div, Mul(gamma), Add(beta)], then MatMul -> logits
[batch, sequence, 3]. ONNX Runtime fuses each written-out LayerNorm into one LayerNormalization node unless
told not to. Also writes the float64 reference logits of a fixed batch (numpy), so that both the fused and the
unfused graph can be checked against exact arithmetic.

Run with Debian's /usr/bin/python3 (python3-onnx, python3-numpy), from the repository root:
    /usr/bin/python3 models/tools/make_layernorm_fixture.py
"""
import json
import os
import sys

import numpy as np
from onnx import TensorProto, checker, helper, numpy_helper, save

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "streams-app", "src", "test", "resources", "layernorm")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261130)
VOCAB, HIDDEN, LABELS, EPS = 64, 48, 3, 1e-12

weights = {
    "word_embeddings": rng.normal(0, 1.0, (VOCAB, HIDDEN)),
    "type_embeddings": rng.normal(0, 0.1, (2, HIDDEN)),
    "classifier": rng.normal(0, 0.5, (HIDDEN, LABELS)),
}
for layer in range(2):
    weights[f"dense{layer}"] = rng.normal(0, 0.3, (HIDDEN, HIDDEN))
    weights[f"dense{layer}_bias"] = rng.normal(0, 0.1, HIDDEN)
    weights[f"gamma{layer}"] = rng.normal(1.0, 0.1, HIDDEN)
    weights[f"beta{layer}"] = rng.normal(0, 0.1, HIDDEN)
weights = {k: v.astype(np.float32) for k, v in weights.items()}

nodes = [
    helper.make_node("Gather", ["word_embeddings", "input_ids"], ["words"], name="embed_words"),
    helper.make_node("Gather", ["type_embeddings", "token_type_ids"], ["types"], name="embed_types"),
    helper.make_node("Add", ["words", "types"], ["h_in"], name="embed_sum"),
]
initializers = [numpy_helper.from_array(v, k) for k, v in weights.items()]
initializers += [numpy_helper.from_array(np.array(2.0, np.float32), "two"),
                 numpy_helper.from_array(np.array(EPS, np.float32), "eps")]
h = "h_in"
for layer in range(2):
    p = f"l{layer}_"
    nodes += [
        helper.make_node("MatMul", [h, f"dense{layer}"], [p + "mm"], name=p + "matmul"),
        helper.make_node("Add", [p + "mm", f"dense{layer}_bias"], [p + "x"], name=p + "bias"),
        helper.make_node("ReduceMean", [p + "x"], [p + "mean"], axes=[-1], name=p + "norm_mean"),
        helper.make_node("Sub", [p + "x", p + "mean"], [p + "d"], name=p + "norm_sub"),
        helper.make_node("Pow", [p + "d", "two"], [p + "d2"], name=p + "norm_pow"),
        helper.make_node("ReduceMean", [p + "d2"], [p + "var"], axes=[-1], name=p + "norm_var"),
        helper.make_node("Add", [p + "var", "eps"], [p + "var_eps"], name=p + "norm_eps"),
        helper.make_node("Sqrt", [p + "var_eps"], [p + "std"], name=p + "norm_sqrt"),
        helper.make_node("Div", [p + "d", p + "std"], [p + "n"], name=p + "norm_div"),
        helper.make_node("Mul", [p + "n", f"gamma{layer}"], [p + "scaled"], name=p + "norm_gamma"),
        helper.make_node("Add", [p + "scaled", f"beta{layer}"], [p + "out"], name=p + "norm_beta"),
    ]
    h = p + "out"
nodes.append(helper.make_node("MatMul", [h, "classifier"], ["logits"], name="classifier"))

dims = ["batch_size", "sequence_length"]
graph = helper.make_graph(
    nodes, "decomposed_layernorm",
    [helper.make_tensor_value_info(n, TensorProto.INT64, dims)
     for n in ("input_ids", "attention_mask", "token_type_ids")],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, dims + [LABELS])],
    initializers)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="make_layernorm_fixture")
model.ir_version = 7
checker.check_model(model, full_check=True)
save(model, os.path.join(out, "decomposed-layernorm.onnx"))

# A fixed batch and its logits in float64.
ids = rng.integers(0, VOCAB, (4, 7))
types = (np.arange(7)[None, :] >= 4).astype(np.int64).repeat(4, axis=0)
w = {k: v.astype(np.float64) for k, v in weights.items()}
x = w["word_embeddings"][ids] + w["type_embeddings"][types]
for layer in range(2):
    x = x @ w[f"dense{layer}"] + w[f"dense{layer}_bias"]
    d = x - x.mean(-1, keepdims=True)
    x = d / np.sqrt((d * d).mean(-1, keepdims=True) + EPS) * w[f"gamma{layer}"] + w[f"beta{layer}"]
logits = x @ w["classifier"]
with open(os.path.join(out, "decomposed-layernorm.reference.json"), "w") as f:
    json.dump({"input_ids": ids.tolist(), "token_type_ids": types.tolist(), "logits": logits.tolist()}, f)
print("wrote", out)
