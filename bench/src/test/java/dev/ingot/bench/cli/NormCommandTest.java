package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ingot norm --kind ...}: each kind's outputs, and its bad options refused with exit 2 and nothing written. */
class NormCommandTest {

    @TempDir
    Path tmp;

    private Path write(String name, Shape shape, long seed) throws IOException {
        Random random = new Random(seed);
        float[] v = new float[(int) shape.elementCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        Path file = tmp.resolve(name);
        try (Tensor t = Tensor.copyOf(v, shape)) {
            Npy.write(file, t);
        }
        return file;
    }

    private static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void eachKindWritesItsOutputs() throws IOException {
        Shape shape = Shape.of(2, 4, 3, 3);
        String x = write("x.npy", shape, 1).toString();
        String dy = write("dy.npy", shape, 2).toString();
        String gamma = write("gamma.npy", Shape.of(4), 3).toString();
        String beta = write("beta.npy", Shape.of(4), 4).toString();
        String last = write("last.npy", Shape.of(3), 5).toString();

        Path group = tmp.resolve("group");
        CliRun run = CliRun.of("norm", "--kind", "group", "--groups", "2", "--x", x, "--dy", dy, "--gamma", gamma,
                "--beta", beta, "--out", group.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("dbeta.npy", "dgamma.npy", "dx.npy", "invstd.npy", "mean.npy", "y.npy"), fileNames(group));
        try (Tensor mean = Npy.read(group.resolve("mean.npy"))) {
            assertEquals(Shape.of(2, 2), mean.shape());
        }

        Path layer = tmp.resolve("layer");
        run = CliRun.of("norm", "--kind", "layer", "--normalized-dims", "2", "--x", x, "--dy", dy, "--out",
                layer.toString());
        assertEquals(0, run.exitCode(), run.err());
        try (Tensor mean = Npy.read(layer.resolve("mean.npy"))) {
            assertEquals(Shape.of(2, 4), mean.shape());
        }

        Path rms = tmp.resolve("rms");
        run = CliRun.of("norm", "--kind", "rms", "--x", x, "--dy", dy, "--gamma", last, "--out", rms.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("dgamma.npy", "dx.npy", "invrms.npy", "y.npy"), fileNames(rms));

        Path batch = tmp.resolve("batch");
        run = CliRun.of("norm", "--kind", "batch", "--training", "--x", x, "--dy", dy, "--out", batch.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("dx.npy", "invstd.npy", "mean.npy", "y.npy"), fileNames(batch));

        // instance through the new name gives the alias's numbers
        Path viaNorm = tmp.resolve("viaNorm");
        Path viaAlias = tmp.resolve("viaAlias");
        assertEquals(0, CliRun.of("norm", "--x", x, "--out", viaNorm.toString()).exitCode());
        assertEquals(0, CliRun.of("instance-norm", "--x", x, "--out", viaAlias.toString()).exitCode());
        try (Tensor a = Npy.read(viaNorm.resolve("y.npy")); Tensor b = Npy.read(viaAlias.resolve("y.npy"))) {
            assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        }
    }

    private void refused(String option, String... args) {
        Path out = tmp.resolve("refused");
        String[] all = Stream.concat(Stream.of(args), Stream.of("--out", out.toString())).toArray(String[]::new);
        CliRun run = CliRun.of(all);
        assertEquals(2, run.exitCode(), run.err());
        String[] lines = run.err().strip().split("\n");
        assertTrue(lines.length <= 3, run.err());
        assertTrue(run.err().contains(option), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void badOptionsAreRefused() throws IOException {
        String x = write("x.npy", Shape.of(2, 4, 3), 1).toString();
        refused("--kind", "norm", "--kind", "weird", "--x", x);
        refused("--groups", "norm", "--kind", "group", "--x", x);
        refused("--groups", "norm", "--kind", "layer", "--groups", "2", "--x", x);
        refused("groups", "norm", "--kind", "group", "--groups", "3", "--x", x);
        refused("--running-mean", "norm", "--kind", "batch", "--x", x);
        refused("--normalized-dims", "norm", "--kind", "layer", "--normalized-dims", "4", "--x", x);
        refused("--beta", "norm", "--kind", "rms", "--beta", x, "--x", x);
    }
}
