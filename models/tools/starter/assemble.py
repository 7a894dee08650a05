#!/usr/bin/python3
"""Builds a starter bundle from the pretrained MiniLM-L6 encoder and the trained weights kept in git.

The encoder graph is taken as it is; the initializers of the layers that training changed are replaced by the
float16 weights of weights.npz (widened to float32; MatMul weights transposed to the graph's [in, out]), and
the trained head is added as in add_heads.py. Output: a Hugging Face-style bundle folder (model.onnx,
config.json, tokenizer.json, tokenizer_config.json, README.md = the model card). Byte-identical on every run.

Needs only `onnx` and `numpy` (Debian python3-onnx python3-numpy; run with /usr/bin/python3).

Usage: assemble.py --onnx all-minilm-l6-v2.onnx --tokenizer all-minilm-l6-v2-tokenizer.json
                   --starter models/starter/ner --out models/build [--source-note TEXT]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import add_heads  # noqa: E402  (exits with install instructions when onnx/numpy are missing)
import numpy as np  # noqa: E402
from onnx import numpy_helper  # noqa: E402

LAYERS = 6
LINEAR_MODULES = 6  # query, key, value, attention output, intermediate, output


def matmul_weight_names(graph):
    """Maps each anonymous MatMul weight initializer of the encoder to its Hugging Face name.

    The exporter stored Linear weights transposed ([in, out]) under names like `onnx::MatMul_787`; each feeds
    a MatMul whose output goes into an Add with the named bias (`encoder.layer.N.<module>.bias`)."""
    inits = {t.name for t in graph.initializer}
    consumers = {}
    for node in graph.node:
        for i in node.input:
            consumers.setdefault(i, []).append(node)
    names = {}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in inits:
            continue
        adds = [n for n in consumers.get(node.output[0], []) if n.op_type == "Add"]
        biases = [i for n in adds for i in n.input if i in inits and i.endswith(".bias")]
        if len(biases) != 1:
            raise ValueError("MatMul %s: expected one bias Add after it, found %s" % (node.name, biases))
        names[node.input[1]] = biases[0][: -len(".bias")] + ".weight"
    if len(names) != LAYERS * LINEAR_MODULES:
        raise ValueError("expected %d MatMul weights in the encoder, found %d"
                         % (LAYERS * LINEAR_MODULES, len(names)))
    return names


def replace_encoder_weights(model, trained):
    """Overwrites the encoder initializers named in `trained` (HF names, PyTorch layout); returns their names."""
    graph = model.graph
    hf_to_onnx = {hf: onnx_name for onnx_name, hf in matmul_weight_names(graph).items()}
    by_name = {t.name: t for t in graph.initializer}
    replaced = []
    for hf, value in sorted(trained.items()):
        if not hf.startswith("encoder."):
            continue
        onnx_name = hf_to_onnx.get(hf, hf)
        if onnx_name not in by_name:
            raise ValueError("trained weight %s has no initializer in the encoder graph" % hf)
        array = value.astype(np.float32)
        if onnx_name != hf:
            array = np.ascontiguousarray(array.T)
        old = by_name[onnx_name]
        if tuple(old.dims) != array.shape:
            raise ValueError("trained weight %s: shape %s, the encoder has %s" % (hf, array.shape, tuple(old.dims)))
        old.CopyFrom(numpy_helper.from_array(array, onnx_name))
        replaced.append(hf)
    return replaced


def head_initializers(trained, kind):
    out = []
    modules = (["pooler.dense"] if kind == "sequence" else []) + ["classifier"]
    for module in modules:
        weight, bias = trained[module + ".weight"], trained[module + ".bias"]
        out.append(numpy_helper.from_array(np.ascontiguousarray(weight.astype(np.float32).T), module + ".weight_t"))
        out.append(numpy_helper.from_array(bias.astype(np.float32), module + ".bias"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--starter", required=True, help="folder with weights.npz, metrics.json, MODEL_CARD.md")
    ap.add_argument("--out", required=True, help="folder that receives the bundle folder")
    ap.add_argument("--source-note", default="")
    args = ap.parse_args()

    with open(os.path.join(args.starter, "metrics.json")) as f:
        metrics = json.load(f)
    name = "starter-" + metrics["task"]
    kind = "sequence" if metrics["task"] == "sentiment" else "token"
    weights_path = os.path.join(args.starter, "weights.npz")
    with np.load(weights_path) as npz:
        trained = {k: npz[k] for k in npz.files}
    encoder, batch_dim, seq_dim = add_heads.load_encoder(args.onnx)
    replaced = replace_encoder_weights(encoder, trained)
    print("building %s: %d encoder weights replaced (layers %s), %s head"
          % (name, len(replaced), metrics["trained_layers"], kind))
    model = add_heads.add_head(encoder, kind, metrics["labels"], head_initializers(trained, kind), batch_dim, seq_dim)
    test = metrics["test"]
    meta = {
        "enricher.bundle": name,
        "enricher.trained.layers": ",".join(str(i) for i in metrics["trained_layers"]),
        "enricher.trained.weights.sha256": add_heads.sha256(weights_path),
        "enricher.test": json.dumps(test["micro"] if kind == "token" else
                                    {k: test[k] for k in ("accuracy", "macro_f1")}, sort_keys=True),
        "enricher.source.sha256": add_heads.sha256(args.onnx),
        "enricher.source": args.source_note or os.path.basename(args.onnx),
    }
    problem_type = "single_label_classification" if kind == "sequence" else None
    card = os.path.join(args.starter, "MODEL_CARD.md")
    extra = [(card, "README.md")] if os.path.exists(card) else []
    path = add_heads.write_bundle(model, args.out, name, metrics["labels"], problem_type, args.tokenizer, meta, extra)
    print("  wrote %s (%d bytes) sha256 %s" % (path, os.path.getsize(path), add_heads.sha256(path)))


if __name__ == "__main__":
    main()
