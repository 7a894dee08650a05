#!/usr/bin/python3
"""Turns the pretrained MiniLM-L6 encoder (an ONNX graph whose only output is `last_hidden_state`) into two
Hugging Face-style benchmark bundles, by adding a randomly initialised (but seeded) head to the graph:

  minilm-sentiment-random  sequence classification: [CLS] vector -> BERT-style pooler (dense 384x384 + tanh)
                           -> Linear 384 -> 3 (negative/neutral/positive); logits [batch, 3]
  minilm-ner-random        token classification: Linear 384 -> 9 (CoNLL-2003 labels) on every position;
                           logits [batch, sequence, 9]

Needs only `onnx` and `numpy` (Debian: python3-onnx python3-numpy, run with /usr/bin/python3). The encoder's
weights are untouched; the heads are random, so the scores mean nothing: the bundles exist to measure
throughput and latency at a realistic model size. The output is deterministic for a given source model and
seed (byte-identical model.onnx on every run).

Usage: add_heads.py --onnx all-minilm-l6-v2.onnx --tokenizer all-minilm-l6-v2-tokenizer.json --out DIR
                    [--seed 20240501] [--std 0.5] [--source-note TEXT]
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, checker, helper, numpy_helper, shape_inference
except ImportError as e:  # keep this message in step with build_minilm_bundles.sh
    sys.stderr.write(
        "error: %s\n"
        "add_heads.py needs the Python modules 'onnx' and 'numpy' for %s.\n"
        "On Debian install them with:\n"
        "  apt-get update && apt-get install -y --no-install-recommends python3-onnx python3-numpy\n"
        "and run this script with /usr/bin/python3.\n" % (e, sys.executable))
    sys.exit(2)

HIDDEN = 384
ENCODER_OUTPUT = "last_hidden_state"
CONLL = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
SENTIMENT = ["negative", "neutral", "positive"]
# BERT's pooler dense is initialised with std 0.02 (initializer_range); with that the tanh stays out of
# saturation, and the classifier's std (--std) alone sets how peaked the scores are.
POOLER_STD = 0.02


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def load_encoder(path):
    model = onnx.load(path)
    g = model.graph
    outputs = [o.name for o in g.output]
    if outputs != [ENCODER_OUTPUT]:
        sys.exit("error: %s: expected the single output %r, found %s" % (path, ENCODER_OUTPUT, outputs))
    out_dims = dims(g.output[0])
    if len(out_dims) != 3 or out_dims[2] != HIDDEN:
        sys.exit("error: %s: expected %s of shape [batch, sequence, %d], found %s"
                 % (path, ENCODER_OUTPUT, HIDDEN, out_dims))
    for i in g.input:
        if i.name not in ("input_ids", "attention_mask", "token_type_ids"):
            sys.exit("error: %s: unexpected input %r" % (path, i.name))
        if i.type.tensor_type.elem_type != TensorProto.INT64 or len(dims(i)) != 2:
            sys.exit("error: %s: input %r must be int64 [batch, sequence], found type %d shape %s"
                     % (path, i.name, i.type.tensor_type.elem_type, dims(i)))
    return model, out_dims[0], out_dims[1]


def linear(rng, name, fan_in, fan_out, std):
    """A Linear layer as ONNX stores it: weight [in, out] (transposed from PyTorch's [out, in]) and bias."""
    w = rng.normal(0.0, std, size=(fan_in, fan_out)).astype(np.float32)
    b = rng.normal(0.0, std * 0.1, size=(fan_out,)).astype(np.float32)
    return [numpy_helper.from_array(w, name + ".weight_t"), numpy_helper.from_array(b, name + ".bias")]


def random_head(kind, n_labels, seed, std):
    """Seeded random head initializers (see `add_head`)."""
    rng = np.random.default_rng(seed)
    inits = linear(rng, "pooler.dense", HIDDEN, HIDDEN, POOLER_STD) if kind == "sequence" else []
    return inits + linear(rng, "classifier", HIDDEN, n_labels, std)


def add_head(model, kind, labels, head_initializers, batch_dim, seq_dim):
    """Returns a copy of the encoder graph with a head on last_hidden_state and `logits` as its only output.

    head_initializers: `classifier.weight_t` [384, labels] and `classifier.bias`, and for kind "sequence"
    also `pooler.dense.weight_t` [384, 384] and `pooler.dense.bias` (weights stored [in, out])."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    n = len(labels)
    nodes = []
    inits = []
    if kind == "sequence":
        # hidden[:, 0, :] -> pooler (dense + tanh, as BertPooler) -> classifier
        inits.append(numpy_helper.from_array(np.array(0, dtype=np.int64), "head.cls_index"))
        nodes.append(helper.make_node("Gather", [ENCODER_OUTPUT, "head.cls_index"], ["/pooler/cls"],
                                      name="/pooler/Gather", axis=1))
        nodes.append(helper.make_node("MatMul", ["/pooler/cls", "pooler.dense.weight_t"], ["/pooler/dense/MatMul"],
                                      name="/pooler/dense/MatMul"))
        nodes.append(helper.make_node("Add", ["/pooler/dense/MatMul", "pooler.dense.bias"], ["/pooler/dense/Add"],
                                      name="/pooler/dense/Add"))
        nodes.append(helper.make_node("Tanh", ["/pooler/dense/Add"], ["/pooler/Tanh"], name="/pooler/Tanh"))
        head_in = "/pooler/Tanh"
        out_shape = [batch_dim, n]
    elif kind == "token":
        head_in = ENCODER_OUTPUT
        out_shape = [batch_dim, seq_dim, n]
    else:
        raise ValueError(kind)
    inits += head_initializers
    nodes.append(helper.make_node("MatMul", [head_in, "classifier.weight_t"], ["/classifier/MatMul"],
                                  name="/classifier/MatMul"))
    nodes.append(helper.make_node("Add", ["/classifier/MatMul", "classifier.bias"], ["logits"],
                                  name="/classifier/Add"))
    g.node.extend(nodes)
    g.initializer.extend(inits)
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, out_shape))
    return m


def write_bundle(model, out_dir, name, labels, problem_type, tokenizer_json, meta, extra_files=()):
    """Writes the bundle folder out_dir/name atomically; extra_files: (source path, name in the bundle)."""
    final = os.path.join(out_dir, name)
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="." + name + ".", dir=out_dir)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it 0700
    try:
        for k, v in sorted(meta.items()):
            p = model.metadata_props.add()
            p.key, p.value = k, str(v)
        model_path = os.path.join(tmp, "model.onnx")
        onnx.save(model, model_path)
        # full check: the graph, the initializers, and strict shape inference through the new head
        checker.check_model(model_path, full_check=True)
        inferred = shape_inference.infer_shapes(onnx.load(model_path), strict_mode=True)
        print("  checked: onnx.checker (full_check) ok; logits", dims(inferred.graph.output[0]))

        config = {
            "_name_or_path": name,
            "architectures": ["BertForSequenceClassification" if problem_type else "BertForTokenClassification"],
            "model_type": "bert",
            "hidden_size": HIDDEN,
            "num_hidden_layers": 6,
            "num_attention_heads": 12,
            "intermediate_size": 1536,
            "hidden_act": "gelu",
            "max_position_embeddings": 512,
            "type_vocab_size": 2,
            "vocab_size": 30522,
            "layer_norm_eps": 1e-12,
            "pad_token_id": 0,
            "id2label": {str(i): l for i, l in enumerate(labels)},
            "label2id": {l: i for i, l in enumerate(labels)},
        }
        if problem_type:
            config["problem_type"] = problem_type
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
            f.write("\n")
        # tokenizer.json as shipped (it has fixed padding/truncation to 128 baked in; the service overrides it)
        shutil.copyfile(tokenizer_json, os.path.join(tmp, "tokenizer.json"))
        tokenizer_config = {
            "cls_token": "[CLS]",
            "do_lower_case": True,
            "mask_token": "[MASK]",
            "model_input_names": ["input_ids", "token_type_ids", "attention_mask"],
            "model_max_length": 512,
            "pad_token": "[PAD]",
            "padding_side": "right",
            "sep_token": "[SEP]",
            "tokenizer_class": "BertTokenizer",
            "truncation_side": "right",
            "unk_token": "[UNK]",
        }
        with open(os.path.join(tmp, "tokenizer_config.json"), "w") as f:
            json.dump(tokenizer_config, f, indent=2)
            f.write("\n")
        for source, target in extra_files:
            shutil.copyfile(source, os.path.join(tmp, target))
        if os.path.isdir(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return os.path.join(final, "model.onnx")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--onnx", required=True, help="the encoder, e.g. all-minilm-l6-v2.onnx")
    ap.add_argument("--tokenizer", required=True, help="its tokenizer.json")
    ap.add_argument("--out", required=True, help="folder that receives one sub-folder per bundle")
    ap.add_argument("--seed", type=int, default=20240501, help="numpy seed of the heads (default %(default)s)")
    ap.add_argument("--std", type=float, default=0.5, help="std of the classifier weights (default %(default)s)")
    ap.add_argument("--source-note", default="", help="provenance text recorded in the ONNX metadata")
    args = ap.parse_args()

    print("onnx %s, numpy %s" % (onnx.__version__, np.__version__))
    source_sha = sha256(args.onnx)
    print("source %s sha256 %s" % (args.onnx, source_sha))
    encoder, batch_dim, seq_dim = load_encoder(args.onnx)
    print("  encoder: opset %s, inputs %s, output %s [%s, %s, %d]"
          % ([o.version for o in encoder.opset_import if o.domain in ("", "ai.onnx")],
             [i.name for i in encoder.graph.input], ENCODER_OUTPUT, batch_dim, seq_dim, HIDDEN))

    specs = [
        ("minilm-sentiment-random", "sequence", SENTIMENT, "single_label_classification", args.seed),
        ("minilm-ner-random", "token", CONLL, None, args.seed + 1),
    ]
    for name, kind, labels, problem_type, seed in specs:
        print("building %s (%s head, %d labels, seed %d, std %g)" % (name, kind, len(labels), seed, args.std))
        model = add_head(encoder, kind, labels, random_head(kind, len(labels), seed, args.std), batch_dim, seq_dim)
        meta = {
            "enricher.bundle": name,
            "enricher.head": ("pooler(dense %d, tanh, std %g) + linear %d->%d" % (HIDDEN, POOLER_STD, HIDDEN, len(labels))
                              if kind == "sequence" else "linear %d->%d per token" % (HIDDEN, len(labels))),
            "enricher.head.seed": seed,
            "enricher.head.std": args.std,
            "enricher.source.sha256": source_sha,
            "enricher.source": args.source_note or os.path.basename(args.onnx),
        }
        path = write_bundle(model, args.out, name, labels, problem_type, args.tokenizer, meta)
        print("  wrote %s (%d bytes) sha256 %s" % (path, os.path.getsize(path), sha256(path)))


if __name__ == "__main__":
    main()
