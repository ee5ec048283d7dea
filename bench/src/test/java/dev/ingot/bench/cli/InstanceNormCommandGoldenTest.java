package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Every PyTorch golden case through {@code ingot instance-norm}: each output within 1e-5 normwise. */
class InstanceNormCommandGoldenTest {
    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> goldenCases() throws IOException {
        Path root = Path.of(System.getProperty("ingot.golden.dir", "../ops/src/test/resources/golden"));
        List<Path> cases;
        try (Stream<Path> dirs = Files.list(root)) {
            cases = dirs.filter(dir -> Files.isRegularFile(dir.resolve("case.json"))).sorted().toList();
        }
        assertFalse(cases.isEmpty(), "no golden cases under " + root.toAbsolutePath());
        return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
    }

    private void check(Path dir) throws IOException {
        String json = Files.readString(dir.resolve("case.json"));
        boolean gamma = flag(json, "gamma");
        boolean beta = flag(json, "beta");
        List<String> args = new ArrayList<>(List.of("instance-norm", "--x", dir.resolve("x.npy").toString(),
                "--dy", dir.resolve("dy.npy").toString(), "--eps", number(json, "eps")));
        if (gamma) {
            args.addAll(List.of("--gamma", dir.resolve("gamma.npy").toString()));
        }
        if (beta) {
            args.addAll(List.of("--beta", dir.resolve("beta.npy").toString()));
        }
        Path out = tmp.resolve(dir.getFileName());
        args.addAll(List.of("--out", out.toString()));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.err());

        List<String> outputs = new ArrayList<>(List.of("y", "mean", "invstd", "dx"));
        if (gamma) {
            outputs.add("dgamma");
        }
        if (beta) {
            outputs.add("dbeta");
        }
        for (String name : outputs) {
            try (Tensor got = Npy.read(out.resolve(name + ".npy"));
                 Tensor want = Npy.read(dir.resolve(name + ".npy"))) {
                assertEquals(want.shape(), got.shape(), name);
                double error = normwiseError(got.toDoubleArray(), want.toDoubleArray());
                assertTrue(error <= TOLERANCE, dir.getFileName() + " " + name + ": normwise error " + error);
            }
        }
    }

    private static double normwiseError(double[] got, double[] want) {
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < want.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    private static boolean flag(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(true|false)").matcher(json);
        return m.find() && m.group(1).equals("true");
    }

    private static String number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*([-+0-9.eE]+)").matcher(json);
        if (!m.find()) {
            throw new IllegalArgumentException("case.json has no " + key);
        }
        return m.group(1);
    }
}
