package dev.ingot.allocator;


import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Where an allocator's blocks come from: the Java form of MNN's {@code BufferAllocator::Allocator}.
 *
 * <p>Ownership: an allocator built on a source owns it and closes it in its own {@code close()}; give each
 * allocator its own source. Every block returned by {@link #reserve} stays valid until it is passed to
 * {@link #giveBack} or the source is closed; after that, access to it throws {@link IllegalStateException}.
 *
 * <p>Implementations shipped here are thread-safe.
 */
public interface SegmentSource extends AutoCloseable {

    /**
     * Reserves a block of at least {@code size} bytes (size &gt; 0) whose address is a multiple of
     * {@code alignment} (a power of two). The returned segment is exactly the block.
     *
     * @param size bytes wanted, more than 0
     * @param alignment the address alignment in bytes, a power of two
     * @return the block, exactly {@code size} bytes long
     */
    MemorySegment reserve(long size, long alignment);

    /**
     * Gives a block obtained from {@link #reserve} back; its memory goes back to where it came from.
     *
     * @param block a block this source reserved and has not taken back
     * @throws IllegalArgumentException when the block did not come from this source or was already given back
     */
    void giveBack(MemorySegment block);

    /** Gives every block still reserved back. Idempotent. */
    @Override
    void close();

    /**
     * Registers who must hear when the source takes a block back on its own, before it was given back: a child
     * source whose parent released its memory. The allocator built on the source registers itself once, and then
     * revokes the chunks it carved from that block. The default does nothing: the shipped arena and mapped sources
     * never take blocks back.
     *
     * @param listener told the block that was taken back (after the source's owner released its own lock)
     */
    default void onBlockLost(java.util.function.Consumer<MemorySegment> listener) {
    }

    /**
     * A short description for messages and JFR events, e.g. {@code arena} or {@code mapped(/tmp/x)}.
     *
     * @return a short description for messages and JFR events, e.g
     */
    default String description() {
        return getClass().getSimpleName();
    }

    /**
     * Off-heap blocks, zeroed. Policy: a block of 1 MiB or more (the default block size) is mapped with
     * {@code mmap} and unmapped with {@code munmap} when given back (Linux on x86-64 or AArch64, through FFM
     * downcalls), so its pages leave the process at once, whatever the C library's allocator would keep; at that
     * size the two system calls cost little next to the page faults of filling it. Smaller blocks, and all blocks
     * where mmap cannot be used (the reason is logged once at INFO), come from a shared
     * {@link java.lang.foreign.Arena} each (malloc), closed when the block is given back; whether their pages leave
     * the process then is the C library's choice. Either way a block has a scope of its own, closed when it is given
     * back (a thread handshake, tens of microseconds, once per block: blocks are large and rarely returned), so a
     * segment of a returned block throws instead of reaching memory that is gone.
     *
     * @return the source
     */
    static SegmentSource arena() {
        return new ArenaSource();
    }

    /**
     * Off-heap blocks, every one mapped with {@code mmap} and unmapped with {@code munmap} when given back, whatever
     * its size (see {@link #arena()}, which maps only blocks of 1 MiB or more). Pages are zero until written.
     *
     * @return the source
     * @throws UnsupportedOperationException where mmap cannot be used (not Linux on x86-64 or AArch64, or native
     *                                       access not granted to this module), naming the reason
     */
    static SegmentSource mmap() {
        return new MmapSource();
    }

    /**
     * Blocks memory-mapped from files created in {@code dir}, for data larger than RAM. Each block gets a file of
     * its own, so no two live blocks map the same file; the file is deleted when its block is given back or the
     * source closes.
     *
     * @param dir an existing folder for the backing files
     * @return the source
     */
    static SegmentSource mapped(Path dir) {
        return new MappedFileSource(dir, false);
    }

    /**
     * Like {@link #mapped(Path)}; with {@code keepFiles} the files stay on disk after unmapping.
     *
     * @param dir an existing folder for the backing files
     * @param keepFiles whether the files stay on disk after unmapping
     * @return the source
     */
    static SegmentSource mapped(Path dir, boolean keepFiles) {
        return new MappedFileSource(dir, keepFiles);
    }

    /**
     * Blocks borrowed as chunks of {@code parent} and freed back to it when given back or when this source closes.
     * The parent's limit therefore caps the child too. Should the parent take a block back first
     * ({@code release(true)} or {@code close()}), the child allocator revokes the chunks it carved from that block
     * (checked-mode scopes included) and stops counting it, so nothing keeps reaching the freed memory.
     *
     * @param parent the allocator the blocks are borrowed from
     * @return the source
     */
    static SegmentSource child(BufferAllocator parent) {
        return new ChildSource(parent);
    }
}
