package dev.ingot.allocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentSourceTest {

    private static List<Path> filesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void arenaBlocksAreAlignedAndGoneAfterGiveBack() {
        try (SegmentSource source = SegmentSource.arena()) {
            MemorySegment block = source.reserve(10_000, 4096);
            assertEquals(0, block.address() % 4096);
            assertEquals(10_000, block.byteSize());
            block.set(ValueLayout.JAVA_LONG, 0, 1L);
            source.giveBack(block);
            assertThrows(IllegalStateException.class, () -> block.get(ValueLayout.JAVA_LONG, 0));
            assertThrows(IllegalArgumentException.class, () -> source.giveBack(block));
            assertEquals(0, ((ArenaSource) source).liveBlocks());
        }
    }

    @Test
    void arenaSourceCloseReturnsEveryBlock() {
        ArenaSource source = new ArenaSource();
        MemorySegment a = source.reserve(100, 64);
        MemorySegment b = source.reserve(100, 64);
        source.close();
        assertEquals(0, source.liveBlocks());
        assertThrows(IllegalStateException.class, () -> a.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> b.get(ValueLayout.JAVA_BYTE, 0));
        source.close(); // idempotent
    }

    @Test
    void mappedBlocksLiveInDistinctFilesThatCloseRemoves(@TempDir Path dir) throws IOException {
        EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.mapped(dir),
                AllocatorOptions.defaults().withMinBlockSize(64 * 1024));
        MemoryChunk a = allocator.alloc(64 * 1024);
        MemoryChunk b = allocator.alloc(64 * 1024);
        MemoryChunk c = allocator.allocSeparate(1000);
        assertEquals(0, a.address() % 64);
        List<Path> files = filesIn(dir);
        assertEquals(3, files.size(), "one file per live block");
        assertEquals(3, new HashSet<>(files).size());
        a.segment().fill((byte) 1);
        b.segment().fill((byte) 2);
        assertEquals(1, a.segment().get(ValueLayout.JAVA_BYTE, 65_535));
        assertEquals(2, b.segment().get(ValueLayout.JAVA_BYTE, 0));

        allocator.free(c); // a separate block goes back at once: its file goes too
        assertEquals(2, filesIn(dir).size());
        allocator.close();
        assertEquals(List.of(), filesIn(dir));
    }

    @Test
    void mappedBlocksWriteThroughToTheirFileAndCanBeKept(@TempDir Path dir) throws IOException {
        MappedFileSource source = new MappedFileSource(dir, true);
        MemorySegment block = source.reserve(8192, 4096);
        assertEquals(0, block.address() % 4096);
        block.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4096, 0x1234_5678);
        Path file = source.liveFiles().getFirst();
        source.close();
        assertThrows(IllegalStateException.class, () -> block.get(ValueLayout.JAVA_INT, 0));
        assertTrue(Files.exists(file), "kept on request");
        try (FileChannel channel = FileChannel.open(file)) {
            ByteBuffer buffer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(buffer, 4096);
            assertEquals(0x1234_5678, buffer.getInt(0));
        }
    }

    @Test
    void mappedSourceNeverMapsOneFileTwice(@TempDir Path dir) {
        try (MappedFileSource source = new MappedFileSource(dir, false)) {
            Set<Path> seen = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                MemorySegment block = source.reserve(4096, 64);
                Path file = source.liveFiles().stream().filter(seen::add).findFirst().orElseThrow();
                if (i % 2 == 0) {
                    source.giveBack(block);
                    assertFalse(Files.exists(file));
                }
            }
            assertEquals(6, seen.size());
            assertEquals(3, source.liveFiles().size());
        }
    }

    @Test
    void mappedSourceRejectsAMissingDirectory(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> SegmentSource.mapped(dir.resolve("absent")));
    }

    @Test
    void childBlocksComeFromTheParentAndGoBackToIt() {
        try (EagerBufferAllocator parent = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("parent").withChecked(true))) {
            EagerBufferAllocator child = new EagerBufferAllocator(SegmentSource.child(parent),
                    AllocatorOptions.defaults().withName("child").withMinBlockSize(16 * 1024));
            MemoryChunk chunk = child.alloc(1000);
            chunk.segment().fill((byte) 9);
            assertEquals(16 * 1024, parent.stats().inUse(), "the child's block is a chunk of the parent");
            assertEquals(1, parent.liveChunks().chunks());
            child.alloc(20_000);
            assertEquals(child.totalSize(), parent.stats().inUse());

            child.release(true);
            assertEquals(0, parent.stats().inUse());
            child.alloc(64);
            child.close();
            assertEquals(0, parent.stats().inUse(), "closing the child frees its blocks in the parent");
            assertTrue(parent.liveChunks().isEmpty());
        }
    }

    @Test
    void theParentsLimitCapsTheChild() {
        try (EagerBufferAllocator parent = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withLimit(64 * 1024).withMinBlockSize(64 * 1024));
             EagerBufferAllocator child = new EagerBufferAllocator(SegmentSource.child(parent),
                     AllocatorOptions.defaults().withMinBlockSize(4096))) {
            child.alloc(32 * 1024);
            assertThrows(AllocationLimitException.class, () -> child.alloc(40 * 1024));
            MemoryChunk fits = child.alloc(16 * 1024);
            assertTrue(fits.isLive());
        }
    }

    @Test
    void childSourceSurvivesItsParentClosingFirst() {
        EagerBufferAllocator parent = new EagerBufferAllocator();
        ChildSource source = new ChildSource(parent);
        source.reserve(4096, 64);
        parent.close();
        source.close();
        assertEquals(0, source.liveBlocks());
    }

    @Test
    void aChildAllocatorClosesCleanlyAfterItsParent() {
        EagerBufferAllocator parent = new EagerBufferAllocator();
        EagerBufferAllocator child = new EagerBufferAllocator(SegmentSource.child(parent));
        MemoryChunk chunk = child.alloc(100);
        parent.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, chunk::segment);
        assertTrue(e.getMessage().contains("parent allocator took the block back"), e.getMessage());
        assertEquals(0, child.totalSize(), "the lost block is no longer counted");
        assertTrue(child.liveChunks().isEmpty(), "its chunk holds no memory any more");
        assertThrows(IllegalStateException.class, () -> child.free(chunk));
        child.close();
        assertEquals(0, child.totalSize());
    }

    @Test
    void checkedChildChunksDieWithTheParentsBlock() {
        AllocatorOptions checked = AllocatorOptions.defaults().withChecked(true);
        try (EagerBufferAllocator parent = new EagerBufferAllocator(SegmentSource.arena(), checked)) {
            EagerBufferAllocator child = new EagerBufferAllocator(SegmentSource.child(parent),
                    checked.withMinBlockSize(4096));
            EagerBufferAllocator grandchild = new EagerBufferAllocator(SegmentSource.child(child),
                    checked.withMinBlockSize(1024));
            MemorySegment kept = child.alloc(64).segment();
            MemorySegment deep = grandchild.alloc(64).segment();
            parent.release(true);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0),
                    "a checked chunk's own scope must close when its block is taken back");
            assertThrows(IllegalStateException.class, () -> deep.get(ValueLayout.JAVA_BYTE, 0),
                    "and so on down the chain");
            assertEquals(0, child.stats().inUse());
            assertEquals(0, grandchild.totalSize());
            grandchild.close();
            child.close();
        }
    }

    @Test
    void aPlanLosesItsBlockWithItsParentAndCanBeRedone() {
        AllocatorOptions checked = AllocatorOptions.defaults().withChecked(true);
        try (EagerBufferAllocator parent = new EagerBufferAllocator(SegmentSource.arena(), checked);
             DeferBufferAllocator planner = new DeferBufferAllocator(SegmentSource.child(parent), checked)) {
            MemoryChunk a = planner.alloc(1000);
            planner.apply();
            MemorySegment kept = a.segment();
            parent.release(true);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, planner::apply);
            assertEquals(0, planner.totalSize());
            planner.reset();
            MemoryChunk b = planner.alloc(1000);
            planner.apply();
            b.segment().fill((byte) 1);
            assertEquals(planner.totalSize(), parent.stats().inUse());
        }
    }

    @Test
    void aDeferredPlannerCanBorrowItsBlockFromAnEagerPool() {
        try (EagerBufferAllocator pool = new EagerBufferAllocator()) {
            DeferBufferAllocator planner = new DeferBufferAllocator(SegmentSource.child(pool));
            MemoryChunk a = planner.alloc(5000);
            planner.apply();
            a.segment().fill((byte) 1);
            assertEquals(planner.totalSize(), pool.stats().inUse());
            planner.reset();
            assertEquals(0, pool.stats().inUse());
            planner.close();
        }
    }

    @Test
    void memoryTheSystemRefusesIsAnAllocationFailureAndChangesNothing() {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("greedy"))) {
            MemoryChunk kept = pool.alloc(1000);
            AllocatorStats before = pool.stats();
            AllocationFailedException e = assertThrows(AllocationFailedException.class,
                    () -> pool.alloc(1L << 60), "native allocation failure must not escape as OutOfMemoryError");
            assertTrue(e.getMessage().contains("greedy") && e.getMessage().contains("arena"), e.getMessage());
            assertEquals(before, pool.stats());
            assertTrue(pool.alloc(1000).isLive(), "the pool stays usable");
            assertTrue(kept.isLive());
        }
    }

    @Test
    void aMappedSourceThatCannotCreateItsFileIsAnAllocationFailure(@TempDir Path dir) throws IOException {
        Path gone = Files.createDirectory(dir.resolve("blocks"));
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.mapped(gone),
                AllocatorOptions.defaults().withMinBlockSize(4096))) {
            Files.delete(gone);
            AllocationFailedException e = assertThrows(AllocationFailedException.class, () -> pool.alloc(100));
            assertTrue(e.getCause() instanceof java.io.UncheckedIOException, String.valueOf(e.getCause()));
            assertEquals(0, pool.totalSize());
            Files.createDirectory(gone);
            assertTrue(pool.alloc(100).isLive(), "usable again once the folder is back");
        }
    }

    @Test
    void mappedBlocksAreBackedOnDiskWhenReserved(@TempDir Path dir) throws IOException {
        try (MappedFileSource source = new MappedFileSource(dir, false)) {
            MemorySegment block = source.reserve(1 << 20, 64);
            Path file = source.liveFiles().getFirst();
            // Pages are allocated now (not a sparse file), so a full disk fails here, not at the first write.
            assertTrue(diskBytes(file) >= 1 << 20, "file occupies " + diskBytes(file) + " bytes on disk");
            block.fill((byte) 1);
        }
    }

    private static long diskBytes(Path file) throws IOException {
        try {
            Process du = new ProcessBuilder("du", "-B1", file.toString()).redirectErrorStream(true).start();
            String out = new String(du.getInputStream().readAllBytes()).trim();
            du.waitFor();
            return Long.parseLong(out.split("\\s+")[0]);
        } catch (InterruptedException | NumberFormatException e) {
            throw new IOException("du failed", e);
        }
    }
}
