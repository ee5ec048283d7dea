package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
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

/** The bench report's arithmetic, table, files and chart, on made-up samples (the suite itself is JMH's to run). */
class BenchReportTest {
    private static final Map<String, Samples> STEADY = Map.of(
            KernelSuite.BACKWARD, Samples.of(118, 120, 125, 119),
            KernelSuite.IN_PLACE, Samples.of(100, 101, 99, 100),
            KernelSuite.FORWARD, Samples.of(80, 81, 79, 80),
            KernelSuite.TRIAD, Samples.of(96, 95, 97, 96));
    private static final BenchContext CONTEXT = new BenchContext("Test CPU", 2, 8L << 30, "25 (Test)",
            "2026-01-01 00:00 UTC", "abc123", 2, 2, 2, 200);

    @Test
    void samplesGiveMedianRangeAndStability() {
        Samples samples = Samples.of(3, 1, 2, 10);
        assertEquals(2.5, samples.median());
        assertEquals(1, samples.min());
        assertEquals(10, samples.max());
        assertTrue(samples.unstable(), "10x spread");
        assertFalse(Samples.of(100, 120, 140).unstable(), "1.4x spread");
        Samples bandwidth = Samples.of(100, 200).map(us -> 1000 / us);
        assertEquals(5, bandwidth.min(), 1e-12, "the slowest time is the lowest bandwidth");
        assertEquals(10, bandwidth.max(), 1e-12);
    }

    @Test
    void bandwidthCountsTwelveBytesPerElement() {
        BenchRow row = BenchRow.of("1x1x1000x1000", 1, 1_000_000, STEADY, null);
        assertEquals((12e6 / 119e-6 + 12e6 / 120e-6) / 2 / 1e9, row.backwardGigabytesPerSecond().median(), 1e-9,
                "12 MB in 119 and 120 us, the middle samples");
        assertEquals(12e6 / 125e-6 / 1e9, row.backwardGigabytesPerSecond().min(), 1e-9);
        assertEquals(125.0, row.triadGigabytesPerSecond().median(), 1e-9);
        assertEquals(100 * 96 / 119.5, row.percentOfTriad(), 1e-9);
        assertFalse(row.aboveRoof());
        assertEquals(List.of(), row.flags());
    }

    @Test
    void anOutlierIsFlaggedAndNotTurnedIntoASpeedUp() {
        TorchPeer.Times disturbed = new TorchPeer.Times(Samples.of(400, 410, 405), Samples.of(300, 6000, 7000));
        BenchRow row = BenchRow.of("1x1x1000x1000", 2, 1_000_000, STEADY, disturbed);
        assertTrue(row.backwardSpeedupUnstable());
        assertFalse(row.forwardSpeedupUnstable());
        assertTrue(row.flags().contains("PyTorch backward unstable"), row.flags().toString());
        String table = table(List.of(row));
        assertTrue(table.matches("(?s).*\\s\\?\\s\\|.*"), "no backward speed-up from an unstable PyTorch: " + table);
        assertTrue(table.contains("5.06x"), "forward speed-up 405/80: " + table);
        assertTrue(table.contains("6000 (300-7000)*"), table);
        assertTrue(table.contains("* marks a value"), table);
    }

    @Test
    void aBackwardFasterThanTheTriadIsMarkedAsNoRoof() {
        Map<String, Samples> cached = Map.of(KernelSuite.BACKWARD, Samples.of(50, 51), KernelSuite.IN_PLACE,
                Samples.of(40, 41), KernelSuite.FORWARD, Samples.of(30, 31), KernelSuite.TRIAD, Samples.of(70, 71));
        BenchRow row = BenchRow.of("1x8x16x16", 1, 2048, cached, null);
        assertTrue(row.aboveRoof());
        String table = table(List.of(row));
        assertTrue(table.contains("% ^"), table);
        assertTrue(table.contains("^ marks a backward faster than the triad"), table);
    }

    @Test
    void tableHasPyTorchColumnsOnlyWhenMeasuredAndIsAligned() {
        BenchRow plain = BenchRow.of("1x1x1000x1000", 1, 1_000_000, STEADY, null);
        String withoutTorch = table(List.of(plain));
        assertTrue(withoutTorch.contains("| 1x1x1000x1000 |"), withoutTorch);
        assertTrue(withoutTorch.contains("120 (118-125)"), withoutTorch);
        assertFalse(withoutTorch.contains("PyTorch"), withoutTorch);

        BenchRow compared = BenchRow.of("1x1x1000x1000", 2, 1_000_000, STEADY,
                new TorchPeer.Times(Samples.of(400, 400), Samples.of(300, 310)));
        String withTorch = table(List.of(plain, compared));
        assertTrue(withTorch.contains("PyTorch bwd us"), withTorch);
        assertTrue(withTorch.contains("2.55x"), "backward speed-up 305/119.5: " + withTorch);
        List<Integer> widths = withTorch.lines().takeWhile(line -> line.startsWith("|")).map(String::length)
                .distinct().toList();
        assertEquals(1, widths.size(), "every line of the table is equally wide: " + withTorch);
    }

    @Test
    void torchTimerOutputIsParsedIntoSamples() {
        TorchPeer.Times times = TorchPeer.parse("{\"shape\": \"1x2x3\", \"forward_us\": 2.0, \"backward_us\": 5.0,"
                + " \"forward_rounds_us\": [1.0, 2.0, 3.0], \"backward_rounds_us\": [4.5, 5.0, 6.5e0]}");
        assertArrayEquals(new double[] {1, 2, 3}, times.forward().values());
        assertEquals(5.0, times.backward().median());
    }

    @Test
    void csvAndJsonCarryTheTable(@TempDir Path tmp) throws IOException {
        BenchRow row = BenchRow.of("1x1x1000x1000", 1, 1_000_000, STEADY,
                new TorchPeer.Times(Samples.of(400, 400), Samples.of(300, 310)));
        Path csv = tmp.resolve("bench.csv");
        Path json = tmp.resolve("bench.json");
        BenchFiles.writeCsv(csv, List.of(row));
        BenchFiles.writeJson(json, List.of(row), CONTEXT);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(2, lines.size());
        assertEquals(lines.get(0).split(",", -1).length, lines.get(1).split(",", -1).length, lines.toString());
        assertTrue(lines.get(1).startsWith("1x1x1000x1000,1,1000000,119.5,118.0,125.0,"), lines.get(1));
        String text = Files.readString(json);
        assertTrue(text.contains("\"commit\": \"abc123\""), text);
        assertTrue(text.contains("\"samples\": [118.000, 119.000, 120.000, 125.000]"), text);
        assertTrue(text.contains("\"torch_backward_us\": {\"median\": 305.000"), text);
        assertEquals(List.of(csv, json).stream().sorted().toList(), Files.list(tmp).sorted().toList(),
                "no partial file left behind");
    }

    @Test
    void chartHasOnePanelPerThreadCountAndIsAPng(@TempDir Path tmp) throws IOException {
        List<BenchRow> rows = List.of(BenchRow.of("1x1x1000x1000", 1, 1_000_000, STEADY, null),
                BenchRow.of("1x1x1000x1000", 2, 1_000_000, STEADY, null));
        BufferedImage image = BenchChart.draw(rows, CONTEXT);
        assertEquals(1280, image.getWidth(), "two panels of 640 pixels");
        Path file = tmp.resolve("bench.png");
        BenchChart.write(file, rows, CONTEXT);
        byte[] head = Arrays.copyOf(Files.readAllBytes(file), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
        assertEquals(List.of(file), Files.list(tmp).toList(), "no partial file left behind");
    }

    @Test
    void estimateCountsForksIterationsAndPyTorch() {
        BenchEstimate estimate = new BenchEstimate(14, 2, 5, 200, 1.2);
        double jmh = 4 * 2 * (BenchEstimate.FORK_OVERHEAD_SECONDS + 1.0);
        double torch = BenchEstimate.TORCH_OVERHEAD_SECONDS + 2.4;
        assertEquals(14 * (jmh + torch), estimate.seconds(), 1e-9);
        assertTrue(estimate.text().startsWith("about ") && estimate.text().endsWith(" min"), estimate.text());
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingRuns(@TempDir Path tmp) {
        for (String[] args : new String[][] {{"--shapes", "8x64"}, {"--shapes", "8xx64x3"}, {"--threads", "0"},
                {"--iterations", "0"}, {"--forks", "0"}, {"--chart", tmp.resolve("missing/folder/c.png").toString()},
                {"--csv", tmp.resolve("missing/t.csv").toString()}, {"--json", tmp.resolve("missing/t.json").toString()}}) {
            String[] full = new String[args.length + 1];
            full[0] = "bench";
            System.arraycopy(args, 0, full, 1, args.length);
            CliRun run = CliRun.of(full);
            assertEquals(2, run.exitCode(), String.join(" ", args) + ": " + run.err());
            assertTrue(run.errLines().size() <= 3, run.err());
            assertTrue(run.err().contains(args[0]) || run.err().contains("shape"), run.err());
            assertTrue(run.out().isEmpty(), "nothing runs: " + run.out());
        }
    }

    private static String table(List<BenchRow> rows) {
        StringWriter text = new StringWriter();
        BenchTable.print(new PrintWriter(text, true), rows, CONTEXT);
        return text.toString();
    }
}
