package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench report's arithmetic, table and chart, on made-up medians (the suite itself is JMH's to run). */
class BenchReportTest {
    private static final Map<String, Double> MEDIANS = Map.of(KernelSuite.BACKWARD, 120.0, KernelSuite.IN_PLACE,
            100.0, KernelSuite.FORWARD, 80.0, KernelSuite.TRIAD, 96.0);

    @Test
    void bandwidthCountsTwelveBytesPerElement() {
        BenchRow row = BenchRow.of("1x1x1000x1000", 1, 1_000_000, MEDIANS, null);
        assertEquals(100.0, row.backwardGigabytesPerSecond(), 1e-9, "12 MB in 120 us");
        assertEquals(125.0, row.triadGigabytesPerSecond(), 1e-9);
        assertEquals(80.0, row.percentOfTriad(), 1e-9);
    }

    @Test
    void tableHasPyTorchColumnsOnlyWhenMeasured() {
        BenchRow plain = BenchRow.of("1x1x1000x1000", 1, 1_000_000, MEDIANS, null);
        String withoutTorch = table(List.of(plain));
        assertTrue(withoutTorch.contains("| 1x1x1000x1000 |"), withoutTorch);
        assertTrue(withoutTorch.contains("80%"), withoutTorch);
        assertTrue(!withoutTorch.contains("PyTorch"), withoutTorch);

        BenchRow compared = BenchRow.of("1x1x1000x1000", 2, 1_000_000, MEDIANS, new TorchPeer.Times(400, 300));
        String withTorch = table(List.of(plain, compared));
        assertTrue(withTorch.contains("PyTorch bwd us"), withTorch);
        assertTrue(withTorch.contains("2.50x"), "backward speed-up 300/120: " + withTorch);
        assertTrue(withTorch.contains("5.00x"), "forward speed-up 400/80: " + withTorch);
        List<Integer> widths = withTorch.lines().map(String::length).distinct().toList();
        assertEquals(1, widths.size(), "every line of the table is equally wide: " + withTorch);
    }

    @Test
    void chartIsAPngFile(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("bench.png");
        BenchChart.write(file, List.of(BenchRow.of("1x1x1000x1000", 1, 1_000_000, MEDIANS,
                new TorchPeer.Times(400, 300))));
        byte[] head = Arrays.copyOf(Files.readAllBytes(file), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
        assertEquals(List.of(file), Files.list(tmp).toList(), "no partial file left behind");
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingRuns(@TempDir Path tmp) {
        for (String[] args : new String[][] {{"--shapes", "8x64"}, {"--shapes", "8xx64x3"}, {"--threads", "0"},
                {"--iterations", "0"}, {"--chart", tmp.resolve("missing/folder/c.png").toString()}}) {
            String[] full = new String[args.length + 1];
            full[0] = "bench";
            System.arraycopy(args, 0, full, 1, args.length);
            CliRun run = CliRun.of(full);
            assertEquals(2, run.exitCode(), String.join(" ", args) + ": " + run.err());
            assertTrue(run.errLines().size() <= 3, run.err());
            assertTrue(run.err().contains(args[0]) || run.err().contains("shape"), run.err());
        }
    }

    private static String table(List<BenchRow> rows) {
        StringWriter text = new StringWriter();
        BenchTable.print(new PrintWriter(text, true), rows);
        return text.toString();
    }
}
