#!/usr/bin/python3
"""Writes PyTorch golden cases of GroupNorm, LayerNorm, RMSNorm and BatchNorm for ingot's tests.

Run with Debian's python (torch 1.13, numpy):  /usr/bin/python3 ops/scripts/make_norm_golden.py
Each case is a folder under ops/src/test/resources/norm-golden/ holding float32 inputs (x.npy, dy.npy, params)
and float64 references computed by torch autograd in float64 from those float32 inputs, plus case.json: the op,
its attributes, the input names in op order, and the output names in op order (null: not compared).
torch 1.13 has no F.rms_norm: RMSNorm's reference is written in torch ops (x * rsqrt(mean(x^2) + eps) * weight).
"""
import json
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "norm-golden")
RMS_DEFAULT_EPS = float(torch.finfo(torch.float32).eps)


def save(folder, name, array, dtype):
    np.save(os.path.join(folder, name + ".npy"), np.ascontiguousarray(array, dtype=dtype))


def write_case(name, spec, arrays32, refs64):
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    for key, value in arrays32.items():
        save(folder, key, value, np.float32)
    for key, value in refs64.items():
        save(folder, key, value, np.float64)
    spec["reference"] = "torch %s float64 autograd on the float32 inputs" % torch.__version__
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(spec, f, indent=1, sort_keys=True)
        f.write("\n")


def rand(gen, shape, scale=1.0, offset=0.0):
    return (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1).mul(scale).add(offset).float()


def run(name, spec, x32, params32, forward, grad_params):
    """forward(x, params) -> (y, [stats...]) in float64; grads of x and grad_params through y with a random dy."""
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    dy32 = rand(gen, x32.shape)
    x = x32.double().requires_grad_(True)
    params = {k: v.double().requires_grad_(k in grad_params) for k, v in params32.items()}
    y, stats = forward(x, params)
    y.backward(dy32.double())
    arrays = {"x": x32.numpy(), "dy": dy32.numpy()}
    arrays.update({k: v.numpy() for k, v in params32.items()})
    refs = {"y": y.detach().numpy(), "dx": x.grad.numpy()}
    refs.update({k: np.asarray(v) for k, v in stats.items()})
    for k in grad_params:
        refs["d" + k] = params[k].grad.numpy()
    write_case(name, spec, arrays, refs)


def group_norm(name, shape, groups, affine, eps=1e-5, offset=0.0, scale=1.0):
    gen = torch.Generator().manual_seed(len(name))
    x32 = rand(gen, shape, scale, offset)
    c = shape[1]
    params = {"gamma": rand(gen, (c,), 0.5, 1.0), "beta": rand(gen, (c,))} if affine else {}

    def forward(x, p):
        y = F.group_norm(x, groups, p.get("gamma"), p.get("beta"), eps)
        g = x.reshape(shape[0], groups, -1)
        mean = g.mean(dim=2)
        invstd = (g.var(dim=2, unbiased=False) + eps).rsqrt()
        return y, {"mean": mean.detach().numpy(), "invstd": invstd.detach().numpy()}

    names = ["x"] + (["gamma", "beta"] if affine else [])
    spec = {"op": "GroupNorm", "grad_op": "GroupNormGrad",
            "attributes": {"groups": groups, "eps": eps, "gamma": affine, "beta": affine},
            "inputs": names, "outputs": ["y", "mean", "invstd"],
            "grad_inputs": ["x", "dy", "mean", "invstd"] + (["gamma"] if affine else []),
            "grad_outputs": ["dx"] + (["dgamma", "dbeta"] if affine else []), "layouts": ["NCHW", "CHANNELS_LAST"]}
    run(name, spec, x32, params, forward, list(params))


def layer_norm(name, shape, normalized, affine, eps=1e-5, offset=0.0, scale=1.0):
    gen = torch.Generator().manual_seed(len(name) + 7)
    x32 = rand(gen, shape, scale, offset)
    pshape = tuple(shape[len(shape) - normalized:])
    params = {"gamma": rand(gen, pshape, 0.5, 1.0), "beta": rand(gen, pshape)} if affine else {}
    dims = tuple(range(len(shape) - normalized, len(shape)))

    def forward(x, p):
        y = F.layer_norm(x, pshape, p.get("gamma"), p.get("beta"), eps)
        mean = x.mean(dim=dims)
        invstd = (x.var(dim=dims, unbiased=False) + eps).rsqrt()
        return y, {"mean": mean.detach().numpy(), "invstd": invstd.detach().numpy()}

    names = ["x"] + (["gamma", "beta"] if affine else [])
    spec = {"op": "LayerNorm", "grad_op": "LayerNormGrad",
            "attributes": {"axis": -normalized, "eps": eps, "gamma": affine, "beta": affine},
            "inputs": names, "outputs": ["y", "mean", "invstd"],
            "grad_inputs": ["x", "dy", "mean", "invstd"] + (["gamma"] if affine else []),
            "grad_outputs": ["dx"] + (["dgamma", "dbeta"] if affine else []), "layouts": ["NCHW"]}
    run(name, spec, x32, params, forward, list(params))


def rms_norm(name, shape, normalized, weight, eps=None):
    gen = torch.Generator().manual_seed(len(name) + 11)
    x32 = rand(gen, shape)
    pshape = tuple(shape[len(shape) - normalized:])
    params = {"gamma": rand(gen, pshape, 0.5, 1.0)} if weight else {}
    dims = tuple(range(len(shape) - normalized, len(shape)))
    e = RMS_DEFAULT_EPS if eps is None else eps

    def forward(x, p):
        invrms = (x.pow(2).mean(dim=dims, keepdim=True) + e).rsqrt()
        y = x * invrms
        if "gamma" in p:
            y = y * p["gamma"]
        return y, {"invrms": invrms.detach().reshape(-1).numpy()}

    attributes = {"axis": -normalized, "gamma": weight}
    if eps is not None:
        attributes["eps"] = eps
    spec = {"op": "RMSNorm", "grad_op": "RMSNormGrad", "attributes": attributes,
            "inputs": ["x"] + (["gamma"] if weight else []), "outputs": ["y", "invrms"],
            "grad_inputs": ["x", "dy", "invrms"] + (["gamma"] if weight else []),
            "grad_outputs": ["dx"] + (["dgamma"] if weight else []), "layouts": ["NCHW"]}
    run(name, spec, x32, params, forward, list(params))


def batch_norm(name, shape, affine, training, momentum=0.1, eps=1e-5, offset=0.0):
    gen = torch.Generator().manual_seed(len(name) + 13)
    x32 = rand(gen, shape, 1.0, offset)
    c = shape[1]
    params = {"gamma": rand(gen, (c,), 0.5, 1.0), "beta": rand(gen, (c,))} if affine else {}
    running = {"running_mean": rand(gen, (c,), 0.5), "running_var": rand(gen, (c,), 0.5, 1.0)}
    dims = tuple(i for i in range(len(shape)) if i != 1)

    def forward(x, p):
        rm = running["running_mean"].double().clone()
        rv = running["running_var"].double().clone()
        y = F.batch_norm(x, rm, rv, p.get("gamma"), p.get("beta"), training, momentum, eps)
        stats = {}
        if training:
            stats = {"mean": x.mean(dim=dims).detach().numpy(),
                     "invstd": (x.var(dim=dims, unbiased=False) + eps).rsqrt().detach().numpy(),
                     "running_mean_out": rm.numpy(), "running_var_out": rv.numpy()}
        return y, stats

    names = ["x"] + (["gamma", "beta"] if affine else []) + ["running_mean", "running_var"]
    attributes = {"training": training, "eps": eps, "gamma": affine, "beta": affine, "runningStats": True}
    if training:
        attributes["momentum"] = momentum
    grad_attributes = {"training": training, "eps": eps, "gamma": affine, "beta": affine}
    spec = {"op": "BatchNorm", "grad_op": "BatchNormGrad", "attributes": attributes,
            "grad_attributes": grad_attributes, "inputs": names,
            "outputs": ["y", "mean", "invstd", "running_mean_out", "running_var_out"] if training else ["y"],
            "grad_inputs": ["x", "dy"] + (["mean", "invstd"] if training else ["running_mean", "running_var"])
            + (["gamma"] if affine else []),
            "grad_outputs": ["dx"] + (["dgamma", "dbeta"] if affine else []), "layouts": ["NCHW", "CHANNELS_LAST"]}
    arrays = dict(params)
    arrays.update(running)
    run(name, spec, x32, arrays, forward, list(params))


def main():
    torch.manual_seed(0)
    group_norm("group_2x6x5x5_g3", (2, 6, 5, 5), 3, True)
    group_norm("group_2x8x16_g2_offset", (2, 8, 16), 2, True, offset=100.0, scale=0.01)
    group_norm("group_3x4_g2_noaffine", (3, 4), 2, False)
    group_norm("group_2x4x3x3_g4_instance", (2, 4, 3, 3), 4, True)
    layer_norm("layer_4x3x10_last", (4, 3, 10), 1, True)
    layer_norm("layer_2x3x4x5_last2", (2, 3, 4, 5), 2, True, eps=1e-3)
    layer_norm("layer_5x7_noaffine_offset", (5, 7), 1, False, offset=1000.0, scale=0.1)
    rms_norm("rms_4x16_weight", (4, 16), 1, True)
    rms_norm("rms_2x3x8_last2", (2, 3, 8), 2, False, eps=1e-6)
    batch_norm("batch_train_4x3x5x5", (4, 3, 5, 5), True, True)
    batch_norm("batch_train_6x2x7_noaffine", (6, 2, 7), False, True, momentum=0.3, offset=50.0)
    batch_norm("batch_eval_3x4x2x2", (3, 4, 2, 2), True, False)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print("wrote %s (%d KB)" % (os.path.normpath(ROOT), total // 1024), file=sys.stderr)


if __name__ == "__main__":
    main()
