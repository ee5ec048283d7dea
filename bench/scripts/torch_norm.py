#!/usr/bin/env python3
"""Times PyTorch's CPU GroupNorm, LayerNorm, BatchNorm (training) or RMSNorm forward and autograd backward.

Prints one JSON line: {"op": ..., "shape": ..., "threads": ..., "forward_us": median, "backward_us": median, and
the 10th and 90th percentiles as forward_p10_us, forward_p90_us, backward_p10_us, backward_p90_us}.
Shapes as the JMH benchmarks write them: "8x256x32x32:g32" (GroupNorm, 32 groups), "4096x1024" (LayerNorm and
RMSNorm over the last dimension), "32x64x56x56" (BatchNorm). torch 1.13 has no F.rms_norm: RMSNorm is timed as the
torch ops x * rsqrt(mean(x^2) + eps) * weight, which is what models ran on it.
Run it in a fresh process per configuration: glibc malloc tuning (MALLOC_* variables) only takes effect at start.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def timings_us(fn, min_seconds, min_runs):
    """Median, 10th and 90th percentile of the call's time, in microseconds."""
    for _ in range(3):
        fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1e6
    return statistics.median(samples) * 1e6, pick(0.1), pick(0.9)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--op", required=True, choices=["group", "layer", "batch", "rms"])
    parser.add_argument("--shape", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dims, _, suffix = args.shape.partition(":")
    shape = [int(d) for d in dims.split("x")]
    x = torch.randn(shape, dtype=torch.float32, requires_grad=True)
    dy = torch.randn(shape, dtype=torch.float32)
    pshape = [shape[1]] if args.op in ("group", "batch") else [shape[-1]]
    gamma = torch.randn(pshape, dtype=torch.float32, requires_grad=True)
    beta = torch.randn(pshape, dtype=torch.float32, requires_grad=True)

    if args.op == "group":
        groups = int(suffix[1:])
        run = lambda: F.group_norm(x, groups, gamma, beta, 1e-5)
        params = (x, gamma, beta)
    elif args.op == "layer":
        run = lambda: F.layer_norm(x, pshape, gamma, beta, 1e-5)
        params = (x, gamma, beta)
    elif args.op == "batch":
        run = lambda: F.batch_norm(x, None, None, gamma, beta, True, 0.1, 1e-5)
        params = (x, gamma, beta)
    else:
        eps = torch.finfo(torch.float32).eps
        run = lambda: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * gamma
        params = (x, gamma)

    def forward():
        with torch.no_grad():
            run()

    y = run()

    def backward():
        torch.autograd.grad(y, params, dy, retain_graph=True)

    fwd = timings_us(forward, args.seconds, 5)
    bwd = timings_us(backward, args.seconds, 5)
    print(json.dumps({"op": args.op, "shape": args.shape, "threads": args.threads, "torch": torch.__version__,
                      "forward_us": fwd[0], "forward_p10_us": fwd[1], "forward_p90_us": fwd[2],
                      "backward_us": bwd[0], "backward_p10_us": bwd[1], "backward_p90_us": bwd[2]}))


if __name__ == "__main__":
    main()
