package dev.ingot.bench.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One line of the {@code ingot bench} report: the samples of each benchmark in microseconds for one shape and
 * thread count, and PyTorch's (glibc malloc tuned) when it was measured. Immutable.
 *
 * @param torchBackward PyTorch's backward, or null when PyTorch was not run
 * @param torchForward  PyTorch's forward, or null when PyTorch was not run
 */
record BenchRow(String shape, int threads, long elements, Samples backward, Samples inPlace, Samples forward,
                Samples triad, Samples torchBackward, Samples torchForward) {

    /** Bytes the backward must move per element: read x and dy, write dx (float32). */
    static final int BACKWARD_BYTES_PER_ELEMENT = 12;

    static BenchRow of(String shape, int threads, long elements, Map<String, Samples> ingot, TorchPeer.Times torch) {
        return new BenchRow(shape, threads, elements, ingot.get(KernelSuite.BACKWARD), ingot.get(KernelSuite.IN_PLACE),
                ingot.get(KernelSuite.FORWARD), ingot.get(KernelSuite.TRIAD),
                torch == null ? null : torch.backward(), torch == null ? null : torch.forward());
    }

    boolean hasTorch() {
        return torchBackward != null;
    }

    /** Effective bandwidth of the backward at 12 bytes per element, in GB/s (the fastest sample is the largest). */
    Samples backwardGigabytesPerSecond() {
        return gigabytesPerSecond(backward);
    }

    /** Bandwidth the triad reached on the same traffic, in GB/s: the roof. */
    Samples triadGigabytesPerSecond() {
        return gigabytesPerSecond(triad);
    }

    /** PyTorch's backward bandwidth, in GB/s; null when PyTorch was not run. */
    Samples torchBackwardGigabytesPerSecond() {
        return torchBackward == null ? null : gigabytesPerSecond(torchBackward);
    }

    /** The backward's median speed as a share of the triad's, in percent. */
    double percentOfTriad() {
        return 100 * triad.median() / backward.median();
    }

    /**
     * Above 100% the triad ran slower than the backward on the same traffic, so it is no roof at this size: its
     * data, or the backward's, stayed in cache, or one of the runs was disturbed.
     */
    boolean aboveRoof() {
        return percentOfTriad() > 100;
    }

    /** PyTorch's median backward over ingot's; NaN when PyTorch was not run. */
    double backwardSpeedup() {
        return torchBackward == null ? Double.NaN : torchBackward.median() / backward.median();
    }

    /** PyTorch's median forward over ingot's; NaN when PyTorch was not run. */
    double forwardSpeedup() {
        return torchForward == null ? Double.NaN : torchForward.median() / forward.median();
    }

    /** Whether the backward speed-up rests on unstable samples (an outlier on either side) and is not quoted. */
    boolean backwardSpeedupUnstable() {
        return hasTorch() && (torchBackward.unstable() || backward.unstable());
    }

    /** Whether the forward speed-up rests on unstable samples and is not quoted. */
    boolean forwardSpeedupUnstable() {
        return hasTorch() && (torchForward.unstable() || forward.unstable());
    }

    /** Short notes on what in this row must not be quoted as is, empty when nothing. */
    List<String> flags() {
        List<String> flags = new ArrayList<>();
        for (Map.Entry<String, Samples> value : Map.of("backward", backward, "in place", inPlace, "forward", forward,
                "triad", triad).entrySet()) {
            if (value.getValue().unstable()) {
                flags.add(value.getKey() + " unstable");
            }
        }
        if (hasTorch() && torchBackward.unstable()) {
            flags.add("PyTorch backward unstable");
        }
        if (hasTorch() && torchForward.unstable()) {
            flags.add("PyTorch forward unstable");
        }
        if (aboveRoof()) {
            flags.add("above the triad");
        }
        flags.sort(null);
        return flags;
    }

    private Samples gigabytesPerSecond(Samples micros) {
        double bytes = elements * (double) BACKWARD_BYTES_PER_ELEMENT;
        return micros.map(us -> bytes / (us * 1e-6) / 1e9);
    }
}
