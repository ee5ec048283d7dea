package dev.ingot.bench.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Where and how an {@code ingot bench} report was measured: machine, JDK, date, commit and run settings, for the
 * chart's caption and the JSON file. Immutable.
 *
 * @param cpu         the CPU model from {@code /proc/cpuinfo}, or "unknown CPU"
 * @param cores       the cores this JVM sees
 * @param memoryBytes the machine's memory, or 0 when unknown
 * @param jdk         the JDK's version and vendor
 * @param date        when the run started, UTC, to the minute
 * @param commit      the project's git commit (with "-dirty" for local changes), or "unknown commit"
 * @param forks       JMH forks per benchmark
 * @param warmups     warm-up iterations per fork
 * @param iterations  measured iterations per fork
 * @param iterationMillis length of one iteration
 */
record BenchContext(String cpu, int cores, long memoryBytes, String jdk, String date, String commit, int forks,
                    int warmups, int iterations, long iterationMillis) {

    static BenchContext current(Path projectHome, int forks, int warmups, int iterations, long iterationMillis) {
        return new BenchContext(cpuModel(), Runtime.getRuntime().availableProcessors(), machineMemoryBytes(),
                Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")",
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
                commit(projectHome), forks, warmups, iterations, iterationMillis);
    }

    /** Samples behind each ingot value. */
    int samplesPerValue() {
        return forks * iterations;
    }

    /** One line naming the machine, JDK, date and commit. */
    String caption() {
        String memory = memoryBytes > 0 ? String.format(Locale.ROOT, ", %.0f GiB", memoryBytes / (double) (1L << 30))
                : "";
        return cpu + ", " + cores + " cores" + memory + "; JDK " + jdk + "; " + date + "; commit " + commit;
    }

    /** One line naming how each value was measured. */
    String method() {
        return "median and min-max of " + samplesPerValue() + " samples: " + forks + " fork(s) x " + iterations
                + " iteration(s) of " + iterationMillis + " ms after " + warmups + " warm-up(s)";
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip().replaceAll("\\s+", " ");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the caption says so
        }
        return "unknown CPU";
    }

    private static long machineMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    private static String commit(Path projectHome) {
        if (projectHome == null) {
            return "unknown commit";
        }
        try {
            String head = git(projectHome, "rev-parse", "--short=12", "HEAD");
            String changes = git(projectHome, "status", "--porcelain", "--untracked-files=no");
            return head == null ? "unknown commit" : head + (changes == null || changes.isEmpty() ? "" : "-dirty");
        } catch (IOException e) {
            return "unknown commit";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown commit";
        }
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 3];
        command[0] = "git";
        command[1] = "-C";
        command[2] = dir.toString();
        System.arraycopy(args, 0, command, 3, args.length);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return null;
        }
        return process.exitValue() == 0 ? output : null;
    }
}
