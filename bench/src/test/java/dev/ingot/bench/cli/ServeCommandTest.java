package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ingot serve}'s bad input: exit code 2, one line on stderr, nothing started. */
class ServeCommandTest {

    @Test
    void badOptionsExitWithTwoAndOneLine() {
        assertEquals(List.of("serve: --port: expected 0 to 65535, got 99999"),
                checkedBadInput("serve", "--port", "99999"));
        assertEquals(List.of("serve: --threads: expected 1 to 1024, got 0"), checkedBadInput("serve", "--threads", "0"));
        assertEquals(List.of("serve: shape: expected positive sizes joined by 'x' like 8x64x64x64, got '1x0x3'"),
                checkedBadInput("serve", "--warm", "1x0x3"));
    }

    @Test
    void aPortInUseIsBadInputToo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<String> err = checkedBadInput("serve", "--port", Integer.toString(taken.getLocalPort()));
            assertTrue(err.get(0).startsWith("serve: "), err.toString());
        }
    }

    private static List<String> checkedBadInput(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.errLines().size() <= 3, run.err());
        return run.errLines();
    }
}
