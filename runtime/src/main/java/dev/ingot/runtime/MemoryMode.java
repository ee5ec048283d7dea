package dev.ingot.runtime;

/** How a backend places DYNAMIC memory: MNN's two memory modes. */
public enum MemoryMode {
    /**
     * An {@link dev.ingot.allocator.EagerBufferAllocator}: each acquire takes memory from a best-fit free list at
     * once, each release gives it back for the next acquire. Cheap to plan; the footprint depends on the order.
     */
    EAGER,
    /**
     * A {@link dev.ingot.allocator.DeferBufferAllocator}: acquires and releases only record lifetimes; when the
     * resize ends every tensor gets an offset in one block, planned so that tensors alive together never overlap.
     */
    DEFERRED
}
