"""Writes the tiny ONNX fixtures of the broken-bundle tests (streams-app/src/test/resources/broken/).

renamed-inputs.onnx: a valid model whose inputs are named `ids` and `mask` instead of `input_ids` and
`attention_mask`; its `logits` are [batch, 3]. Run with Debian's python3-onnx: /usr/bin/python3 make_broken_fixtures.py
"""
import os
import sys

from onnx import TensorProto, checker, helper, save

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "streams-app", "src", "test", "resources", "broken")
os.makedirs(out, exist_ok=True)
ids = helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "sequence"])
mask = helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", "sequence"])
logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])
nodes = [
    helper.make_node("Add", ["ids", "mask"], ["sum"]),
    helper.make_node("Cast", ["sum"], ["sum_f"], to=TensorProto.FLOAT),
    helper.make_node("ReduceMean", ["sum_f"], ["mean"], axes=[1], keepdims=1),
    helper.make_node("Tile", ["mean", "repeats"], ["logits"]),
]
repeats = helper.make_tensor("repeats", TensorProto.INT64, [2], [1, 3])
graph = helper.make_graph(nodes, "renamed_inputs", [ids, mask], [logits], initializer=[repeats])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="enricher-fixtures")
model.ir_version = 8
checker.check_model(model)
save(model, os.path.join(out, "renamed-inputs.onnx"))
print("wrote", os.path.join(out, "renamed-inputs.onnx"))
