package dev.ingot.bench.cli;

import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a set of {@code .npy} files into a folder all or nothing: everything is written into a staging folder
 * beside the target first and moved into place only when every file is complete.
 */
final class AtomicOutput {
    private final Path target;

    AtomicOutput(Path folder) {
        this.target = folder.toAbsolutePath().normalize();
    }

    /** Writes {@code files} (file name to tensor) into the folder, replacing files of the same names. */
    void write(Map<String, Tensor> files) {
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new IllegalArgumentException("--out: expected a folder, got a file: " + target);
        }
        Path staging = null;
        try {
            Files.createDirectories(target.getParent());
            staging = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".partial-");
            for (Map.Entry<String, Tensor> file : files.entrySet()) {
                Npy.write(staging.resolve(file.getKey()), file.getValue());
            }
            moveIntoPlace(staging, files);
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot write into " + target + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(staging);
        }
    }

    private void moveIntoPlace(Path staging, Map<String, Tensor> files) throws IOException {
        if (!Files.exists(target)) {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        // Renames within one file system are atomic and do not fail for lack of space.
        for (String name : files.keySet()) {
            Files.move(staging.resolve(name), target.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static void deleteQuietly(Path folder) {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: a leftover staging folder is hidden and holds no partial result in the target.
        }
    }
}
