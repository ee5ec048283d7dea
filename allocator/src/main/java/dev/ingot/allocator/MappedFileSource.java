package dev.ingot.allocator;


import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Blocks memory-mapped from files. Each block gets a fresh file ({@link Files#createTempFile} picks a name no other
 * file has), mapped read-write in a shared arena of its own; giving the block back unmaps it and, unless files are
 * kept, deletes the file.
 */
final class MappedFileSource implements SegmentSource {
    private record Mapping(Arena arena, Path file) {
    }

    /** Bytes written per call when a new file is filled with zeros. */
    private static final int ZERO_WRITE = 1 << 20;

    private final Path dir;
    private final boolean keepFiles;
    private final ConcurrentHashMap<Long, Mapping> mappings = new ConcurrentHashMap<>();

    public MappedFileSource(Path dir, boolean keepFiles) {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("dir: expected an existing directory, got " + dir);
        }
        this.dir = dir;
        this.keepFiles = keepFiles;
    }

    @Override
    public MemorySegment reserve(long size, long alignment) {
        SourceChecks.checkReserve(size, alignment);
        try {
            Path file = Files.createTempFile(dir, "ingot-block-", ".bin");
            Arena arena = Arena.ofShared();
            try {
                MemorySegment block = map(file, size, alignment, arena);
                mappings.put(block.address(), new Mapping(arena, file));
                return block;
            } catch (IOException | RuntimeException e) {
                arena.close();
                Files.deleteIfExists(file);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map a block of " + size + " bytes in " + dir, e);
        }
    }

    /**
     * Maps {@code size} bytes; pads the mapping when pages are less aligned than asked. The file is filled with
     * zeros first, so that the filesystem allocates every page now: a full disk is an {@link IOException} here rather
     * than a fault ({@link InternalError}) at the first write into a page of a sparse file.
     */
    private static MemorySegment map(Path file, long size, long alignment, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            fillWithZeros(channel, size + alignment);
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            if (mapped.address() % alignment == 0) {
                return mapped;
            }
            // Pages are smaller than the alignment: map extra bytes and start at the first aligned address.
            // The unaligned mapping is released with the arena.
            MemorySegment padded = channel.map(FileChannel.MapMode.READ_WRITE, 0, size + alignment, arena);
            long skip = (alignment - padded.address() % alignment) % alignment;
            return padded.asSlice(skip, size);
        }
    }

    /** Writes {@code bytes} zeros at the start of the file, in large writes. */
    private static void fillWithZeros(FileChannel channel, long bytes) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(bytes, ZERO_WRITE));
        long position = 0;
        while (position < bytes) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - position));
            position += channel.write(zeros, position);
        }
    }

    @Override
    public void giveBack(MemorySegment block) {
        Mapping mapping = mappings.remove(block.address());
        if (mapping == null) {
            throw new IllegalArgumentException("block: expected a live block of " + description()
                    + ", got one at 0x" + Long.toHexString(block.address()));
        }
        unmap(mapping);
    }

    private void unmap(Mapping mapping) {
        mapping.arena().close();
        if (!keepFiles) {
            try {
                Files.deleteIfExists(mapping.file());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete block file " + mapping.file(), e);
            }
        }
    }

    @Override
    public void close() {
        List<Long> addresses = new ArrayList<>(mappings.keySet());
        for (Long address : addresses) {
            Mapping mapping = mappings.remove(address);
            if (mapping != null) {
                unmap(mapping);
            }
        }
    }

    /** The files of the blocks currently mapped. */
    public List<Path> liveFiles() {
        return mappings.values().stream().map(Mapping::file).toList();
    }

    @Override
    public String description() {
        return "mapped(" + dir + ")";
    }
}
