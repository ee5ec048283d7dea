#!/usr/bin/env python3
"""Times PyTorch's CPU F.instance_norm forward and autograd backward on one shape.

Prints one JSON line: {"shape": ..., "threads": ..., "forward_us": median, "backward_us": median,
"forward_rounds_us": [...], "backward_rounds_us": [...]}: the time is split into --rounds rounds, each round's
median is one sample (like one JMH iteration), and forward_us / backward_us are the medians of those samples.
Run it in a fresh process per configuration: glibc malloc tuning (MALLOC_* variables) only takes effect at start.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def median_us(fn, min_seconds, min_runs):
    samples = []
    start = time.perf_counter()
    while len(samples) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", required=True, help="e.g. 8x64x64x64")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=2.0, help="minimum measuring time per pass")
    parser.add_argument("--rounds", type=int, default=1, help="samples per pass (the time is split among them)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shape = [int(d) for d in args.shape.split("x")]
    channels = shape[1]
    x = torch.randn(shape, dtype=torch.float32, requires_grad=True)
    gamma = torch.randn(channels, dtype=torch.float32, requires_grad=True)
    beta = torch.randn(channels, dtype=torch.float32, requires_grad=True)
    dy = torch.randn(shape, dtype=torch.float32)

    def forward():
        with torch.no_grad():
            F.instance_norm(x, weight=gamma, bias=beta, eps=1e-5)

    y = F.instance_norm(x, weight=gamma, bias=beta, eps=1e-5)

    def backward():
        torch.autograd.grad(y, (x, gamma, beta), dy, retain_graph=True)

    def rounds_us(fn):
        for _ in range(3):  # warm-up: first calls fault pages in and pick kernels
            fn()
        return [median_us(fn, args.seconds / args.rounds, 3) for _ in range(args.rounds)]

    forward_rounds = rounds_us(forward)
    backward_rounds = rounds_us(backward)
    result = {
        "shape": args.shape,
        "threads": args.threads,
        "torch": torch.__version__,
        "forward_us": statistics.median(forward_rounds),
        "backward_us": statistics.median(backward_rounds),
        "forward_rounds_us": forward_rounds,
        "backward_rounds_us": backward_rounds,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
