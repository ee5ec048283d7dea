#!/usr/bin/python3
"""Converts the ONNX backend node tests of InstanceNormalization, LayerNormalization and BatchNormalization to
ingot test resources (the format of make_norm_golden.py: case.json plus .npy files).

Run with Debian's python (onnx, numpy):  /usr/bin/python3 ops/scripts/convert_onnx_norm_tests.py
Reads /usr/share/libonnx-testdata/data/node/test_{instancenorm,layer_normalization,batchnorm}_* (model.onnx and
test_data_set_0/*.pb TensorProtos) and writes ops/src/test/resources/onnx-norm/<test name>/. The "_expanded"
variants are the same computation spelled in primitive ops and are skipped.

Conventions mapped: ONNX epsilon -> eps; LayerNormalization axis -> axis; BatchNormalization momentum m (running =
running * m + batch * (1 - m)) -> ingot momentum 1 - m; training_mode -> training. ONNX's training-mode running
variance blends the biased batch variance while ingot (as PyTorch) blends the unbiased one, so that output is not
compared (null in "outputs").
"""
import glob
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

SOURCE = "/usr/share/libonnx-testdata/data/node"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "onnx-norm")


def attribute(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def tensors(folder, prefix):
    files = sorted(glob.glob(os.path.join(folder, prefix + "_*.pb")), key=lambda f: int(f.rsplit("_", 1)[1][:-3]))
    out = []
    for f in files:
        t = onnx.TensorProto()
        with open(f, "rb") as fh:
            t.ParseFromString(fh.read())
        out.append(numpy_helper.to_array(t))
    return out


def convert(test):
    model = onnx.load(os.path.join(test, "model.onnx"))
    node = model.graph.node[0]
    data = os.path.join(test, "test_data_set_0")
    inputs = tensors(data, "input")
    outputs = tensors(data, "output")
    present = [bool(name) for name in node.input]
    eps = float(attribute(node, "epsilon", 1e-5))
    if node.op_type == "InstanceNormalization":
        spec = {"op": "InstanceNorm", "attributes": {"eps": eps, "gamma": True, "beta": True},
                "inputs": ["x", "gamma", "beta"], "outputs": ["y"]}
    elif node.op_type == "LayerNormalization":
        has_bias = len(present) > 2 and present[2]
        spec = {"op": "LayerNorm", "attributes": {"eps": eps, "axis": int(attribute(node, "axis", -1)),
                                                  "gamma": True, "beta": has_bias},
                "inputs": ["x", "gamma"] + (["beta"] if has_bias else []),
                "outputs": ["y", "mean", "invstd"][:len(outputs)]}
    elif node.op_type == "BatchNormalization":
        training = bool(attribute(node, "training_mode", 0))
        momentum = 1.0 - float(attribute(node, "momentum", 0.9))
        attributes = {"eps": eps, "gamma": True, "beta": True, "training": training, "runningStats": True}
        if training:
            attributes["momentum"] = momentum
        spec = {"op": "BatchNorm", "attributes": attributes,
                "inputs": ["x", "gamma", "beta", "running_mean", "running_var"],
                "outputs": ["y", None, None, "running_mean_out", None] if training else ["y"]}
    else:
        return None
    names = spec["inputs"]
    if len(names) != len(inputs):
        raise SystemExit("%s: %d inputs, expected %s" % (test, len(inputs), names))
    out_names = [n for n in spec["outputs"] if n is not None]
    folder = os.path.join(ROOT, os.path.basename(test))
    os.makedirs(folder, exist_ok=True)
    for name, value in zip(names, inputs):
        np.save(os.path.join(folder, name + ".npy"), np.ascontiguousarray(value, dtype=np.float32))
    for name, value in zip(out_names, outputs):
        np.save(os.path.join(folder, name + ".npy"), np.ascontiguousarray(value, dtype=np.float64))
    spec["reference"] = "ONNX backend node test %s (onnx %s)" % (os.path.basename(test), onnx.__version__)
    spec["layouts"] = ["NCHW"]
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(spec, f, indent=1, sort_keys=True)
        f.write("\n")
    return folder


def main():
    patterns = ["test_instancenorm_*", "test_layer_normalization_*", "test_batchnorm_*"]
    tests = sorted(t for p in patterns for t in glob.glob(os.path.join(SOURCE, p)) if not t.endswith("_expanded"))
    written = [f for f in (convert(t) for t in tests) if f]
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print("wrote %d cases to %s (%d KB)" % (len(written), os.path.normpath(ROOT), total // 1024), file=sys.stderr)


if __name__ == "__main__":
    main()
