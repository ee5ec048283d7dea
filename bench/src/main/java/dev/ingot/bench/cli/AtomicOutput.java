package dev.ingot.bench.cli;

import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Writes a set of {@code .npy} files into a folder all or nothing.
 *
 * <p>Every file is first written, complete, into a hidden staging folder on the destination's own file system:
 * inside the target folder when it exists (so a target that is a mount point works), else beside it, in the
 * folder that will hold it. Then the set is switched with renames, which are atomic within one file system:
 * <ul>
 *   <li>a new target: the staging folder is renamed to it (one rename); it is made with {@code mkdir}'s
 *       permissions, so the umask applies;</li>
 *   <li>an existing target: every destination is checked first (absent or a regular file, else nothing is
 *       touched), the files it replaces are moved aside into the staging folder, the new ones moved in, and the
 *       old ones deleted only after every move succeeded; when a move fails the ones done are undone.</li>
 * </ul>
 * Other files in the target are left alone. Not thread-safe; one instance per write.
 */
final class AtomicOutput {
    private static final String STAGING_PREFIX = ".ingot-staging-";
    private static final String REPLACED = "replaced";

    private final Path target;

    AtomicOutput(Path folder) {
        this.target = folder.toAbsolutePath().normalize();
    }

    /** Where the staging folder is made: the target itself when it exists, else the folder that will hold it. */
    Path stagingParent() {
        return Files.isDirectory(target) ? target : target.getParent();
    }

    /** Writes {@code files} (file name to tensor) into the folder, replacing files of the same names. */
    void write(Map<String, Tensor> files) {
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new IllegalArgumentException("--out: expected a folder, got a file: " + target);
        }
        boolean existing = Files.isDirectory(target);
        if (existing) {
            checkDestinations(files);
        }
        Path staging = null;
        try {
            Files.createDirectories(target.getParent());
            staging = createStaging(stagingParent());
            for (Map.Entry<String, Tensor> file : files.entrySet()) {
                Npy.write(staging.resolve(file.getKey()), file.getValue());
            }
            if (existing) {
                switchFiles(staging, files);
            } else {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                staging = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot write into " + target + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(staging);
        }
    }

    /** Each destination must be absent or a regular file: refused before anything is written or moved. */
    private void checkDestinations(Map<String, Tensor> files) {
        for (String name : files.keySet()) {
            Path destination = target.resolve(name);
            if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)
                    && !Files.isRegularFile(destination, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException("--out: " + destination + " exists and is not a regular file;"
                        + " nothing was written");
            }
        }
    }

    /** A new, empty staging folder with mkdir's permissions (umask applies), named so it cannot clash. */
    private Path createStaging(Path parent) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path candidate = parent.resolve(STAGING_PREFIX + target.getFileName() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try {
                return Files.createDirectory(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 9) {
                    throw e;
                }
            }
        }
    }

    /**
     * Moves the replaced files aside into {@code staging/replaced}, then the new files in; on a failure undoes the
     * moves made, so the target holds the old set again.
     */
    private void switchFiles(Path staging, Map<String, Tensor> files) throws IOException {
        Path replaced = Files.createDirectory(staging.resolve(REPLACED));
        List<String> movedAside = new ArrayList<>();
        List<String> movedIn = new ArrayList<>();
        try {
            for (String name : files.keySet()) {
                Path destination = target.resolve(name);
                if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)) {
                    move(destination, replaced.resolve(name));
                    movedAside.add(name);
                }
            }
            for (String name : files.keySet()) {
                move(staging.resolve(name), target.resolve(name));
                movedIn.add(name);
            }
        } catch (IOException | RuntimeException | Error e) {
            undo(staging, replaced, movedIn, movedAside, e);
            throw e;
        }
    }

    private void undo(Path staging, Path replaced, List<String> movedIn, List<String> movedAside, Throwable cause) {
        for (String name : movedIn) {
            try {
                move(target.resolve(name), staging.resolve(name));
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
        for (String name : movedAside) {
            try {
                move(replaced.resolve(name), target.resolve(name));
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
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
