package dev.ingot.allocator;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory a parent allocator gives back must no longer be reachable through any scope that depends on it: the
 * checked-mode scopes of chunks carved by allocators built on the parent's chunks close before the parent's block
 * goes back to its source (a write through a still-open scope into unmapped memory crashes the JVM).
 */
class DependentScopesTest {

    /** An arena source that, at every give-back, records whether any watched segment was still reachable. */
    private static final class WatchingSource implements SegmentSource {
        final ArenaSource inner = new ArenaSource();
        final List<MemorySegment> watched = new ArrayList<>();
        final List<Boolean> reachableAtGiveBack = new ArrayList<>();

        @Override
        public MemorySegment reserve(long size, long alignment) {
            return inner.reserve(size, alignment);
        }

        @Override
        public synchronized void giveBack(MemorySegment block) {
            reachableAtGiveBack.add(watched.stream().anyMatch(s -> s.scope().isAlive()));
            inner.giveBack(block);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private static final AllocatorOptions FAST = AllocatorOptions.defaults().withChecked(false);
    private static final AllocatorOptions CHECKED = AllocatorOptions.defaults().withChecked(true);

    private static void checkEagerParent(Consumer<EagerBufferAllocator> takeBack) {
        WatchingSource source = new WatchingSource();
        EagerBufferAllocator parent = new EagerBufferAllocator(source, FAST.withName("parent"));
        EagerBufferAllocator child = new EagerBufferAllocator(SegmentSource.child(parent),
                CHECKED.withName("child").withMinBlockSize(4096));
        EagerBufferAllocator grandchild = new EagerBufferAllocator(SegmentSource.child(child),
                CHECKED.withName("grandchild").withMinBlockSize(1024));
        MemorySegment kept = child.alloc(64).segment();
        MemorySegment deep = grandchild.alloc(64).segment();
        source.watched.add(kept);
        source.watched.add(deep);
        takeBack.accept(parent);
        assertFalse(source.reachableAtGiveBack.isEmpty(), "the parent gave its block back");
        assertFalse(source.reachableAtGiveBack.contains(true),
                "a dependent checked scope was still open when the parent's block went back");
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> deep.get(ValueLayout.JAVA_BYTE, 0));
        grandchild.close();
        child.close();
        parent.close();
    }

    @Test
    void batchedScopesOfChildrenCloseBeforeTheParentsBlocksGoBack() {
        WatchingSource source = new WatchingSource();
        EagerBufferAllocator parent = new EagerBufferAllocator(source, FAST.withName("parent"));
        AllocatorOptions batched = CHECKED.withCheckBatch(4);
        EagerBufferAllocator child = new EagerBufferAllocator(SegmentSource.child(parent),
                batched.withName("child").withMinBlockSize(4096));
        EagerBufferAllocator grandchild = new EagerBufferAllocator(SegmentSource.child(child),
                batched.withName("grandchild").withMinBlockSize(1024));
        MemoryChunk freed = child.alloc(64);
        MemorySegment quarantined = freed.segment();
        child.free(freed); // waits in the child's quarantine, its batch still open
        MemoryChunk live = child.alloc(64);
        MemorySegment kept = live.segment();
        MemoryChunk deepChunk = grandchild.alloc(64);
        MemorySegment deep = deepChunk.segment();
        source.watched.addAll(List.of(quarantined, kept, deep));
        assertEquals(64, child.stats().quarantined());

        parent.release(true);
        assertFalse(source.reachableAtGiveBack.isEmpty(), "the parent gave its block back");
        assertFalse(source.reachableAtGiveBack.contains(true),
                "a batched scope was still open when the parent's block went back");
        for (MemorySegment segment : List.of(quarantined, kept, deep)) {
            assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
        }
        assertFalse(live.isLive());
        assertEquals(0, child.stats().quarantined(), "the lost block's quarantine is no longer counted");
        assertEquals(0, child.stats().inUse());
        child.checkInvariants();
        grandchild.close();
        child.close();
        parent.close();
    }

    @Test
    void releaseAllClosesDependentScopesBeforeTheBlocksGoBack() {
        checkEagerParent(parent -> parent.release(true));
    }

    @Test
    void closeClosesDependentScopesBeforeTheBlocksGoBack() {
        checkEagerParent(EagerBufferAllocator::close);
    }

    /**
     * A writer keeps writing into a checked child chunk while the fast-mode parent takes every block back. Before
     * the fix the parent's block went back while the child's scope was still open, and the write crashed the JVM;
     * now every write either lands in memory still held or throws {@link IllegalStateException}.
     */
    @RepeatedTest(20)
    void writesIntoAChildChunkRacingTheParentsReleaseNeverReachFreedMemory() throws Exception {
        EagerBufferAllocator parent = new EagerBufferAllocator(SegmentSource.arena(), FAST.withName("parent"));
        EagerBufferAllocator child = new EagerBufferAllocator(SegmentSource.child(parent),
                CHECKED.withName("child").withMinBlockSize(1 << 20));
        MemorySegment segment = child.alloc(1 << 20).segment();
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            started.countDown();
            try {
                for (long i = 0; !stop.get(); i++) {
                    segment.fill((byte) i);
                }
            } catch (IllegalStateException expected) {
                // the scope closed: the write was refused, not sent into freed memory
            } catch (Throwable t) {
                unexpected.set(t);
            }
        });
        writer.start();
        started.await();
        parent.release(true);
        stop.set(true);
        writer.join(10_000);
        assertFalse(writer.isAlive());
        assertNull(unexpected.get());
        assertTrue(!segment.scope().isAlive());
        child.close();
        parent.close();
    }
}
