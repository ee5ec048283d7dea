package dev.ingot.bench.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch's CPU {@code F.instance_norm}, timed by {@code bench/scripts/torch_instance_norm.py} under Debian's
 * {@code python3-torch}, with glibc malloc tuned not to return memory (its fair, fast setting). Optional: when
 * PyTorch is not installed the bench table simply has no PyTorch columns.
 */
final class TorchPeer {
    private static final String PYTHON = "/usr/bin/python3";
    private static final Map<String, String> TUNED_MALLOC = Map.of(
            "MALLOC_MMAP_THRESHOLD_", Long.toString(1L << 30),
            "MALLOC_TRIM_THRESHOLD_", Long.toString(1L << 40),
            "MALLOC_TOP_PAD_", Long.toString(1L << 30));
    private static final Pattern FORWARD = Pattern.compile("\"forward_rounds_us\":\\s*\\[([^\\]]*)\\]");
    private static final Pattern BACKWARD = Pattern.compile("\"backward_rounds_us\":\\s*\\[([^\\]]*)\\]");

    /** Microseconds of one forward and one backward, one sample per timing round. */
    record Times(Samples forward, Samples backward) {
    }

    private final Path script;
    private final double seconds;
    private final int rounds;

    private TorchPeer(Path script, double seconds, int rounds) {
        this.script = script;
        this.seconds = seconds;
        this.rounds = rounds;
    }

    /**
     * The peer when {@code python3-torch} and the timing script are there, else null; each pass is timed for
     * {@code seconds}, split into {@code rounds} samples.
     */
    static TorchPeer findOrNull(Path projectHome, double seconds, int rounds) {
        if (projectHome == null) {
            return null;
        }
        Path script = projectHome.resolve("bench/scripts/torch_instance_norm.py");
        if (!Files.isRegularFile(script) || !Files.isExecutable(Path.of(PYTHON))) {
            return null;
        }
        try {
            Process probe = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            return probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0 ? new TorchPeer(script, seconds, rounds) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    Times measure(String shape, int threads) {
        ProcessBuilder builder = new ProcessBuilder(List.of(PYTHON, script.toString(), "--shape", shape,
                "--threads", Integer.toString(threads), "--seconds", Double.toString(seconds),
                "--rounds", Integer.toString(rounds)));
        builder.environment().putAll(TUNED_MALLOC);
        builder.redirectErrorStream(true);
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("PyTorch timing failed for " + shape + ": " + output.strip());
            }
            return parse(output);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + PYTHON + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while timing PyTorch", e);
        }
    }

    /** The samples of one pass from the script's JSON line. */
    static Samples samples(Pattern pattern, String output) {
        Matcher matcher = pattern.matcher(output);
        if (!matcher.find() || matcher.group(1).isBlank()) {
            throw new IllegalStateException("unexpected output of the PyTorch timer: " + output.strip());
        }
        String[] numbers = matcher.group(1).split(",");
        double[] values = new double[numbers.length];
        for (int i = 0; i < numbers.length; i++) {
            values[i] = Double.parseDouble(numbers[i].strip());
        }
        return Samples.of(values);
    }

    /** Parses the script's JSON line (package-private for the tests). */
    static Times parse(String output) {
        return new Times(samples(FORWARD, output), samples(BACKWARD, output));
    }
}
