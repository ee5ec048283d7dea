package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IngotCliTest {

    @Test
    void helpListsEverySubcommand() {
        CliRun run = CliRun.of("--help");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().contains("demo"), run.out());
        assertTrue(run.out().contains("jmh"), run.out());
    }

    @Test
    void helpNeverSplitsAFileName() {
        CliRun run = CliRun.of("instance-norm", "--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("dx.npy"), run.out());
        assertTrue(!run.out().matches("(?s).*\\.\\s*\\n\\s*npy.*"), "a name cut at its dot: " + run.out());
    }

    @Test
    void versionNamesTheReleaseKernelsJdkAndCores() {
        CliRun run = CliRun.of("--version");
        assertEquals(0, run.exitCode(), run.err());
        java.util.List<String> lines = run.out().lines().toList();
        assertTrue(lines.getFirst().matches("ingot \\d+\\.\\d+\\.\\d+.*"), run.out());
        assertTrue(!run.out().contains("development build"), run.out());
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("kernels: vector")
                || line.startsWith("kernels: scalar")), run.out());
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("JDK " + Runtime.version())), run.out());
        assertTrue(run.out().contains("cores: " + Runtime.getRuntime().availableProcessors() + " "), run.out());
    }

    @Test
    void unknownSubcommandIsAUsageErrorInTwoLines() {
        CliRun run = CliRun.of("no-such-command");
        assertEquals(2, run.exitCode());
        assertEquals(2, run.errLines().size(), run.err());
        assertTrue(run.errLines().getFirst().contains("no-such-command"), run.err());
        assertTrue(run.out().isEmpty(), run.out());
    }

    @Test
    void unknownOptionNamesTheOption() {
        CliRun run = CliRun.of("demo", "--no-such-option");
        assertEquals(2, run.exitCode());
        assertTrue(run.errLines().getFirst().contains("--no-such-option"), run.err());
    }

    @Test
    void demoTrainsThenShowsReusePlanningLimitAndLeak() {
        CliRun run = CliRun.of("demo");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("step  200  loss"), run.out());
        assertTrue(run.out().contains("Gradient check") && run.out().contains("passed"), run.out());
        assertTrue(run.out().contains("Java heap allocated per step"), run.out());
        assertTrue(run.out().contains("reuse rate"), run.out());
        assertTrue(run.out().contains("lower bound"), run.out());
        assertTrue(run.out().contains("refused"), run.out());
        assertTrue(run.out().contains("1 live chunk(s), 65536 bytes"), run.out());
        assertTrue(run.out().contains("forgetAChunk"), "the leak names its allocation site: " + run.out());
        assertTrue(run.out().contains("logged at WARNING: allocator 'leaky' closed with 1 live chunk(s)"), run.out());
    }

    @Test
    void demoRefusesBadOptions() {
        for (String[] args : new String[][] {{"--steps", "0"}, {"--threads", "0"}, {"--shape", "4x32"},
                {"--shape", "4x0x3x3"}}) {
            CliRun run = CliRun.of("demo", args[0], args[1]);
            assertEquals(2, run.exitCode(), run.err());
            assertEquals(1, run.errLines().size(), run.err());
            assertTrue(run.err().contains(args[0]) || run.err().contains("shape"), run.err());
        }
    }
}
