#!/usr/bin/env python3
"""Side by side: ingot's normalization kernels (JMH) against PyTorch's CPU ops on the same shapes.

--op instance (default) compares InstanceNorm with F.instance_norm; --op group|layer|batch|rms compares
GroupNormGradBench, LayerNormGradBench, BatchNormGradBench or RmsNormGradBench with F.group_norm, F.layer_norm,
F.batch_norm (training) or RMSNorm in torch ops (torch_norm.py), on the shapes of the issue by default.

For every shape and thread count it alternates: PyTorch as is, PyTorch with glibc malloc tuned not to hand memory
back (which removes its page-fault churn on large outputs), then ingot's JMH benchmarks (backward, forward, triad),
and prints one table of medians. LibTorch 2.7 through DJL (backward, forward, and ingot's backward speed-up over it)
joins when bench/libtorch/target/libtorch-benchmarks.jar exists (built with ./mvnw -B -Plibtorch -DskipTests package).

Usage: bench/scripts/compare_pytorch.py [--op instance|group|layer|batch|rms] [--shapes 1x64x56x56,...]
       [--threads 1,2] [--quick] [--ignore-jmh-lock]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-torch installs here, not into other interpreters
SHAPES = ["1x64x56x56", "8x64x64x64", "4x32x1024", "2x16x16x32x32", "8x128x128x128", "1x3x512x512", "16x256x32x32"]
TUNED_MALLOC = {
    "MALLOC_MMAP_THRESHOLD_": str(1 << 30),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 40),
    "MALLOC_TOP_PAD_": str(1 << 30),
}
BYTES_PER_ELEMENT = 12  # backward reads x and dy and writes dx, float32
OP_SHAPES = {
    "group": ["8x256x32x32:g32", "2x512x64x64:g32"],
    "layer": ["4096x1024", "64x197x768"],
    "batch": ["32x64x56x56", "256x256x7x7"],
    "rms": ["4096x4096"],
}
OP_BENCH = {"group": "GroupNormGradBench", "layer": "LayerNormGradBench", "batch": "BatchNormGradBench",
            "rms": "RmsNormGradBench"}


def ensure_torch():
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import torch"], capture_output=True)
    if probe.returncode == 0:
        return
    print("python3-torch is missing; installing it with apt-get ...", file=sys.stderr)
    apt = ["apt-get", "install", "-y", "-q", "python3-torch", "python3-numpy"]
    if os.geteuid() != 0:
        apt = ["sudo"] + apt
    subprocess.run(apt, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def find_java():
    finder = ROOT / ".mvn" / "find-jdk.sh"
    out = subprocess.run(["bash", "-c", f'. "{finder}" && ingot_find_jdk && echo "$JAVA_HOME"'],
                         capture_output=True, text=True, check=True)
    return str(Path(out.stdout.strip()) / "bin" / "java")


def torch_times(shape, threads, tuned, seconds):
    env = dict(os.environ)
    if tuned:
        env.update(TUNED_MALLOC)
    script = Path(__file__).with_name("torch_instance_norm.py")
    out = subprocess.run([SYSTEM_PYTHON, str(script), "--shape", shape, "--threads", str(threads),
                          "--seconds", str(seconds)], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def jmh_medians(java, jar, pattern, shape, threads, quick, ignore_lock=False):
    """Median of the measured iterations of each benchmark matching pattern, in microseconds."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "jmh.json"
        iterations = ["-wi", "2", "-i", "3", "-w", "1s", "-r", "1s"] if quick else ["-wi", "4", "-i", "7"]
        lock = ["-Djmh.ignoreLock=true"] if ignore_lock else []
        cmd = [java] + lock + ["--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-jar", str(jar),
               pattern, "-p", f"shape={shape}", "-p", f"threads={threads}", "-f", "1", "-tu", "us", "-bm", "avgt",
               "-rf", "json", "-rff", str(result)] + iterations
        run_jmh(cmd)
        medians = {}
        for entry in json.loads(result.read_text()):
            name = entry["benchmark"].rsplit(".", 2)[-2] + "." + entry["benchmark"].rsplit(".", 1)[-1]
            raw = [score for fork in entry["primaryMetric"]["rawData"] for score in fork]
            medians[name] = statistics.median(raw)
            medians[name + ".min"] = min(raw)
            medians[name + ".max"] = max(raw)
        return medians


def run_jmh(cmd, attempts=20, wait_seconds=30):
    """Runs JMH; while another JMH run on this machine holds its lock, waits and tries again."""
    for attempt in range(attempts):
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode == 0:
            return
        if "lock" not in (done.stdout + done.stderr).lower() or attempt == attempts - 1:
            sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
            raise subprocess.CalledProcessError(done.returncode, cmd)
        print(f"JMH lock taken by another run; retrying in {wait_seconds} s", file=sys.stderr, flush=True)
        time.sleep(wait_seconds)


def op_torch_times(op, shape, threads, tuned, seconds):
    env = dict(os.environ)
    if tuned:
        env.update(TUNED_MALLOC)
    script = Path(__file__).with_name("torch_norm.py")
    out = subprocess.run([SYSTEM_PYTHON, str(script), "--op", op, "--shape", shape, "--threads", str(threads),
                          "--seconds", str(seconds)], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare_op(args, java, jar, seconds):
    """One table for GroupNorm, LayerNorm, BatchNorm or RMSNorm: torch as is and tuned, ingot's JMH medians.

    Spreads: [10th-90th percentile] of PyTorch's calls, [min-max] of ingot's JMH iterations. GB/s is the
    backward's effective bandwidth (12 bytes per element: x and dy read, dx written); "% triad" is the time of
    StreamBench.triad over the same number of floats divided by the backward's (100% = the triad's speed).
    """
    header = ("shape", "thr", "torch bwd us", "torch tuned bwd us", "ingot bwd us", "vs tuned", "GB/s",
              "triad us", "% triad", "torch tuned fwd us", "ingot fwd us", "fwd speed-up")
    bench = OP_BENCH[args.op]
    shapes = args.shapes.split(",") if args.shapes else OP_SHAPES[args.op]
    load_before = f"{os.getloadavg()[0]:.2f}"
    rows = []
    for shape in shapes:
        for threads in [int(t) for t in args.threads.split(",")]:
            print(f"{args.op} {shape} x {threads} thread(s) ...", file=sys.stderr, flush=True)
            as_is = op_torch_times(args.op, shape, threads, False, seconds)
            tuned = op_torch_times(args.op, shape, threads, True, seconds)
            ingot = jmh_medians(java, jar, bench, shape, threads, args.quick, args.ignore_jmh_lock)
            plain = shape.split(":")[0]
            stream = jmh_medians(java, jar, "StreamBench", plain, threads, args.quick, args.ignore_jmh_lock)
            triad = stream["StreamBench.triad"]
            backward = ingot[bench + ".backward"]
            forward = ingot[bench + ".forward"]
            gbps = elements(plain) * BYTES_PER_ELEMENT / (backward * 1e-6) / 1e9
            torch_spread = lambda t, kind: f"{t[kind + '_us']:.0f} [{t[kind + '_p10_us']:.0f}-{t[kind + '_p90_us']:.0f}]"
            ingot_spread = lambda name: f"{ingot[name]:.0f} [{ingot[name + '.min']:.0f}-{ingot[name + '.max']:.0f}]"
            rows.append((shape, threads, f"{as_is['backward_us']:.0f}", torch_spread(tuned, "backward"),
                         ingot_spread(bench + ".backward"), f"{tuned['backward_us'] / backward:.2f}x", f"{gbps:.1f}",
                         f"{triad:.0f}", f"{100 * triad / backward:.0f}%", torch_spread(tuned, "forward"),
                         ingot_spread(bench + ".forward"), f"{tuned['forward_us'] / forward:.2f}x"))
    print_table(header, rows)
    print(f"load average before / after: {load_before} / {os.getloadavg()[0]:.2f}")


def elements(shape):
    count = 1
    for dim in shape.split("x"):
        count *= int(dim)
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--op", default="instance", choices=["instance", "group", "layer", "batch", "rms"])
    parser.add_argument("--shapes", default=None, help="comma-separated; default: the op's shapes")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--quick", action="store_true", help="shorter runs, wider error")
    parser.add_argument("--ignore-jmh-lock", action="store_true",
                        help="run even while another JMH run holds its lock (noisier numbers)")
    args = parser.parse_args()

    ensure_torch()
    java = find_java()
    jar = ROOT / "bench" / "target" / "benchmarks.jar"
    if not jar.exists():
        subprocess.run([str(ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package"], cwd=ROOT, check=True)
    libtorch_jar = ROOT / "bench" / "libtorch" / "target" / "libtorch-benchmarks.jar"
    seconds = 1.0 if args.quick else 3.0
    if args.op != "instance":
        compare_op(args, java, jar, seconds)
        return
    args.shapes = args.shapes or ",".join(SHAPES)

    header = ("shape", "thr", "torch bwd us", "torch tuned", "ingot bwd us", "vs tuned", "GB/s", "% triad",
              "in-place us", "torch tuned fwd us", "ingot fwd us", "fwd speed-up", "libtorch bwd us", "vs libtorch",
              "libtorch fwd us")
    rows = []
    for shape in args.shapes.split(","):
        for threads in [int(t) for t in args.threads.split(",")]:
            print(f"{shape} x {threads} thread(s) ...", file=sys.stderr, flush=True)
            as_is = torch_times(shape, threads, False, seconds)
            tuned = torch_times(shape, threads, True, seconds)
            ingot = jmh_medians(java, jar, "InstanceNorm(Grad)?Bench|StreamBench", shape, threads, args.quick,
                                args.ignore_jmh_lock)
            backward = ingot["InstanceNormGradBench.backward"]
            libtorch = ("-", "-", "-")
            if libtorch_jar.exists():
                lt = jmh_medians(java, libtorch_jar, "LibTorchInstanceNormBench", shape, threads, args.quick,
                                 args.ignore_jmh_lock)
                lt_backward = lt["LibTorchInstanceNormBench.backward"]
                libtorch = (f"{lt_backward:.1f}", f"{lt_backward / backward:.2f}x",
                            f"{lt['LibTorchInstanceNormBench.forward']:.1f}")
            triad = ingot["StreamBench.triad"]
            gbps = elements(shape) * BYTES_PER_ELEMENT / (backward * 1e-6) / 1e9
            rows.append((shape, threads, f"{as_is['backward_us']:.1f}", f"{tuned['backward_us']:.1f}",
                         f"{backward:.1f}", f"{tuned['backward_us'] / backward:.2f}x",
                         f"{gbps:.1f}", f"{100 * triad / backward:.0f}%",
                         f"{ingot['InstanceNormGradBench.backwardInPlace']:.1f}",
                         f"{tuned['forward_us']:.1f}",
                         f"{ingot['InstanceNormBench.forward']:.1f}",
                         f"{tuned['forward_us'] / ingot['InstanceNormBench.forward']:.2f}x",
                         *libtorch))
    print_table(header, rows)


def print_table(header, rows):
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


if __name__ == "__main__":
    main()
