package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line's promise for {@code instance-norm}: exit 2, at most three lines, the output set switched whole. */
class OutputSwitchTest {

    @TempDir
    Path tmp;

    private Path x() {
        Path file = tmp.resolve("x.npy");
        float[] values = new float[2 * 3 * 8];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i);
        }
        try (Tensor t = Tensor.copyOf(values, Shape.of(2, 3, 8))) {
            Npy.write(file, t);
        }
        return file;
    }

    @Test
    void aFolderInTheWayOfOneOutputLeavesEveryOutputUntouched() throws IOException {
        Path x = x();
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.writeString(out.resolve("y.npy"), "old y");
        Files.writeString(out.resolve("invstd.npy"), "old invstd");
        Files.createDirectory(out.resolve("mean.npy"));
        Files.writeString(out.resolve("mean.npy").resolve("inside.txt"), "mine");
        List<String> before = tree(tmp);

        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--out", out.toString());

        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.errLines().size() <= 3 && !run.err().contains("\tat "), run.err());
        assertTrue(run.err().contains("mean.npy"), run.err());
        assertEquals("old y", Files.readString(out.resolve("y.npy")), "y.npy was not replaced");
        assertEquals("old invstd", Files.readString(out.resolve("invstd.npy")));
        assertEquals(before, tree(tmp), "nothing added, moved or left behind");
    }

    @Test
    void anExistingFolderGetsTheWholeNewSetAndKeepsItsOtherFiles() throws IOException {
        Path x = x();
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.writeString(out.resolve("y.npy"), "old y");
        Files.writeString(out.resolve("keep.txt"), "mine");

        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--out", out.toString());

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("invstd.npy", "keep.txt", "mean.npy", "y.npy"), names(out), "no staging folder left");
        assertEquals(List.of("out", "x.npy"), names(tmp));
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        try (Tensor y = Npy.read(out.resolve("y.npy"))) {
            assertEquals(Shape.of(2, 3, 8), y.shape());
        }
    }

    @Test
    void stagingHappensOnTheDestinationsFileSystem() throws IOException {
        Path existing = Files.createDirectory(tmp.resolve("mounted"));
        assertEquals(existing, new AtomicOutput(existing).stagingParent(),
                "an existing --out (maybe a mount point) stages inside itself");
        Path fresh = tmp.resolve("new").resolve("out");
        assertEquals(fresh.getParent(), new AtomicOutput(fresh).stagingParent(),
                "a new --out stages in the folder that will hold it");
    }

    @Test
    void aNewOutputFolderHonoursTheUmask() throws IOException {
        Path x = x();
        Path reference = Files.createDirectory(tmp.resolve("made-by-mkdir"));
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(reference);
        Path out = tmp.resolve("a").resolve("out");

        CliRun run = CliRun.of("instance-norm", "--x", x.toString(), "--out", out.toString());

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(expected, Files.getPosixFilePermissions(out), "--out made as mkdir makes folders");
        assertEquals(expected, Files.getPosixFilePermissions(out.getParent()));
        assertEquals(List.of("invstd.npy", "mean.npy", "y.npy"), names(out));
    }

    @Test
    void benchFilesAreMadeAsNewFilesAreAndAFolderInTheWayIsRefusedBeforeAnyRun() throws IOException {
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("ref.txt")));
        Path csv = tmp.resolve("bench.csv");
        BenchFiles.write(csv, "--csv", "a,b\n");
        assertEquals(expected, Files.getPosixFilePermissions(csv), "umask applies, not a temporary file's 0600");

        Path folder = Files.createDirectory(tmp.resolve("bench.json"));
        CliRun run = CliRun.of("bench", "--json", folder.toString(), "--no-torch");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("--json") && run.errLines().size() <= 3, run.err());
        assertFalse(run.out().contains("runs ("), "refused before any benchmark: " + run.out());
    }

    @CommandLine.Command(name = "exhaust")
    static final class Exhausting implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    @CommandLine.Command(name = "exhaust-wrapped")
    static final class ExhaustingOnAWorker implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("worker failed", new OutOfMemoryError("Java heap space"));
        }
    }

    @Test
    void outOfMemoryExitsWithTwoAndOneLineWithoutATrace() {
        for (Object command : List.of(new Exhausting(), new ExhaustingOnAWorker())) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = IngotCli.configured(new PrintWriter(out, true), new PrintWriter(err, true));
            cli.addSubcommand(command);
            String name = command.getClass().getAnnotation(CommandLine.Command.class).name();

            int code = IngotCli.execute(cli, name);

            assertEquals(2, code, err.toString());
            List<String> lines = err.toString().lines().toList();
            assertEquals(1, lines.size(), err.toString());
            assertTrue(lines.get(0).startsWith(name + ": not enough memory") && lines.get(0).contains("-Xmx"),
                    lines.get(0));
            assertFalse(err.toString().contains("\tat "));
        }
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<String> names = new ArrayList<>(files.map(p -> p.getFileName().toString()).toList());
            names.sort(null);
            return names;
        }
    }

    /** Every path under {@code root} with its size, to compare a whole tree before and after. */
    private static List<String> tree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            List<String> all = new ArrayList<>();
            for (Path p : paths.toList()) {
                all.add(root.relativize(p) + (Files.isRegularFile(p) ? " " + Files.size(p) : "/"));
            }
            all.sort(null);
            return all;
        }
    }
}
