package dev.ingot.bench.cli;

import java.util.Map;

/**
 * One line of the {@code ingot bench} table: medians in microseconds for one shape and thread count, and the
 * PyTorch backward (glibc malloc tuned) when it was measured.
 *
 * @param torchBackwardMicros PyTorch's median, or NaN when PyTorch was not run
 */
record BenchRow(String shape, int threads, long elements, double backwardMicros, double inPlaceMicros,
                double forwardMicros, double triadMicros, double torchBackwardMicros, double torchForwardMicros) {

    /** Bytes the backward must move per element: read x and dy, write dx (float32). */
    static final int BACKWARD_BYTES_PER_ELEMENT = 12;

    static BenchRow of(String shape, int threads, long elements, Map<String, Double> medians,
                       TorchPeer.Times torch) {
        return new BenchRow(shape, threads, elements, medians.get(KernelSuite.BACKWARD),
                medians.get(KernelSuite.IN_PLACE), medians.get(KernelSuite.FORWARD), medians.get(KernelSuite.TRIAD),
                torch == null ? Double.NaN : torch.backwardMicros(), torch == null ? Double.NaN : torch.forwardMicros());
    }

    /** Effective bandwidth of the backward at 12 bytes per element, in GB/s. */
    double backwardGigabytesPerSecond() {
        return gigabytesPerSecond(backwardMicros);
    }

    /** Bandwidth the triad reached on the same traffic, in GB/s: the roof. */
    double triadGigabytesPerSecond() {
        return gigabytesPerSecond(triadMicros);
    }

    /** The backward's speed as a share of the triad's, in percent. */
    double percentOfTriad() {
        return 100 * triadMicros / backwardMicros;
    }

    private double gigabytesPerSecond(double micros) {
        return elements * (double) BACKWARD_BYTES_PER_ELEMENT / (micros * 1e-6) / 1e9;
    }
}
