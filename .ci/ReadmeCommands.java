import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs every command of README.md's bash blocks once, in a short form, from the project root: `java
 * .ci/ReadmeCommands.java`. Each command must match one rule below (a README command without one fails the run, so
 * a new command gets its short form here); a rule gives the short form, or says why the command is skipped.
 * Variable assignments in a block (G=...) are kept for the block's later commands.
 */
public class ReadmeCommands {
    record Rule(Pattern command, String shortForm, String skipUnless, String why) {
        static Rule run(String regex, String shortForm) {
            return new Rule(Pattern.compile(regex), shortForm, null, null);
        }

        static Rule skip(String regex, String why) {
            return new Rule(Pattern.compile(regex), null, null, why);
        }

        static Rule runIf(String regex, String shortForm, String condition, String why) {
            return new Rule(Pattern.compile(regex), shortForm, condition, why);
        }
    }

    static final String TORCH = "/usr/bin/python3 -c 'import torch' >/dev/null 2>&1";
    static final String LIBTORCH = "[ \"${INGOT_README_LIBTORCH:-}\" = 1 ]";
    static final String LIBTORCH_WHY = "downloads LibTorch (~112 MB, then ~430 MB unpacked); INGOT_README_LIBTORCH=1 runs it";

    static final List<Rule> RULES = List.of(
            Rule.skip("\\./mvnw verify", "the build itself, run just before"),
            Rule.run("\\./ingot demo", "./ingot demo --steps 20"),
            Rule.run("\\./ingot instance-norm (.*) --out /tmp/in-out", "./ingot instance-norm $1 --out \"$TMP/in-out\""),
            Rule.run("\\./ingot norm (.*) --out /tmp/gn-out", "./ingot norm $1 --out \"$TMP/gn-out\""),
            Rule.run("\\./ingot norm (.*) --out /tmp/ln-out", "./ingot norm $1 --out \"$TMP/ln-out\""),
            Rule.run("\\./ingot jmh -l", "./ingot jmh -l"),
            Rule.run("\\./ingot run dev\\.ingot\\.bench\\.IdleReturnHarness",
                    "./ingot run dev.ingot.bench.IdleReturnHarness 64 1"),
            Rule.run("MALLOC_MMAP_THRESHOLD_=131072 \\./ingot run dev\\.ingot\\.bench\\.IdleReturnHarness",
                    "MALLOC_MMAP_THRESHOLD_=131072 ./ingot run dev.ingot.bench.IdleReturnHarness 64 1"),
            Rule.run("\\./ingot run dev\\.ingot\\.bench\\.AdmissionHarness 1x64x56x56 3",
                    "./ingot run dev.ingot.bench.AdmissionHarness 2x4x8x8 1 pair"),
            Rule.run("\\./ingot run dev\\.ingot\\.bench\\.AdmissionHarness 1x64x56x56 1 warm",
                    "./ingot run dev.ingot.bench.AdmissionHarness 2x4x8x8 1 warm"),
            Rule.run("\\./ingot run dev\\.ingot\\.bench\\.AdmissionHarness 1x64x56x56 2 split",
                    "./ingot run dev.ingot.bench.AdmissionHarness 2x4x8x8 1 split"),
            Rule.run("\\./ingot jmh PipelineRunBench .*",
                    "./ingot jmh PipelineRunBench -p mode=DEFERRED -p parallel=false -p runEvents=true -f 1 -wi 1"
                            + " -i 1 -w 100ms -r 100ms"),
            Rule.run("\\./ingot jmh AllocatorBench -prof gc",
                    "./ingot jmh 'AllocatorBench.pooled$' -prof gc -p size=65536 -f 1 -wi 1 -i 1 -w 100ms -r 100ms"),
            Rule.run("\\./ingot bench --chart bench\\.png",
                    "./ingot bench --shapes 1x64x56x56 --threads 1 --forks 1 --warmups 1 --iterations 2"
                            + " --iteration-ms 50 --no-torch --chart \"$TMP/bench.png\" --csv \"$TMP/bench.csv\""
                            + " --json \"$TMP/bench.json\""),
            Rule.runIf("bench/scripts/compare_pytorch\\.py",
                    "bench/scripts/compare_pytorch.py --quick --shapes 1x64x56x56 --threads 1", TORCH,
                    "needs Debian's python3-torch (the script would install it)"),
            Rule.runIf("\\./mvnw -B -Plibtorch -DskipTests package", "./mvnw -q -B -Plibtorch -DskipTests package",
                    LIBTORCH, LIBTORCH_WHY),
            Rule.runIf("INGOT_JAVA_OPTS=-Djmh\\.ignoreLock=true \\./ingot jmh --jar "
                            + "bench/libtorch/target/libtorch-benchmarks\\.jar LibTorchInstanceNormBench (.*)",
                    "INGOT_JAVA_OPTS=-Djmh.ignoreLock=true ./ingot jmh --jar bench/libtorch/target/libtorch-benchmarks.jar"
                            + " LibTorchInstanceNormBench -p shape=1x64x56x56 -p threads=1 -f 1 -wi 1 -i 1 -w 100ms"
                            + " -r 100ms", LIBTORCH, LIBTORCH_WHY));

    /** A block that starts a server in the background runs whole (see main). */
    static final Pattern SERVER_BLOCK = Pattern.compile("\\./ingot serve .*&");

    static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    public static void main(String[] args) throws Exception {
        Path readme = Path.of("README.md");
        List<List<String>> blocks = bashBlocks(Files.readAllLines(readme, StandardCharsets.UTF_8));
        Path tmp = Files.createTempDirectory("readme-commands");
        int ok = 0;
        int failed = 0;
        int skipped = 0;
        for (List<String> block : blocks) {
            if (!block.isEmpty() && SERVER_BLOCK.matcher(block.getFirst()).matches()) {
                // A server in the background and requests to it: the block runs as written, as one script, in a
                // process group of its own that is ended afterwards (the server with it).
                String script = "set -e\n" + String.join("\n", block);
                long start = System.nanoTime();
                Path log = tmp.resolve("block-" + (ok + failed + skipped) + ".log");
                int code = bash("exec setsid bash -c " + quote(script) + " & pid=$!; wait $pid; code=$?;"
                        + " kill -TERM -- -$pid 2>/dev/null; sleep 1; kill -KILL -- -$pid 2>/dev/null; exit $code",
                        tmp, log, 600);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (code == 0) {
                    System.out.printf("ok       %s  (the whole block, %.0f s)%n", block.getFirst(), seconds);
                    ok++;
                } else {
                    System.out.printf("FAILED   %s  (the whole block: exit %d, %.0f s); its output:%n",
                            block.getFirst(), code, seconds);
                    Files.readAllLines(log).forEach(line -> System.out.println("         " + line));
                    failed++;
                }
                continue;
            }
            List<String> assignments = new ArrayList<>();
            for (String command : block) {
                if (command.matches("[A-Za-z_][A-Za-z0-9_]*=\\S+")) {
                    assignments.add(command);
                    continue;
                }
                Rule rule = RULES.stream().filter(r -> r.command().matcher(command).matches()).findFirst()
                        .orElse(null);
                if (rule == null) {
                    System.out.println("FAILED   " + command + "\n         no short form for this README command"
                            + " in .ci/ReadmeCommands.java");
                    failed++;
                    continue;
                }
                if (rule.shortForm() == null || (rule.skipUnless() != null && bash(rule.skipUnless(), tmp, 60) != 0)) {
                    System.out.println("skipped  " + command + "\n         " + rule.why());
                    skipped++;
                    continue;
                }
                Matcher matched = rule.command().matcher(command);
                matched.matches();
                String shortForm = matched.groupCount() == 0 ? rule.shortForm()
                        : rule.shortForm().replace("$1", matched.group(1));
                String script = "TMP='" + tmp + "'\n" + String.join("\n", assignments) + "\n" + shortForm;
                long start = System.nanoTime();
                Path log = tmp.resolve("command-" + (ok + failed + skipped) + ".log");
                int code = bash(script, tmp, log, 1200);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (code == 0) {
                    System.out.printf("ok       %s  (%.0f s)%n", shortForm, seconds);
                    ok++;
                } else {
                    System.out.printf("FAILED   %s  (exit %d, %.0f s); its output:%n", shortForm, code, seconds);
                    Files.readAllLines(log).forEach(line -> System.out.println("         " + line));
                    failed++;
                }
            }
        }
        System.out.printf("README commands: %d ran fine, %d did not, %d skipped%n", ok, failed, skipped);
        System.exit(failed == 0 && ok > 0 ? 0 : 1);
    }

    /** The logical lines of each ```bash block: continuations joined, comments and blank lines dropped. */
    static List<List<String>> bashBlocks(List<String> lines) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        StringBuilder pending = new StringBuilder();
        for (String line : lines) {
            if (current == null) {
                if (line.strip().equals("```bash")) {
                    current = new ArrayList<>();
                }
                continue;
            }
            if (line.strip().equals("```")) {
                blocks.add(current);
                current = null;
                continue;
            }
            String text = line.replaceFirst("\\s+#.*$", "").replaceFirst("^#.*$", "");
            if (text.endsWith("\\")) {
                pending.append(text, 0, text.length() - 1).append(' ');
                continue;
            }
            pending.append(text);
            String command = pending.toString().strip().replaceAll("\\s+", " ");
            pending.setLength(0);
            if (!command.isEmpty()) {
                current.add(command);
            }
        }
        return blocks;
    }

    static int bash(String script, Path tmp, int timeoutSeconds) throws IOException, InterruptedException {
        return bash(script, tmp, tmp.resolve("probe.log"), timeoutSeconds);
    }

    static int bash(String script, Path tmp, Path log, int timeoutSeconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return 124;
        }
        return process.exitValue();
    }
}
