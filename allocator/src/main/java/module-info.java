/**
 * Pooled off-heap memory for tensors: the Java form of MNN's {@code BufferAllocator}.
 * Knows {@link java.lang.foreign.MemorySegment} and {@link java.lang.foreign.Arena}, nothing about tensors.
 */
module dev.ingot.allocator {
    requires jdk.jfr;

    exports dev.ingot.allocator;
}
