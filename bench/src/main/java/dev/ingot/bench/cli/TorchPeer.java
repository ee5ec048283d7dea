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
    private static final Pattern FORWARD = Pattern.compile("\"forward_us\":\\s*([0-9.eE+-]+)");
    private static final Pattern BACKWARD = Pattern.compile("\"backward_us\":\\s*([0-9.eE+-]+)");

    /** Median microseconds of one forward and one backward. */
    record Times(double forwardMicros, double backwardMicros) {
    }

    private final Path script;
    private final double seconds;

    private TorchPeer(Path script, double seconds) {
        this.script = script;
        this.seconds = seconds;
    }

    /** The peer when {@code python3-torch} and the timing script are there, else null. */
    static TorchPeer findOrNull(Path projectHome, double seconds) {
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
            return probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0 ? new TorchPeer(script, seconds) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    Times measure(String shape, int threads) {
        ProcessBuilder builder = new ProcessBuilder(List.of(PYTHON, script.toString(), "--shape", shape,
                "--threads", Integer.toString(threads), "--seconds", Double.toString(seconds)));
        builder.environment().putAll(TUNED_MALLOC);
        builder.redirectErrorStream(true);
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("PyTorch timing failed for " + shape + ": " + output.strip());
            }
            return new Times(number(FORWARD, output), number(BACKWARD, output));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + PYTHON + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while timing PyTorch", e);
        }
    }

    private static double number(Pattern pattern, String output) {
        Matcher matcher = pattern.matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException("unexpected output of the PyTorch timer: " + output.strip());
        }
        return Double.parseDouble(matcher.group(1));
    }
}
