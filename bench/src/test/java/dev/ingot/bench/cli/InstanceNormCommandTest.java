package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceNormCommandTest {

    @TempDir
    Path tmp;

    @Test
    void writesForwardOutputsOnly() throws IOException {
        Path x = write("x.npy", random(new Random(1), 2 * 3 * 4 * 5), Shape.of(2, 3, 4, 5));
        Path out = tmp.resolve("out");
        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("invstd.npy", "mean.npy", "y.npy"), fileNames(out));
        try (Tensor y = Npy.read(out.resolve("y.npy")); Tensor mean = Npy.read(out.resolve("mean.npy"))) {
            assertEquals(Shape.of(2, 3, 4, 5), y.shape());
            assertEquals(Shape.of(2, 3), mean.shape());
        }
    }

    @Test
    void writesGradientsForEachParameterGiven() throws IOException {
        Random random = new Random(2);
        Shape shape = Shape.of(2, 3, 7);
        Path x = write("x.npy", random(random, 42), shape);
        Path dy = write("dy.npy", random(random, 42), shape);
        Path gamma = write("gamma.npy", random(random, 3), Shape.of(3));
        Path out = tmp.resolve("out");
        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--dy", dy.toString(),
                "--gamma", gamma.toString(), "--threads", "2", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("dgamma.npy", "dx.npy", "invstd.npy", "mean.npy", "y.npy"), fileNames(out));
    }

    @Test
    void acceptsFloat64Inputs() throws IOException {
        Shape shape = Shape.of(1, 2, 9);
        double[] values = new double[18];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5;
        }
        Path x = tmp.resolve("x64.npy");
        try (Tensor t = Tensor.copyOf(values, shape)) {
            Npy.write(x, t);
        }
        Path out = tmp.resolve("out");
        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        try (Tensor mean = Npy.read(out.resolve("mean.npy"))) {
            assertEquals(2.0f, mean.toFloatArray()[0], 1e-6f);
            assertEquals(6.5f, mean.toFloatArray()[1], 1e-6f);
        }
    }

    @Test
    void missingInputFileIsBadInputAndWritesNothing() {
        Path out = tmp.resolve("out");
        CliRun run = CliRun.of("instance-norm", "--x", tmp.resolve("absent.npy").toString(), "--out", out.toString());
        assertBadInput(run, "--x");
        assertFalse(Files.exists(out));
    }

    @Test
    void wrongRankIsBadInputAndLeavesAnExistingFolderUntouched() throws IOException {
        Path x = write("x.npy", random(new Random(3), 12), Shape.of(3, 4));
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--out", out.toString());
        assertBadInput(run, "rank");
        assertEquals(List.of("keep.txt"), fileNames(out));
        assertEquals(List.of("out", "x.npy"), fileNames(tmp), "no staging folder is left behind");
    }

    @Test
    void gradientShapeMismatchIsBadInputAndWritesNoForwardOutputEither() throws IOException {
        Random random = new Random(4);
        Path x = write("x.npy", random(random, 24), Shape.of(1, 2, 12));
        Path dy = write("dy.npy", random(random, 24), Shape.of(1, 3, 8));
        Path out = tmp.resolve("out");
        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--dy", dy.toString(), "--out", out.toString());
        assertBadInput(run, "dy");
        assertFalse(Files.exists(out));
    }

    @Test
    void gammaOfTheWrongLengthIsBadInput() throws IOException {
        Random random = new Random(5);
        Path x = write("x.npy", random(random, 24), Shape.of(1, 2, 12));
        Path gamma = write("g.npy", random(random, 3), Shape.of(3));
        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--gamma", gamma.toString(),
                "--out", tmp.resolve("out").toString());
        assertBadInput(run, "gamma");
    }

    @Test
    void corruptFileIsBadInput() throws IOException {
        Path x = tmp.resolve("x.npy");
        Files.write(x, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 10, 0, '{', '}'});
        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--out", tmp.resolve("out").toString());
        assertBadInput(run, "--x");
    }

    @Test
    void badEpsAndThreadsAreBadInput() throws IOException {
        Path x = write("x.npy", random(new Random(6), 8), Shape.of(1, 2, 4));
        for (String[] option : new String[][] {{"--eps", "0"}, {"--eps", "-1e-5"}, {"--eps", "NaN"},
                {"--eps", "abc"}, {"--threads", "0"}, {"--threads", "many"}}) {
            CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--out", tmp.resolve("out").toString(),
                    option[0], option[1]);
            assertBadInput(run, option[0]);
        }
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        CliRun run = CliRun.of("instance-norm", "--out", tmp.resolve("out").toString());
        assertBadInput(run, "--x");
    }

    @Test
    void helpExplainsEveryOption() {
        CliRun run = CliRun.of("instance-norm", "--help");
        assertEquals(0, run.exitCode());
        for (String option : List.of("--x", "--dy", "--gamma", "--beta", "--eps", "--threads", "--out")) {
            assertTrue(run.out().contains(option), option + " in " + run.out());
        }
    }

    private static void assertBadInput(CliRun run, String named) {
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.errLines().size() <= 3, "at most three lines: " + run.err());
        assertTrue(run.err().contains(named), "names " + named + ": " + run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    }

    private Path write(String name, float[] values, Shape shape) {
        Path file = tmp.resolve(name);
        try (Tensor t = Tensor.copyOf(values, shape)) {
            Npy.write(file, t);
        }
        return file;
    }

    private static float[] random(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static List<String> fileNames(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<String> names = new ArrayList<>(files.map(p -> p.getFileName().toString()).toList());
            names.sort(null);
            return names;
        }
    }
}
